"""One job per source object, however often and however concurrently it is announced."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from mediascribe.errors import InvalidJobIdError
from mediascribe.jobs import JobStatus
from mediascribe.jobs.repository import JobRepository
from support.job_sources import job_id_for, source_for


def count_rows(database) -> tuple[int, int]:
    def work(transaction) -> tuple[int, int]:
        row = transaction.execute(
            "SELECT (SELECT count(*) FROM assets) AS a, (SELECT count(*) FROM assets_processing_jobs) AS j"
        )[0]
        return row["a"], row["j"]

    return database.run(work)


def test_same_source_object_returns_the_existing_job(job_repository: JobRepository, database) -> None:
    source = source_for("uploads/meeting.mp3")
    first, created = job_repository.create_job(job_id_for(source), source, "meeting.mp3")
    job_repository.start(first.id)
    again, created_again = job_repository.create_job(job_id_for(source), source, "meeting.mp3")
    assert (created, created_again) == (True, False)
    assert again.id == first.id and again.status is JobStatus.PROCESSING
    assert count_rows(database) == (1, 1)


def test_new_version_of_the_same_key_is_a_new_job(job_repository: JobRepository, database) -> None:
    by_etag = [source_for("uploads/a.mp3", etag=etag) for etag in ('"e1"', '"e2"')]
    by_version = source_for("uploads/a.mp3", etag='"e1"', version_id="v-123")
    ids = set()
    for source in [*by_etag, by_version]:
        job, created = job_repository.create_job(job_id_for(source), source, "a.mp3")
        assert created
        ids.add(job.id)
    assert len(ids) == 3 and count_rows(database) == (3, 3)
    assert job_repository.get(job_id_for(by_version)).source.version_id == "v-123"


def test_job_id_already_used_by_another_source_is_refused(job_repository: JobRepository, database) -> None:
    first = source_for("uploads/one.mp3")
    job_repository.create_job(job_id_for(first), first, "one.mp3")
    with pytest.raises(InvalidJobIdError, match="another source object"):
        job_repository.create_job(job_id_for(first), source_for("uploads/two.mp3"), "two.mp3")
    assert count_rows(database) == (1, 1)


def test_concurrent_creates_make_one_job(job_repository: JobRepository, database, open_database) -> None:
    """Eight containers receiving the same S3 event at once: one inserts, seven find its job."""
    workers = 8
    source = source_for("uploads/popular.mp3")
    repositories = [JobRepository(open_database()) for _ in range(workers)]
    barrier = threading.Barrier(workers)

    def create(worker: int):
        barrier.wait()
        return repositories[worker].create_job(job_id_for(source), source, "popular.mp3")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(create, range(workers)))
    assert sorted(created for _, created in outcomes) == [False] * (workers - 1) + [True]
    assert {job.id for job, _ in outcomes} == {job_id_for(source)}
    assert count_rows(database) == (1, 1)


def test_threads_sharing_one_handle_are_serialised_safely(job_repository: JobRepository, database) -> None:
    """The local runner calls handlers from several threads that share one process-wide handle."""
    sources = [source_for(f"uploads/shared/{i}.mp3") for i in range(16)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda s: job_repository.create_job(job_id_for(s), s, "x.mp3"), sources * 2))
    assert sum(created for _, created in outcomes) == 16
    assert count_rows(database) == (16, 16)
