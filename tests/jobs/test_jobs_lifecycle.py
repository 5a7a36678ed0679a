"""The job lifecycle against the real server, as the workflow drives it."""

from __future__ import annotations

import pytest

from mediascribe.errors import IllegalTransitionError, JobNotFoundError
from mediascribe.jobs import JobStatus
from mediascribe.jobs.repository import JobRepository
from support.job_sources import job_id_for, source_for


def test_lifecycle_from_pending_to_completed(job_repository: JobRepository) -> None:
    source = source_for("uploads/talk.mp3", etag='"abc123"')
    job, created = job_repository.create_job(job_id_for(source), source, "talk.mp3")
    assert created
    assert (job.status, job.progress, job.stage, job.attempt) == (JobStatus.PENDING, 0, "queued", 1)
    assert (job.source.etag, job.source.version_id, job.source.size_bytes) == ('"abc123"', None, 2048)

    started = job_repository.start(job.id, "arn:aws:states:us-east-1:123456789012:execution:sm:x")
    assert (started.status, started.progress, started.stage) == (JobStatus.PROCESSING, 5, "started")
    assert started.started_at is not None
    assert started.execution_arn == "arn:aws:states:us-east-1:123456789012:execution:sm:x"

    probed = job_repository.record_media(job.id, "audio", 13.5)
    assert (probed.media_type, probed.duration_seconds) == ("audio", 13.5)

    assert job_repository.update_progress(job.id, 12, "converting").stage == "converting"
    split = job_repository.set_chunk_total(job.id, 4)
    assert (split.chunks_total, split.progress, split.stage) == (4, 20, "transcribing")

    progress = [job_repository.chunk_finished(job.id, index).progress for index in (2, 0, 3, 1)]
    assert progress == [38, 57, 76, 95]

    result = {"chunk_count": 4, "model": "whisper-1", "audio_seconds": 13.5, "outputs": {"txt": "jobs/x.txt"}}
    done = job_repository.complete(job.id, "hello world", result)
    assert (done.status, done.progress, done.stage) == (JobStatus.COMPLETED, 100, "completed")
    assert done.result == result
    assert done.finished_at is not None
    assert job_repository.get_content(job.id) == "hello world"
    assert job_repository.get(job.id) == done


def test_start_is_idempotent_while_processing(job_repository: JobRepository, make_job) -> None:
    job = make_job()
    first = job_repository.start(job.id, "arn:first")
    job_repository.update_progress(job.id, 30, "converting")
    again = job_repository.start(job.id)
    assert (again.status, again.progress, again.stage) == (JobStatus.PROCESSING, 30, "converting")
    assert (again.started_at, again.execution_arn) == (first.started_at, "arn:first")


def test_failure_keeps_content_and_retry_starts_a_fresh_attempt(
    job_repository: JobRepository, make_job
) -> None:
    job = make_job(started=True)
    job_repository.set_chunk_total(job.id, 2)
    job_repository.chunk_finished(job.id, 0)

    failed = job_repository.fail(job.id, "CorruptMediaError", '{"errorMessage": "truncated"}')
    assert (failed.status, failed.error, failed.cause) == (
        JobStatus.FAILED,
        "CorruptMediaError",
        '{"errorMessage": "truncated"}',
    )
    assert failed.stage == "transcribing" and failed.finished_at is not None
    assert job_repository.get_content(job.id) is None
    # A retried failure handler finds the job failed already and changes nothing.
    assert job_repository.fail(job.id, "another error") == failed

    retried = job_repository.retry(job.id)
    assert (retried.status, retried.progress, retried.stage, retried.attempt) == (
        JobStatus.PENDING,
        0,
        "queued",
        2,
    )
    assert (retried.error, retried.cause, retried.chunks_total, retried.chunks_done) == (None, None, None, 0)
    assert retried.started_at is None and retried.finished_at is None
    assert job_repository.start(retried.id).status is JobStatus.PROCESSING


def test_skip_records_the_reason_and_is_final(job_repository: JobRepository, make_job) -> None:
    job = make_job(started=True)
    job_repository.record_media(job.id, "image", None)
    skipped = job_repository.skip(job.id, "images are not transcribed")
    assert (skipped.status, skipped.reason, skipped.stage) == (
        JobStatus.SKIPPED,
        "images are not transcribed",
        "skipped",
    )
    assert job_repository.skip(job.id, "again") == skipped
    with pytest.raises(IllegalTransitionError, match="skipped"):
        job_repository.start(job.id)


def test_fail_stale_jobs_fails_only_unfinished_jobs(
    job_repository: JobRepository, make_job, database
) -> None:
    pending, processing, completed = make_job(), make_job(started=True), make_job(started=True)
    job_repository.complete(completed.id, "text", {"chunk_count": 1})
    assert job_repository.fail_stale_jobs(3600) == []

    # Pretend the two unfinished jobs were last touched two hours ago (the trigger would reset updated_at).
    def backdate(transaction) -> None:
        transaction.execute(
            "ALTER TABLE assets_processing_jobs DISABLE TRIGGER assets_processing_jobs_touch_updated_at"
        )
        transaction.execute("UPDATE assets_processing_jobs SET updated_at = now() - interval '2 hours'")
        transaction.execute(
            "ALTER TABLE assets_processing_jobs ENABLE TRIGGER assets_processing_jobs_touch_updated_at"
        )

    database.run(backdate)
    assert job_repository.fail_stale_jobs(3600) == sorted([pending.id, processing.id])
    for job_id in (pending.id, processing.id):
        stale = job_repository.get(job_id)
        assert (stale.status, stale.error) == (JobStatus.FAILED, "job stopped making progress")
    assert job_repository.get(completed.id).status is JobStatus.COMPLETED
    assert job_repository.fail_stale_jobs(3600) == []


def test_operations_on_an_unknown_job_raise_not_found(job_repository: JobRepository) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    for operation in (
        lambda: job_repository.get(unknown),
        lambda: job_repository.get_content(unknown),
        lambda: job_repository.start(unknown),
        lambda: job_repository.complete(unknown, "x", {}),
        lambda: job_repository.fail(unknown, "x"),
        lambda: job_repository.record_media(unknown, "audio", 1.0),
    ):
        with pytest.raises(JobNotFoundError):
            operation()


def test_long_failure_causes_are_clipped(job_repository: JobRepository, make_job) -> None:
    job = make_job(started=True)
    failed = job_repository.fail(job.id, "States.TaskFailed", "x" * 20_000)
    assert len(failed.cause) == 8000 and failed.cause.endswith("…")
