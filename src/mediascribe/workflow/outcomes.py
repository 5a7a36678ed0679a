"""The non-happy endings: skipped, failed, and jobs abandoned in ``processing``."""

from __future__ import annotations

import json
import logging
from typing import Any

from mediascribe.errors import IllegalTransitionError
from mediascribe.workflow.runtime import Runtime

logger = logging.getLogger(__name__)

_SKIP_REASONS = {
    "text": "text file: there is no audio to transcribe",
    "image": "image file: there is no audio to transcribe",
}
_MAX_MESSAGE_CHARS = 2000


def skip_reason(media_type: str) -> str:
    return _SKIP_REASONS.get(media_type, f"{media_type} file: not an audio or video file")


def mark_skipped(runtime: Runtime, *, job_id: str, media_type: str) -> dict[str, Any]:
    job = runtime.jobs.skip(job_id, skip_reason(media_type))
    return {"status": str(job.status), "reason": job.reason}


def mark_failed(runtime: Runtime, *, job_id: str, error: str, cause: str | None) -> dict[str, Any]:
    """Record a readable message; the error name (the exception class) goes to ``cause``.

    Called by the state machine's Catch. If the job already reached a final state (a completion whose
    Lambda response was lost), that state is the truth and is kept.
    """
    message = readable_error(error, cause)
    try:
        job = runtime.jobs.fail(job_id, message, cause=error)
    except IllegalTransitionError:
        job = runtime.jobs.get(job_id)
        logger.warning("job already settled; failure not recorded", extra={"status": str(job.status)})
    else:
        logger.info("job failed", extra={"error": error})
    return {"status": str(job.status)}


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


def sweep_stale_jobs(runtime: Runtime) -> dict[str, Any]:
    failed = runtime.jobs.fail_stale_jobs(runtime.settings.stale_job_after_seconds)
    if failed:
        logger.warning("failed stale jobs", extra={"count": len(failed), "job_ids": failed})
    return {"failed": failed}
