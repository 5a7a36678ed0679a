"""Fixtures of the hardening suite: whole uploads through the template's state machine on moto, with
real PostgreSQL, real ffmpeg and the real OpenAI SDK talking to the fake transcription server."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from hardening_support import DUMMY_API_KEY, TEMPLATE, text_unless_silent

from mediascribe.jobs.database import Database
from mediascribe.jobs.repository import JobRepository
from mediascribe.local.runner import LocalOptions, LocalWorkflow
from support.fake_openai import FakeTranscriptionServer

WorkflowFactory = Callable[..., AbstractContextManager[LocalWorkflow]]


class MediaLibrary:
    """Generated media shared by the whole session: each file is made once, on first use."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._made: dict[str, Path] = {}

    def get(self, name: str, make: Callable[[Path], Path]) -> Path:
        if name not in self._made:
            folder = self._directory / str(len(self._made))
            folder.mkdir()
            self._made[name] = make(folder / name)
        return self._made[name]


@pytest.fixture(scope="session")
def media_library(tmp_path_factory: pytest.TempPathFactory) -> MediaLibrary:
    return MediaLibrary(tmp_path_factory.mktemp("hardening-media"))


@pytest.fixture
def fake_api() -> Iterator[FakeTranscriptionServer]:
    with FakeTranscriptionServer(text_for=text_unless_silent, api_key=DUMMY_API_KEY) as server:
        yield server


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    path = tmp_path / "lambda-tmp"
    path.mkdir()
    return path


@pytest.fixture
def make_workflow(
    database: Database, postgres_dsn: str, fake_api: FakeTranscriptionServer, work_dir: Path
) -> WorkflowFactory:
    """``with make_workflow(**env) as wf:`` — a fresh moto world whose handlers use the fake API."""

    @contextmanager
    def factory(
        map_max_concurrency: int | None = None, database_url: str | None = None, **environment: str
    ) -> Iterator[LocalWorkflow]:
        env = {
            "TRANSCRIPTION_ENGINE": "openai",
            "OPENAI_API_KEY": DUMMY_API_KEY,
            "OPENAI_BASE_URL": fake_api.base_url,
            "OPENAI_MAX_RETRIES": "1",
            **environment,
        }
        options = LocalOptions(
            database_url=database_url or postgres_dsn,
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


@pytest.fixture
def retry_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the state machine's Retry rules asked for, each actually slept for 1% of its length.

    The ASL's intervals (seconds, doubling, full jitter) are what production uses; the test keeps
    them but does not spend them, and can assert that retries happened and how many.
    """
    import time

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds / 100)

    monkeypatch.setattr(retrier_decl, "time", types.SimpleNamespace(sleep=sleep))
    return waits
