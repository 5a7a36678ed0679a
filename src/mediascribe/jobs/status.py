"""The job status document the API returns and the CLI prints."""

from __future__ import annotations

from typing import Any

from mediascribe.ids import validate_job_id
from mediascribe.jobs.deliveries import DeliveryRepository
from mediascribe.jobs.models import Job, JobStatus
from mediascribe.jobs.repository import JobRepository


def get_job_status(
    repository: JobRepository, job_id: str, *, include_content: bool = False
) -> dict[str, Any]:
    """A JSON-ready description of the job: what every state has, plus what only this state has.

    A malformed id raises ``InvalidJobIdError`` before the database is asked; an unknown one raises
    ``JobNotFoundError``. The transcript itself is included only on request because it can be large.
    """
    job = repository.get(validate_job_id(job_id))
    return job_status_document(repository, job, include_content=include_content)


def job_status_document(
    repository: JobRepository, job: Job, *, include_content: bool = False, notes_expected: bool = False
) -> dict[str, Any]:
    """The status document of a job already read (the API reads it once to check who may see it).

    ``notes_expected``: the deployment writes notes, so a completed job without them yet has them
    ``pending`` (the notes step runs after the job is completed).
    """
    document: dict[str, Any] = {
        "job_id": job.id,
        "status": job.status.value,
        "progress": job.progress,
        "stage": job.stage,
        "file_name": job.original_filename,
        "media_type": job.media_type,
        "duration_seconds": job.duration_seconds,
        "attempt": job.attempt,
        "created_at": job.created_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
    }
    if job.started_at is not None:
        document["started_at"] = job.started_at.isoformat()
    if job.finished_at is not None:
        document["finished_at"] = job.finished_at.isoformat()
    if job.status is JobStatus.PROCESSING and job.chunks_total is not None:
        document["chunks"] = {"total": job.chunks_total, "done": job.chunks_done}
    elif job.status is JobStatus.COMPLETED:
        document["result"] = job.result
        title, notes = repository.notes(job.id)
        if notes is None and notes_expected:
            notes = {"status": "pending"}
        if title is not None:
            document["title"] = title
        if notes is not None:
            document["notes"] = notes
        notion = repository.notion_page(job.id)
        if notion is not None:
            document["notion"] = notion.to_document()
        if include_content:
            document["content"] = repository.get_content(job.id)
    elif job.status is JobStatus.FAILED:
        document["error"] = job.error
        if job.cause is not None:
            document["cause"] = job.cause
    elif job.status is JobStatus.SKIPPED:
        document["reason"] = job.reason
    deliveries = DeliveryRepository(repository.executor).of_job(job.id)
    if deliveries:
        document["deliveries"] = [delivery.to_document() for delivery in deliveries]
    return document
