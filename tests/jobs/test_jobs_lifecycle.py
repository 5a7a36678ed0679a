"""The whole job lifecycle against the real server, as the workflow drives it."""

from __future__ import annotations

import pytest

from mediascribe.errors import IllegalTransitionError
from mediascribe.ids import job_id_for_object
from mediascribe.jobs import JobStatus, SourceObject
from mediascribe.jobs.repository import JobRepository


def new_job(repository: JobRepository, key: str = "uploads/talk.mp3", **source_fields):
    source = SourceObject(bucket="media-bucket", key=key, etag='"abc123"', size_bytes=1234, **source_fields)
    job_id = job_id_for_object(source.bucket, source.key, source.version)
    job, _created = repository.create_job(job_id, source, key.rsplit("/", 1)[-1])
    return job


def test_lifecycle_from_pending_to_completed(job_repository: JobRepository) -> None:
    job = new_job(job_repository)
    assert (job.status, job.progress, job.stage, job.attempt) == (JobStatus.PENDING, 0, "queued", 1)
    assert job.source.etag == '"abc123"' and job.source.version_id is None and job.source.size_bytes == 1234

    started = job_repository.start(job.id, "arn:aws:states:us-east-1:123456789012:execution:sm:x")
    assert (started.status, started.progress, started.stage) == (JobStatus.PROCESSING, 5, "started")
    assert started.started_at is not None and started.execution_arn.endswith(":x")

    probed = job_repository.record_media(job.id, "audio", 13.5)
    assert (probed.media_type, probed.duration_seconds) == ("audio", 13.5)

    assert job_repository.update_progress(job.id, 12, "converting").stage == "converting"
    split = job_repository.set_chunk_total(job.id, 4)
    assert (split.chunks_total, split.progress, split.stage) == (4, 20, "transcribing")

    progress = [job_repository.chunk_finished(job.id, index).progress for index in (2, 0, 3, 1)]
    assert progress == [38, 57, 76, 95]

    result = {"chunk_count": 4, "model": "whisper-1", "audio_seconds": 13.5, "outputs": {"txt": "jobs/x.txt"}}
    done = job_repository.complete(job.id, "hello world", result)
    assert (done.status, done.progress, done.stage, done.result) == (
        JobStatus.COMPLETED,
        100,
        "completed",
        result,
    )
    assert done.finished_at is not None
    assert job_repository.get_content(job.id) == "hello world"
    assert job_repository.get(job.id) == done


def test_completed_job_cannot_start_again(job_repository: JobRepository) -> None:
    job = new_job(job_repository)
    job_repository.start(job.id)
    job_repository.complete(job.id, "text", {"chunk_count": 1})
    with pytest.raises(IllegalTransitionError, match="completed"):
        job_repository.start(job.id)
