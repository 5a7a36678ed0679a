"""Requests to rewrite a job's notes, counted in a rolling day, on both executors."""

from __future__ import annotations

import uuid

import pytest

from mediascribe.errors import JobNotFoundError

DAY = 24 * 60 * 60


def age_requests(database, job_id: str, seconds: int, *, oldest_only: bool = False) -> None:
    """Move the job's recorded requests (or only its oldest) ``seconds`` into the past."""
    database.execute(
        "UPDATE notes_requests SET requested_at = requested_at - make_interval(secs => %(seconds)s) "
        "WHERE job_id = %(id)s AND (NOT %(oldest_only)s OR id = "
        "(SELECT min(id) FROM notes_requests WHERE job_id = %(id)s))",
        {"id": uuid.UUID(job_id), "seconds": seconds, "oldest_only": oldest_only},
    )


def test_three_a_day_then_the_wait_for_the_oldest(job_repository, make_job, database) -> None:
    job = make_job()
    other = make_job()
    admit = job_repository.admit_notes_request
    assert [admit(job.id, limit=3, window_seconds=DAY) for _ in range(3)] == [None, None, None]
    # A full day to wait for the oldest of the three; another job counts on its own.
    assert DAY - 60 < admit(job.id, limit=3, window_seconds=DAY) <= DAY
    assert admit(other.id, limit=3, window_seconds=DAY) is None
    age_requests(database, job.id, 10 * 60 * 60, oldest_only=True)
    assert 14 * 60 * 60 - 60 < admit(job.id, limit=3, window_seconds=DAY) <= 14 * 60 * 60
    # The refused requests were not counted: once the oldest is a day old, one place is free.
    age_requests(database, job.id, 14 * 60 * 60, oldest_only=True)
    assert admit(job.id, limit=3, window_seconds=DAY) is None
    assert admit(job.id, limit=3, window_seconds=DAY) is not None
    # Requests older than the day are not kept.
    (kept,) = database.execute(
        "SELECT count(*) AS n FROM notes_requests WHERE job_id = %(id)s", {"id": uuid.UUID(job.id)}
    )
    assert kept["n"] == 3


def test_an_unknown_job_is_not_found(job_repository) -> None:
    with pytest.raises(JobNotFoundError):
        job_repository.admit_notes_request(str(uuid.uuid4()), limit=3, window_seconds=DAY)
