"""Fixtures of the search tests: the jobs tests' executors on both adapters, and completed jobs.

``open_executor`` (from the jobs tests) runs each test once over psycopg2 and once over the RDS Data
API stand-in; ``finished_job`` makes a completed job with given segments through the repository, as
the finalize step leaves it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from jobs.conftest import adapter, data_api, open_executor  # noqa: F401 - fixtures, shared as they are
from mediascribe.jobs import Job
from mediascribe.jobs.executor import Executor
from mediascribe.jobs.repository import JobRepository
from mediascribe.transcription.models import Segment
from support.job_sources import job_id_for, next_key, source_for

FinishedJob = Callable[..., Job]


@pytest.fixture
def executor(open_executor: Callable[[], Executor]) -> Executor:  # noqa: F811
    return open_executor()


@pytest.fixture
def repository(executor: Executor) -> JobRepository:
    return JobRepository(executor)


@pytest.fixture
def finished_job(repository: JobRepository) -> FinishedJob:
    """A completed job under ``folder`` whose transcript is ``texts`` (one segment each, 5 s apart)."""

    def make(
        texts: Sequence[str] | Sequence[Segment],
        *,
        folder: str = "uploads/shared",
        language: str | None = None,
        complete: bool = True,
        filename: str = "talk.mp3",
    ) -> Job:
        source = source_for(f"{folder}/{next_key()}/{filename}")
        job, _ = repository.create_job(job_id_for(source), source, filename)
        repository.start(job.id)
        segments = [
            item if isinstance(item, Segment) else Segment(5.0 * i, 5.0 * i + 4.0, item, "Speaker 1")
            for i, item in enumerate(texts)
        ]
        repository.store_segments(job.id, segments, language)
        if not complete:
            return repository.get(job.id)
        text = " ".join(segment.text for segment in segments)
        return repository.complete(job.id, text, {"outputs": {}, "chunk_count": 1})

    return make
