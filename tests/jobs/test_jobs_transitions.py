"""Guarded transitions: illegal ones refused, completion atomic and single, progress monotonic."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from mediascribe.errors import IllegalTransitionError
from mediascribe.jobs import JobStatus
from mediascribe.jobs.executor import StatementError
from mediascribe.jobs.repository import JobRepository


def move_to(repository: JobRepository, job_id: str, status: JobStatus) -> None:
    if status is JobStatus.PENDING:
        return
    repository.start(job_id)
    if status is JobStatus.COMPLETED:
        repository.complete(job_id, "text", {"chunk_count": 1})
    elif status is JobStatus.FAILED:
        repository.fail(job_id, "boom")
    elif status is JobStatus.SKIPPED:
        repository.skip(job_id, "nothing to do")


ILLEGAL = [
    (JobStatus.COMPLETED, "start", lambda r, j: r.start(j)),
    (JobStatus.COMPLETED, "fail", lambda r, j: r.fail(j, "late error")),
    (JobStatus.COMPLETED, "skip", lambda r, j: r.skip(j, "late skip")),
    (JobStatus.COMPLETED, "retry", lambda r, j: r.retry(j)),
    (JobStatus.COMPLETED, "update progress of", lambda r, j: r.update_progress(j, 50, "x")),
    (JobStatus.COMPLETED, "record media of", lambda r, j: r.record_media(j, "audio", 1.0)),
    (JobStatus.FAILED, "start", lambda r, j: r.start(j)),
    (JobStatus.FAILED, "complete", lambda r, j: r.complete(j, "text", {})),
    (JobStatus.FAILED, "skip", lambda r, j: r.skip(j, "x")),
    (JobStatus.FAILED, "update progress of", lambda r, j: r.update_progress(j, 50, "x")),
    (JobStatus.FAILED, "set the chunk total of", lambda r, j: r.set_chunk_total(j, 3)),
    (JobStatus.COMPLETED, "finish a chunk of", lambda r, j: r.chunk_finished(j, 0)),
    (JobStatus.SKIPPED, "complete", lambda r, j: r.complete(j, "text", {})),
    (JobStatus.SKIPPED, "fail", lambda r, j: r.fail(j, "x")),
    (JobStatus.PENDING, "complete", lambda r, j: r.complete(j, "text", {})),
    (JobStatus.PENDING, "retry", lambda r, j: r.retry(j)),
    (JobStatus.PENDING, "update progress of", lambda r, j: r.update_progress(j, 50, "x")),
    (JobStatus.PROCESSING, "retry", lambda r, j: r.retry(j)),
]


@pytest.mark.parametrize(("status", "action", "operation"), ILLEGAL, ids=[f"{s}-{a}" for s, a, _ in ILLEGAL])
def test_illegal_transition_is_refused_and_changes_nothing(
    job_repository: JobRepository, make_job, status, action, operation
) -> None:
    job = make_job()
    move_to(job_repository, job.id, status)
    before = job_repository.get(job.id)
    with pytest.raises(IllegalTransitionError, match=rf"cannot {action} job {job.id}: it is {status}"):
        operation(job_repository, job.id)
    assert job_repository.get(job.id) == before


def test_second_completion_is_a_no_op(job_repository: JobRepository, make_job) -> None:
    job = make_job(started=True)
    first = job_repository.complete(job.id, "first text", {"chunk_count": 1, "who": "first"})
    second = job_repository.complete(job.id, "second text", {"chunk_count": 1, "who": "second"})
    assert second == first
    assert job_repository.get_content(job.id) == "first text"


def test_progress_never_decreases(job_repository: JobRepository, make_job) -> None:
    job = make_job(started=True)
    assert job_repository.update_progress(job.id, 40, "splitting").progress == 40
    late = job_repository.update_progress(job.id, 10, "converting")
    assert (late.progress, late.stage) == (40, "splitting")
    assert job_repository.set_chunk_total(job.id, 10).progress == 40
    # The first chunk maps to 27 %, below the 40 % already reached.
    assert job_repository.chunk_finished(job.id, 0).progress == 40
    assert job_repository.start(job.id).progress == 40
    # 100 % belongs to completion; a running job tops out below it.
    assert job_repository.update_progress(job.id, 100, "joining").progress == 99
    for bad in (-1, 101, 2.5, True):
        with pytest.raises(ValueError, match="progress"):
            job_repository.update_progress(job.id, bad, "x")


def test_chunk_finished_counts_each_index_once(job_repository: JobRepository, make_job) -> None:
    job = make_job(started=True)
    job_repository.set_chunk_total(job.id, 3)
    assert [job_repository.chunk_finished(job.id, 1).chunks_done for _ in range(3)] == [1, 1, 1]
    assert job_repository.get(job.id).progress == 45
    with pytest.raises(ValueError, match="outside"):
        job_repository.chunk_finished(job.id, 3)
    with pytest.raises(ValueError, match="negative"):
        job_repository.chunk_finished(job.id, -1)


def test_chunk_finished_needs_a_chunk_total(job_repository: JobRepository, make_job) -> None:
    job = make_job(started=True)
    with pytest.raises(IllegalTransitionError, match="no chunk total"):
        job_repository.chunk_finished(job.id, 0)


def test_chunks_finished_concurrently_are_all_counted(
    job_repository: JobRepository, make_job, open_database
) -> None:
    job = make_job(started=True)
    job_repository.set_chunk_total(job.id, 12)
    repositories = [JobRepository(open_database()) for _ in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda i: repositories[i % 4].chunk_finished(job.id, i), range(12)))
    final = job_repository.get(job.id)
    assert (final.chunks_done, final.progress) == (12, 95)


def test_complete_is_atomic(job_repository: JobRepository, make_job, database) -> None:
    """A failure after the job row was updated must undo it: no half-completed job, no content."""
    job = make_job(started=True)

    def install_failing_content_trigger(transaction) -> None:
        transaction.execute(
            """
            CREATE FUNCTION refuse_content() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'content write refused'; END; $$;
            CREATE TRIGGER refuse_content BEFORE UPDATE OF content ON assets
                FOR EACH ROW EXECUTE FUNCTION refuse_content();
            """
        )

    def remove_trigger(transaction) -> None:
        transaction.execute("DROP TRIGGER refuse_content ON assets; DROP FUNCTION refuse_content()")

    database.run(install_failing_content_trigger)
    try:
        with pytest.raises(StatementError, match="content write refused"):
            job_repository.complete(job.id, "the transcript", {"chunk_count": 1})
    finally:
        database.run(remove_trigger)
    after = job_repository.get(job.id)
    assert (after.status, after.progress, after.result, after.finished_at) == (
        JobStatus.PROCESSING,
        5,
        None,
        None,
    )
    assert job_repository.get_content(job.id) is None
    # Nothing is stuck: the same completion succeeds once the obstacle is gone.
    assert job_repository.complete(job.id, "the transcript", {"chunk_count": 1}).status is JobStatus.COMPLETED
    assert job_repository.get_content(job.id) == "the transcript"


def test_concurrent_completion_completes_once(
    job_repository: JobRepository, make_job, database, open_database
) -> None:
    job = make_job(started=True)
    # Count real transitions into completed, as the database sees them.
    database.run(
        lambda transaction: transaction.execute(
            """
            CREATE TABLE completion_log (job_id uuid, content text);
            CREATE FUNCTION log_completion() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO completion_log VALUES (NEW.id, NULL);
                RETURN NEW;
            END; $$;
            CREATE TRIGGER log_completion AFTER UPDATE ON assets_processing_jobs
                FOR EACH ROW WHEN (OLD.status <> 'completed' AND NEW.status = 'completed')
                EXECUTE FUNCTION log_completion();
            """
        )
    )
    try:
        workers = 8
        repositories = [JobRepository(open_database()) for _ in range(workers)]
        barrier = threading.Barrier(workers)

        def finish(worker: int):
            barrier.wait()
            return repositories[worker].complete(
                job.id, f"text from {worker}", {"chunk_count": 1, "worker": worker}
            )

        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(finish, range(workers)))

        def completions(transaction) -> int:
            rows = transaction.execute(
                "SELECT count(*) AS n FROM completion_log WHERE job_id = %(id)s", {"id": job.id}
            )
            return rows[0]["n"]

        assert database.run(completions) == 1
    finally:
        database.run(
            lambda transaction: transaction.execute(
                "DROP TRIGGER log_completion ON assets_processing_jobs; DROP FUNCTION log_completion();"
                "DROP TABLE completion_log"
            )
        )
    winner = results[0].result["worker"]
    assert all(r == results[0] for r in results)
    assert job_repository.get_content(job.id) == f"text from {winner}"
