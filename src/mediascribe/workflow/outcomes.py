"""The non-happy endings: skipped, failed, and jobs abandoned in ``processing``."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

from mediascribe.errors import IllegalTransitionError
from mediascribe.workflow.contracts import FailRequest, FailResult, SkipRequest, SkipResult, SweepResult
from mediascribe.workflow.events import job_event, publish
from mediascribe.workflow.runtime import Runtime

logger = logging.getLogger(__name__)

# How long after its execution stopped a job may still need sweeping: sweeps run every 15 minutes.
BUSY_MARGIN_SECONDS = 3600

_SKIP_REASONS = {
    "text": "text file: there is no audio to transcribe",
    "image": "image file: there is no audio to transcribe",
}
_MAX_MESSAGE_CHARS = 2000


def skip_reason(media_type: str) -> str:
    return _SKIP_REASONS.get(media_type, f"{media_type} file: not an audio or video file")


def mark_skipped(runtime: Runtime, request: SkipRequest) -> SkipResult:
    job = runtime.jobs.skip(request.job_id, skip_reason(request.media_type))
    return SkipResult(status=str(job.status), reason=job.reason, event=job_event(runtime, job))


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
    return FailResult(status=str(job.status), event=job_event(runtime, job))


def _workflow_was_busy(runtime: Runtime, now: datetime) -> bool:
    machine = runtime.settings.state_machine_arn
    if not machine:
        return True  # no state machine to ask: sweep
    if runtime.sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING", maxResults=1)[
        "executions"
    ]:
        return True
    since = now - timedelta(seconds=runtime.settings.stale_job_after_seconds + BUSY_MARGIN_SECONDS)
    recent = runtime.sfn.list_executions(stateMachineArn=machine, maxResults=100)["executions"]
    return any(execution.get("stopDate", now) >= since for execution in recent)


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


def sweep_stale_jobs(runtime: Runtime, *, now: datetime | None = None) -> SweepResult:
    """Fail jobs that stopped making progress, asking the database only when the workflow was busy.

    A job goes stale only while, or soon after, its execution runs. When no execution is running and
    none stopped within the stale period (plus an hour), there is nothing to sweep, and the database
    (an Aurora cluster that pauses when idle and is billed while awake) is left asleep.
    """
    if not _workflow_was_busy(runtime, now or datetime.now(UTC)):
        return SweepResult(failed=[])
    failed = runtime.jobs.fail_stale_jobs(runtime.settings.stale_job_after_seconds)
    if failed:
        logger.warning("failed stale jobs", extra={"count": len(failed), "job_ids": failed})
        # No state machine announces these: the sweeper does, as the workflow would have.
        publish(runtime, [job_event(runtime, runtime.jobs.get(job_id)) for job_id in failed])
    return SweepResult(failed=failed)
