"""The events a job's terminal changes put on EventBridge, and their payload.

Every terminal change of a job (completed, failed, skipped) and of its notes (completed, failed) is one
event with ``source`` ``mediascribe``, so a team attaches a rule instead of writing a poller, as
Amazon Transcribe's "Transcribe Job State Change" events allow. The detail carries what a rule or a
receiver routes on and what it needs to fetch the results: ids, the source object, counts, the S3 keys
of the outputs, and on failure the reason. It never carries transcript text or a secret, so an event
can go to any target.

``delivery_key`` names the job, the attempt and the state: EventBridge assigns each event its own id,
so a redelivered event (at-least-once delivery) is recognised by this key, and a webhook sends it as
its ``webhook-id``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mediascribe.jobs.models import Job, JobStatus

SOURCE = "mediascribe"
JOB_DETAIL_TYPE = "Transcription Job State Change"
NOTES_DETAIL_TYPE = "Transcript Notes State Change"
# The longest reason an event carries: the job's own record keeps the full message.
MAX_REASON_CHARS = 1000


class EventModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceObjectDetail(EventModel):
    bucket: str
    key: str
    version_id: str | None = None


class JobStateChange(EventModel):
    """The detail of a "Transcription Job State Change" event."""

    delivery_key: str = Field(description="job id, attempt and state: the same on every redelivery")
    job_id: str
    status: Literal["completed", "failed", "skipped"]
    attempt: int
    source: SourceObjectDetail
    title: str | None = None
    duration_seconds: float | None = None
    speech_seconds: float | None = None
    speaker_count: int | None = None
    chunk_count: int | None = None
    engine: str | None = None
    model: str | None = None
    outputs: dict[str, str] = Field(default_factory=dict, description="format -> S3 key of the output")
    reason: str | None = Field(default=None, description="why the job failed or was skipped")


class NotesStateChange(EventModel):
    """The detail of a "Transcript Notes State Change" event."""

    delivery_key: str
    job_id: str
    status: Literal["completed", "failed"]
    attempt: int
    source: SourceObjectDetail
    title: str | None = None
    provider: str | None = None
    outputs: dict[str, str] = Field(default_factory=dict, description="format -> S3 key of the notes")
    reason: str | None = None


def delivery_key(job_id: str, attempt: int, state: str) -> str:
    return f"{job_id}:{attempt}:{state}"


def job_state_change(job: Job, *, engine: str, title: str | None = None) -> JobStateChange:
    """The event of a job that has reached a terminal state."""
    if job.status not in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.SKIPPED):
        raise ValueError(f"job {job.id} is {job.status}, not in a terminal state")
    status: Literal["completed", "failed", "skipped"] = job.status.value  # type: ignore[assignment]
    result = job.result or {}
    reason = job.error if job.status is JobStatus.FAILED else job.reason
    return JobStateChange(
        delivery_key=delivery_key(job.id, job.attempt, status),
        job_id=job.id,
        status=status,
        attempt=job.attempt,
        source=_source(job),
        title=title,
        duration_seconds=job.duration_seconds,
        speech_seconds=result.get("speech_seconds"),
        speaker_count=result.get("speakers"),
        chunk_count=result.get("chunk_count") or job.chunks_total,
        engine=engine if job.status is JobStatus.COMPLETED else None,
        model=result.get("model"),
        outputs=dict(result.get("outputs") or {}),
        reason=reason[:MAX_REASON_CHARS] if reason else None,
    )


def notes_state_change(
    job: Job,
    *,
    status: Literal["completed", "failed"],
    title: str | None,
    provider: str | None,
    outputs: dict[str, str],
    reason: str | None,
) -> NotesStateChange:
    """The event of a job's notes that were written, or could not be."""
    return NotesStateChange(
        delivery_key=delivery_key(job.id, job.attempt, f"notes-{status}"),
        job_id=job.id,
        status=status,
        attempt=job.attempt,
        source=_source(job),
        title=title,
        provider=provider,
        outputs=outputs,
        reason=reason[:MAX_REASON_CHARS] if reason else None,
    )


def _source(job: Job) -> SourceObjectDetail:
    return SourceObjectDetail(bucket=job.source.bucket, key=job.source.key, version_id=job.source.version_id)
