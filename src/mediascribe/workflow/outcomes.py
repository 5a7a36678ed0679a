"""The non-happy endings: skipped, failed, and jobs abandoned in ``processing``."""

from __future__ import annotations

import json
import logging

from mediascribe.errors import IllegalTransitionError
from mediascribe.workflow.contracts import FailRequest, FailResult, SkipRequest, SkipResult, SweepResult
from mediascribe.workflow.runtime import Runtime

logger = logging.getLogger(__name__)

_SKIP_REASONS = {
    "text": "text file: there is no audio to transcribe",
    "image": "image file: there is no audio to transcribe",
}
_MAX_MESSAGE_CHARS = 2000


def skip_reason(media_type: str) -> str:
    return _SKIP_REASONS.get(media_type, f"{media_type} file: not an audio or video file")


def mark_skipped(runtime: Runtime, request: SkipRequest) -> SkipResult:
    job = runtime.jobs.skip(request.job_id, skip_reason(request.media_type))
    return SkipResult(status=str(job.status), reason=job.reason)


def mark_failed(runtime: Runtime, request: FailRequest) -> FailResult:
    """Record a readable message; the error name (the exception class) goes to ``cause``.

    Called by the state machine's Catch. If the job already reached a final state (a completion whose
    Lambda response was lost), that state is the truth and is kept.
    """
    job_id = request.job_id
    error = request.error or "UnknownError"
    message = readable_error(error, request.cause)
    try:
        job = runtime.jobs.fail(job_id, message, cause=error)
    except IllegalTransitionError:
        job = runtime.jobs.get(job_id)
        logger.warning("job already settled; failure not recorded", extra={"status": str(job.status)})
    else:
        logger.info("job failed", extra={"error": error})
    return FailResult(status=str(job.status))


def readable_error(error: str, cause: str | None) -> str:
    """Lambda errors arrive as a JSON cause ``{"errorType", "errorMessage", ...}``; keep the message."""
    message = cause or ""
    try:
        payload = json.loads(message)
    except (TypeError, ValueError):
        payload = None
    if isinstance(payload, dict) and payload.get("errorMessage"):
        message = str(payload["errorMessage"])
    message = message.strip() or error
    return message[:_MAX_MESSAGE_CHARS]


def sweep_stale_jobs(runtime: Runtime) -> SweepResult:
    failed = runtime.jobs.fail_stale_jobs(runtime.settings.stale_job_after_seconds)
    if failed:
        logger.warning("failed stale jobs", extra={"count": len(failed), "job_ids": failed})
    return SweepResult(failed=failed)
