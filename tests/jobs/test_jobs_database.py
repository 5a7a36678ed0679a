"""Connection handling against the real server: reuse, recovery, bounded retries, configuration."""

from __future__ import annotations

import json
import logging
import socket

import boto3
import psycopg2
import pytest
from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS
from moto import mock_aws
from psycopg2.extensions import parse_dsn

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError, DatabaseUnavailableError
from mediascribe.jobs.database import Database, clear_database_cache, database_from_settings, dsn_from_secret
from mediascribe.jobs.repository import JobRepository


def backend_pid(database: Database) -> int:
    def work(cursor) -> int:
        cursor.execute("SELECT pg_backend_pid() AS pid")
        return cursor.fetchone()["pid"]

    return database.run(work)


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_is_reused_between_calls(database: Database) -> None:
    assert backend_pid(database) == backend_pid(database)


def test_dropped_connection_is_replaced_transparently(
    database: Database, job_repository: JobRepository, make_job, postgres_dsn: str
) -> None:
    job = make_job()
    doomed = backend_pid(database)
    admin = psycopg2.connect(postgres_dsn)
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", (doomed,))
            assert cursor.fetchone()[0] is True
    finally:
        admin.close()
    # The next call hits the dead connection, reconnects and answers as if nothing happened.
    assert job_repository.start(job.id).progress == 5
    assert backend_pid(database) != doomed


def test_unreachable_server_raises_retryable_error_after_bounded_attempts(caplog) -> None:
    connects = []
    secret_dsn = f"postgresql://writer:s3cret-pw@127.0.0.1:{unused_port()}/mediascribe"

    def dsn() -> str:
        connects.append(1)
        return secret_dsn

    database = Database(dsn, connect_timeout=1, attempts=3)
    with (
        caplog.at_level(logging.DEBUG),
        pytest.raises(DatabaseUnavailableError, match="after 3 attempts") as error,
    ):
        database.run(lambda cursor: cursor.execute("SELECT 1"))
    assert len(connects) == 3
    assert error.value.retryable
    assert "s3cret-pw" not in str(error.value)
    assert "s3cret-pw" not in caplog.text and "s3cret-pw" not in repr(database)


def test_errors_in_the_work_roll_back_and_are_not_retried(database: Database) -> None:
    calls = []

    def work(cursor) -> None:
        calls.append(1)
        cursor.execute("CREATE TABLE scratch_rollback (x int)")
        raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError, match="changed my mind"):
        database.run(work)
    assert calls == [1]

    def scratch_exists(cursor) -> bool:
        cursor.execute("SELECT to_regclass('scratch_rollback') IS NOT NULL AS present")
        return cursor.fetchone()["present"]

    assert database.run(scratch_exists) is False


def test_closed_handle_refuses_work(postgres_dsn: str) -> None:
    database = Database(postgres_dsn)
    database.run(lambda cursor: cursor.execute("SELECT 1"))
    database.close()
    with pytest.raises(DatabaseUnavailableError, match="closed"):
        database.run(lambda cursor: cursor.execute("SELECT 1"))


def test_database_from_settings_is_cached_and_migrated(postgres_dsn: str, database: Database) -> None:
    settings = Settings(database_url=postgres_dsn)
    try:
        first = database_from_settings(settings)
        assert database_from_settings(settings) is first
        JobRepository(first).fail_stale_jobs(0)
    finally:
        clear_database_cache()
    with pytest.raises(DatabaseUnavailableError):
        first.run(lambda cursor: None)


def test_database_settings_are_required() -> None:
    with pytest.raises(ConfigurationError, match="DATABASE_URL or DATABASE_SECRET_ARN"):
        database_from_settings(Settings())


@pytest.fixture
def secrets_manager(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    DEFAULT_PROVIDERS.pop("secrets", None)
    with mock_aws():
        yield boto3.client("secretsmanager")
    DEFAULT_PROVIDERS.pop("secrets", None)


def test_dsn_from_an_rds_secret_requires_tls(secrets_manager) -> None:
    secret = {
        "host": "db.example.internal",
        "port": 5433,
        "username": "app",
        "password": "p@ss w'rd",
        "dbname": "media",
    }
    arn = secrets_manager.create_secret(Name="mediascribe/db", SecretString=json.dumps(secret))["ARN"]
    parsed = parse_dsn(dsn_from_secret(arn))
    assert parsed == {
        "host": "db.example.internal",
        "port": "5433",
        "user": "app",
        "password": "p@ss w'rd",
        "dbname": "media",
        "sslmode": "require",
    }


def test_incomplete_secret_is_a_configuration_error(secrets_manager) -> None:
    arn = secrets_manager.create_secret(Name="mediascribe/bad", SecretString=json.dumps({"host": "h"}))["ARN"]
    with pytest.raises(ConfigurationError, match="username, password"):
        dsn_from_secret(arn)
