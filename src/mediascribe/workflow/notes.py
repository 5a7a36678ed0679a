"""Write notes: title, summary, chapters and action items of a completed job, stored on its asset.

Notes are a bonus to the transcript. The job is already completed when this step runs, and nothing
here can change that: a permanent failure (the model keeps answering invalid notes, refuses, lacks
access) is stored as ``notes: {"status": "failed", "reason": ...}`` and the step succeeds; a
retryable one (throttling after the SDK's retries) is raised for the state machine to retry, and if
it persists the state machine records it the same way (``record_notes_failure``).
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

import openai
from botocore.config import Config

from mediascribe.aws_clients import service_client
from mediascribe.config import Settings
from mediascribe.delivery.events import NotesStateChange, notes_state_change
from mediascribe.delivery.notion_delivery import deliver_notes
from mediascribe.errors import (
    ConfigurationError,
    IllegalTransitionError,
    NotesError,
    NotesRequestLimitError,
    RetryableNotesError,
    SourceObjectMissingError,
)
from mediascribe.jobs.models import JobStatus
from mediascribe.notes.providers import (
    DEFAULT_BEDROCK_MODEL,
    DEFAULT_OPENAI_MODEL,
    BedrockNotesModel,
    NotesModel,
    OpenAINotesModel,
)
from mediascribe.notes.writer import Segment, write_notes
from mediascribe.transcription.credentials import resolve_openai_api_key
from mediascribe.workflow.contracts import Contract, JobStep
from mediascribe.workflow.page import store_page
from mediascribe.workflow.runtime import Runtime

logger = logging.getLogger(__name__)

# A long request can take minutes to answer (botocore's default read timeout is 60 s); three
# attempts of at most 180 s and their backoff stay inside the function's 900 s.
_BEDROCK_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, read_timeout=180)
MAX_REASON_CHARS = 500
# Rewrites of one job's notes through the API, in a rolling day.
NOTES_REQUESTS_PER_DAY = 3
NOTES_REQUEST_WINDOW_SECONDS = 24 * 60 * 60


class NotesFailure(Contract):
    """The Catch's ``Error`` and ``Cause`` of a notes attempt that failed after its retries."""

    error: str | None = None
    cause: str | None = None


class WriteNotesRequest(JobStep):
    """The state's input; ``failure`` is set when the state machine records a failed attempt.

    ``final`` marks a request from the jobs API: no state machine retries it, so a retryable
    failure is recorded on the notes at once instead of being raised.
    """

    failure: NotesFailure | None = None
    final: bool = False


class WriteNotesResult(Contract):
    status: str
    reason: str | None = None
    # What the state machine puts on EventBridge next (a rewrite through the API puts it itself).
    event: NotesStateChange


def write_job_notes(
    runtime: Runtime, job_id: str, model: NotesModel | None = None, *, final: bool = False
) -> WriteNotesResult:
    """Notes of a completed job's transcript, stored with the asset; the title becomes its title.

    ``RetryableNotesError`` is raised for the state machine to retry, unless this attempt is ``final``.
    """
    job = runtime.jobs.get(job_id)
    if job.status is not JobStatus.COMPLETED:
        raise IllegalTransitionError(f"job {job.id} is {job.status}: notes need a completed transcript")
    try:
        segments = _segments(runtime, job.id)
        notes = write_notes(
            segments,
            model or notes_model(runtime.settings),
            max_input_tokens=runtime.settings.notes_max_input_tokens,
        )
    except RetryableNotesError as exc:
        if not final:
            raise
        return record_notes_failure(runtime, job.id, exc.message)
    except NotesError as exc:
        return record_notes_failure(runtime, job.id, exc.message)
    # The page first, as finalize writes its files before completing: stored notes are on the page.
    page = store_page(runtime, job, notes=notes)
    runtime.jobs.set_notes(job.id, {"status": "completed", **notes.to_dict()}, title=notes.title)
    logger.info("notes stored", extra={"model_calls": notes.model_calls, "chapters": len(notes.chapters)})
    # After the notes are stored: whatever happens to the page, it changes neither them nor the transcript.
    deliver_notes(runtime.settings, runtime.jobs, job, notes, segments)
    event = notes_state_change(
        job,
        status="completed",
        title=notes.title,
        provider=runtime.settings.notes_provider,
        outputs={"html": page},
        reason=None,
    )
    return WriteNotesResult(status="completed", event=event)


def request_notes(runtime: Runtime, job_id: str, lambda_client: Any) -> None:
    """Write a completed job's notes again, in the background (``POST /jobs/{id}/notes``).

    The notes function is invoked asynchronously: a model call can outlast the API's 29 seconds.
    Until it finishes the notes say ``pending``; it then stores notes or a failure as the workflow does.
    A job's notes are rewritten at most ``NOTES_REQUESTS_PER_DAY`` times in a rolling day; one more
    request raises ``NotesRequestLimitError`` with the wait.
    """
    settings = runtime.settings
    if settings.notes_provider == "off" or not settings.notes_function_name:
        raise NotesError("notes are off for this deployment (set the NotesProvider parameter)")
    job = runtime.jobs.get(job_id)
    if job.status is not JobStatus.COMPLETED:
        raise IllegalTransitionError(f"job {job.id} is {job.status}: notes need a completed transcript")
    _admit_notes_request(runtime, job.id)
    runtime.jobs.set_notes(job.id, {"status": "pending"})
    try:
        lambda_client.invoke(
            FunctionName=settings.notes_function_name,
            InvocationType="Event",
            Payload=json.dumps({"job_id": job.id, "final": True}).encode(),
        )
    except Exception:
        # Nothing will replace "pending" then; say so, and let the caller see the failure.
        record_notes_failure(runtime, job.id, "the notes function could not be started; try again")
        raise
    logger.info("notes requested")


def _admit_notes_request(runtime: Runtime, job_id: str) -> None:
    """Each rewrite calls a paid model: at most ``NOTES_REQUESTS_PER_DAY`` per job in a rolling day."""
    retry_after = runtime.jobs.admit_notes_request(
        job_id, limit=NOTES_REQUESTS_PER_DAY, window_seconds=NOTES_REQUEST_WINDOW_SECONDS
    )
    if retry_after is not None:
        raise NotesRequestLimitError(
            f"the notes of job {job_id} were written again {NOTES_REQUESTS_PER_DAY} times in the last "
            f"24 hours; try again in {retry_after} seconds",
            retry_after_seconds=retry_after,
        )


def record_notes_failure(runtime: Runtime, job_id: str, reason: str) -> WriteNotesResult:
    """Say on the asset why there are no notes; the job and its transcript stay as they are."""
    reason = reason if len(reason) <= MAX_REASON_CHARS else reason[: MAX_REASON_CHARS - 1] + "…"
    runtime.jobs.set_notes(job_id, {"status": "failed", "reason": reason})
    logger.warning("notes failed", extra={"reason": reason})
    job = runtime.jobs.get(job_id)
    title, _ = runtime.jobs.notes(job_id)
    event = notes_state_change(
        job, status="failed", title=title, provider=runtime.settings.notes_provider, outputs={}, reason=reason
    )
    return WriteNotesResult(status="failed", reason=reason, event=event)


def failure_reason(failure: NotesFailure) -> str:
    """A readable reason from a Catch's Error/Cause (the cause is the Lambda's error JSON)."""
    error = failure.error or "error"
    cause = failure.cause or ""
    try:
        message = json.loads(cause).get("errorMessage") or cause
    except (ValueError, AttributeError):
        message = cause
    return f"{error}: {message}" if message else error


def _segments(runtime: Runtime, job_id: str) -> list[Segment]:
    """The transcript's segments from its JSON output, read by the job's own key, never from input."""
    keys = runtime.store.job_keys(job_id)
    try:
        document: Any = runtime.store.get_json(keys, keys.transcript("json"))
    except SourceObjectMissingError:
        raise NotesError("the transcript's segments are no longer stored (the work files expired)") from None
    return [
        Segment(float(s["start"]), str(s["text"]), s.get("speaker")) for s in document.get("segments") or []
    ]


def notes_model(settings: Settings) -> NotesModel:
    """The configured provider's model, built once per container and settings."""
    return _cached_model(settings)


@functools.lru_cache(maxsize=2)
def _cached_model(settings: Settings) -> NotesModel:
    if settings.notes_provider == "bedrock":
        client = service_client(
            "bedrock-runtime",
            profile=settings.aws_profile,
            region=settings.aws_region,
            config=_BEDROCK_CONFIG,
        )
        return BedrockNotesModel(client, settings.notes_model or DEFAULT_BEDROCK_MODEL)
    if settings.notes_provider == "openai":
        api_key = resolve_openai_api_key(settings)
        if not api_key:
            raise ConfigurationError("NOTES_PROVIDER=openai needs an API key (OPENAI_API_KEY_SECRET)")
        client = openai.OpenAI(
            api_key=api_key,
            base_url=settings.openai_base_url,
            max_retries=settings.openai_max_retries,
            timeout=settings.openai_timeout_seconds,
        )
        return OpenAINotesModel(client, settings.notes_model or DEFAULT_OPENAI_MODEL, api_key=api_key)
    raise ConfigurationError("NOTES_PROVIDER is off: no notes are written")
