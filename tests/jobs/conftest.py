"""Fixtures of the jobs tests: jobs for distinct source objects, the repository on both executors.

``job_repository`` is parametrized: every repository test runs once over psycopg2 and once over the
RDS Data API (a real boto3 ``rds-data`` client against the stand-in on 127.0.0.1, which executes on
the same throwaway PostgreSQL).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg2
import pytest
from psycopg2 import sql
from psycopg2.extensions import make_dsn

from mediascribe.jobs import Job
from mediascribe.jobs.database import Database
from mediascribe.jobs.executor import Executor
from mediascribe.jobs.repository import JobRepository
from support.fake_data_api import FakeDataApi, data_api_executor
from support.job_sources import job_id_for, next_key, source_for

ADAPTERS = ("psycopg2", "data-api")


@pytest.fixture(scope="session")
def data_api(_migrated: str) -> Iterator[FakeDataApi]:
    with FakeDataApi(_migrated) as api:
        yield api


@pytest.fixture(params=ADAPTERS)
def adapter(request) -> str:
    return request.param


@pytest.fixture
def open_executor(
    adapter: str, postgres_dsn: str, database: Database, request
) -> Iterator[Callable[[], Executor]]:
    """Independent executors on the test database, standing in for separate Lambda containers."""
    handles: list[Executor] = []

    def open_one() -> Executor:
        if adapter == "data-api":
            handles.append(
                data_api_executor(request.getfixturevalue("data_api"), resume_backoff_seconds=0.01)
            )
        else:
            handles.append(Database(postgres_dsn))
        return handles[-1]

    yield open_one
    for handle in handles:
        handle.close()


@pytest.fixture
def job_repository(open_executor: Callable[[], Executor]) -> JobRepository:
    return JobRepository(open_executor())


@pytest.fixture
def open_database(open_executor: Callable[[], Executor]) -> Callable[[], Executor]:
    return open_executor


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
def empty_dsn(postgres_dsn: str) -> Iterator[str]:
    """A database of its own with no tables, dropped afterwards."""
    name = f"migrations_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(postgres_dsn)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield make_dsn(postgres_dsn, dbname=name)
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        admin.close()


@pytest.fixture
def secrets_manager(monkeypatch) -> Iterator[Any]:
    """Secrets Manager on moto, with Powertools' cached provider reset around the test."""
    import boto3
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    DEFAULT_PROVIDERS.pop("secrets", None)
    with mock_aws():
        yield boto3.client("secretsmanager")
    DEFAULT_PROVIDERS.pop("secrets", None)


@pytest.fixture
def role_name(postgres_dsn: str) -> Iterator[str]:
    """A login role of its own per test (roles belong to the whole server), dropped afterwards."""
    name = f"mediascribe_app_{uuid.uuid4().hex[:8]}"
    yield name
    admin = psycopg2.connect(postgres_dsn)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
            if cursor.fetchone():
                cursor.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
                cursor.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
    finally:
        admin.close()


@pytest.fixture
def app_secret(secrets_manager, role_name: str) -> str:
    """The functions' login secret in Secrets Manager (moto), for the role ``role_name``."""
    value = {"username": role_name, "password": "from-secrets-manager-0123"}
    return str(secrets_manager.create_secret(Name="mediascribe-app", SecretString=json.dumps(value))["ARN"])
