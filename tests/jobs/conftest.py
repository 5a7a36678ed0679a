"""Fixtures of the jobs tests: jobs for distinct source objects, and extra database handles."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from jobs_support import job_id_for, next_key, source_for

from mediascribe.jobs import Job
from mediascribe.jobs.database import Database
from mediascribe.jobs.repository import JobRepository


@pytest.fixture
def make_job(job_repository: JobRepository) -> Callable[..., Job]:
    """Create a pending job for a new source object, optionally moved to processing."""

    def make(*, started: bool = False, filename: str = "talk.mp3") -> Job:
        source = source_for(f"uploads/{next_key()}/{filename}")
        job, created = job_repository.create_job(job_id_for(source), source, filename)
        assert created
        return job_repository.start(job.id) if started else job

    return make


@pytest.fixture
def open_database(postgres_dsn: str, database: Database) -> Iterator[Callable[[], Database]]:
    """Independent handles on the test database, standing in for separate Lambda containers."""
    handles: list[Database] = []

    def open_one() -> Database:
        handles.append(Database(postgres_dsn))
        return handles[-1]

    yield open_one
    for handle in handles:
        handle.close()
