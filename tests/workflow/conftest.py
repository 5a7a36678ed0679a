"""Fixtures for end-to-end workflow tests: the template's state machine on moto, real PostgreSQL,
real ffmpeg, and the real OpenAI SDK talking to the fake transcription server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from workflow_support import TEMPLATE

from mediascribe.jobs.database import Database
from mediascribe.jobs.repository import JobRepository
from mediascribe.local.runner import LocalOptions, LocalWorkflow
from support.fake_openai import FakeTranscriptionServer


@pytest.fixture
def fake_api() -> Iterator[FakeTranscriptionServer]:
    with FakeTranscriptionServer() as server:
        yield server


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    path = tmp_path / "lambda-tmp"
    path.mkdir()
    return path


WorkflowFactory = Callable[..., AbstractContextManager[LocalWorkflow]]


@pytest.fixture
def make_workflow(
    database: Database, postgres_dsn: str, fake_api: FakeTranscriptionServer, work_dir: Path
) -> WorkflowFactory:
    """``with make_workflow(**env) as wf:`` — a fresh moto world whose handlers use the fake API."""

    @contextmanager
    def factory(map_max_concurrency: int | None = None, **environment: str) -> Iterator[LocalWorkflow]:
        env = {
            "TRANSCRIPTION_ENGINE": "openai",
            "OPENAI_API_KEY": "sk-test-not-a-real-key",
            "OPENAI_BASE_URL": fake_api.base_url,
            "OPENAI_MAX_RETRIES": "1",
            **environment,
        }
        options = LocalOptions(
            database_url=postgres_dsn,
            temp_dir=work_dir,
            map_max_concurrency=map_max_concurrency,
            environment=env,
        )
        with LocalWorkflow(TEMPLATE, options) as workflow:
            yield workflow

    return factory


@pytest.fixture
def jobs(database: Database) -> JobRepository:
    return JobRepository(database)
