"""Shared fixtures: a real PostgreSQL for the session, a migrated and emptied database per test, and
the local workflow (the template's state machine on moto) wired to the fake transcription server.

Without ``DATABASE_URL`` every pytest session starts its own throwaway cluster on a free port, so
sessions running side by side never see each other's rows. With ``DATABASE_URL`` the session works in
a scratch database created next to the configured one (dropped at the end) when the role may create
databases, and in the configured database itself otherwise.
"""

from __future__ import annotations

import logging
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

import mediascribe.observability  # noqa: F401 - configures the service logger before any level is saved
from mediascribe.config import Settings
from support.paths import TEMPLATE

if TYPE_CHECKING:
    # Imported where the fixtures run, so the unit tier never loads the database or moto code.
    from mediascribe.jobs.database import Database
    from mediascribe.jobs.repository import JobRepository
    from mediascribe.local.workflow import LocalWorkflow
    from support.fake_openai import FakeTranscriptionServer

TESTS = Path(__file__).resolve().parent
# Folders whose tests are a tier of their own, whatever they use.
FOLDER_TIERS = {"template": "infra", "e2e": "e2e", "rehearsal": "rehearsal"}
# A test that uses one of these fixtures, or whose module imports from one of these modules, needs a
# PostgreSQL server or the local workflow on moto.
SERVICE_FIXTURES = {"postgres_dsn"}
SERVICE_MODULES = (
    "moto",
    "mediascribe.local.workflow",
    "mediascribe.local.postgres",
    "mediascribe.local.lambda_bridge",
    "mediascribe.local.job",
)
WorkflowFactory = Callable[..., AbstractContextManager["LocalWorkflow"]]
# Loggers the CLI quiets so that stdout carries only the transcript.
QUIETED_LOGGERS = ("mediascribe", "moto", "botocore", "faster_whisper")


@contextmanager
def _scratch_database(url: str) -> Iterator[str]:
    import psycopg2
    from psycopg2 import sql
    from psycopg2.extensions import make_dsn

    name = f"mediascribe_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(url, connect_timeout=10)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg2.Error as exc:
        admin.close()
        warnings.warn(f"cannot create a scratch database ({exc}); tests use DATABASE_URL as is", stacklevel=1)
        yield url
        return
    try:
        yield make_dsn(url, dbname=name)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()


@pytest.fixture(autouse=True)
def _logger_levels() -> Iterator[None]:
    """Every test ends with the logger levels it started with, whatever a CLI run inside it set, so a
    later test's log assertions see the records they look for."""
    levels = {name: logging.getLogger(name).level for name in QUIETED_LOGGERS}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A connection string for a real, empty PostgreSQL database owned by this test session."""
    from psycopg2.extensions import parse_dsn

    from mediascribe.local.postgres import LocalPostgres

    url = Settings.from_env().database_url
    if url:
        parse_dsn(url)
        with _scratch_database(url) as dsn:
            yield dsn
    else:
        with LocalPostgres() as server:
            yield server.dsn


@pytest.fixture(scope="session")
def _migrated(postgres_dsn: str) -> str:
    from mediascribe.jobs.database import Database
    from mediascribe.jobs.schema import apply_migrations

    database = Database(postgres_dsn)
    try:
        apply_migrations(database)
    finally:
        database.close()
    return postgres_dsn


@pytest.fixture
def database(_migrated: str) -> Iterator[Database]:
    """A fresh ``Database`` handle on the migrated schema, with every job and asset deleted first."""
    from mediascribe.jobs.database import Database

    handle = Database(_migrated)
    handle.run(lambda transaction: transaction.execute("TRUNCATE assets_processing_jobs, assets CASCADE"))
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture
def job_repository(database: Database) -> JobRepository:
    from mediascribe.jobs.repository import JobRepository

    return JobRepository(database)


@pytest.fixture
def jobs(job_repository: JobRepository) -> JobRepository:
    return job_repository


@pytest.fixture
def test_api_key() -> str:
    """The API key the handlers send; never a real one."""
    return "sk-test-not-a-real-key"


@pytest.fixture
def fake_api() -> Iterator[FakeTranscriptionServer]:
    from support.fake_openai import FakeTranscriptionServer

    with FakeTranscriptionServer() as server:
        yield server


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch,
    postgres_dsn: str,
    database: Database,
    test_api_key: str,
    fake_api: FakeTranscriptionServer,
) -> FakeTranscriptionServer:
    """The command as a user with a key would run it, against the fake API and the test database."""
    monkeypatch.setenv("DATABASE_URL", postgres_dsn)
    monkeypatch.setenv("OPENAI_API_KEY", test_api_key)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_api.base_url)
    monkeypatch.setenv("OPENAI_MAX_RETRIES", "0")
    return fake_api


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    """The handlers' TEMP_DIR: job workspaces appear and must disappear here."""
    path = tmp_path / "lambda-tmp"
    path.mkdir()
    return path


@pytest.fixture
def make_workflow(
    database: Database,
    postgres_dsn: str,
    fake_api: FakeTranscriptionServer,
    work_dir: Path,
    test_api_key: str,
) -> WorkflowFactory:
    """``with make_workflow(**env) as wf:`` — a fresh moto world whose handlers use the fake API."""
    from mediascribe.local.workflow import LocalOptions, LocalWorkflow

    @contextmanager
    def factory(
        map_max_concurrency: int | None = None, database_url: str | None = None, **environment: str
    ) -> Iterator[LocalWorkflow]:
        env = {
            "TRANSCRIPTION_ENGINE": "openai",
            "OPENAI_API_KEY": test_api_key,
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give every test exactly one tier marker, so ``-m unit`` and friends select by cost."""
    for item in items:
        item.add_marker(_tier(item))


def _tier(item: pytest.Item) -> str:
    folder = item.path.relative_to(TESTS).parts[0]
    if folder in FOLDER_TIERS:
        return FOLDER_TIERS[folder]
    if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())) or _imports_services(item):
        return "integration"
    return "unit"


def _imports_services(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    for value in vars(module).values() if module is not None else ():
        origin = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
        if isinstance(origin, str) and origin.startswith(SERVICE_MODULES):
            return True
    return False
