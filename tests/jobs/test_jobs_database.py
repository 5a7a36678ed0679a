"""Connection handling against the real server: reuse, recovery, bounded retries, configuration."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import psycopg2
import pytest
from psycopg2.extensions import parse_dsn

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError, DatabaseUnavailableError
from mediascribe.jobs.connect import clear_executor_cache, executor_from_settings
from mediascribe.jobs.database import Database
from mediascribe.jobs.repository import JobRepository
from mediascribe.jobs.secret import dsn_from_secret, rds_ca_bundle


def backend_pid(database: Database) -> int:
    return database.run(lambda transaction: transaction.execute("SELECT pg_backend_pid() AS pid")[0]["pid"])


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
        database.run(lambda transaction: transaction.execute("SELECT 1"))
    assert len(connects) == 3
    assert error.value.retryable
    assert "s3cret-pw" not in str(error.value)
    assert "s3cret-pw" not in caplog.text and "s3cret-pw" not in repr(database)


def test_errors_in_the_work_roll_back_and_are_not_retried(database: Database) -> None:
    calls = []

    def work(transaction) -> None:
        calls.append(1)
        transaction.execute("CREATE TABLE scratch_rollback (x int)")
        raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError, match="changed my mind"):
        database.run(work)
    assert calls == [1]

    def scratch_exists(transaction) -> bool:
        return transaction.execute("SELECT to_regclass('scratch_rollback') IS NOT NULL AS present")[0][
            "present"
        ]

    assert database.run(scratch_exists) is False


def test_closed_handle_refuses_work(postgres_dsn: str) -> None:
    database = Database(postgres_dsn)
    database.run(lambda transaction: transaction.execute("SELECT 1"))
    database.close()
    with pytest.raises(DatabaseUnavailableError, match="closed"):
        database.run(lambda transaction: transaction.execute("SELECT 1"))


def test_executor_from_settings_is_cached_and_never_migrates(empty_dsn: str) -> None:
    """The functions' runtime path only reads and writes rows: an unmigrated database stays empty."""
    settings = Settings(database_url=empty_dsn)
    try:
        first = executor_from_settings(settings)
        assert executor_from_settings(settings) is first
        tables = first.run(
            lambda transaction: transaction.execute(
                "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'"
            )
        )
        assert tables == [{"n": 0}]
    finally:
        clear_executor_cache()
    with pytest.raises(DatabaseUnavailableError):
        first.run(lambda transaction: None)


def test_database_settings_are_required() -> None:
    with pytest.raises(ConfigurationError, match="DATABASE_URL or DATABASE_SECRET_ARN"):
        executor_from_settings(Settings())


def test_dsn_from_a_full_secret_verifies_the_server_certificate(secrets_manager) -> None:
    secret = {
        "host": "db.example.internal",
        "port": 5433,
        "username": "app",
        "password": "p@ss w'rd",
        "dbname": "media",
    }
    arn = secrets_manager.create_secret(Name="mediascribe/db", SecretString=json.dumps(secret))["ARN"]
    parsed = parse_dsn(dsn_from_secret(arn, Settings()))
    assert parsed == {
        "host": "db.example.internal",
        "port": "5433",
        "user": "app",
        "password": "p@ss w'rd",
        "dbname": "media",
        "sslmode": "verify-full",
        "sslrootcert": rds_ca_bundle(),
    }


def test_rds_managed_secret_takes_host_port_and_name_from_settings(secrets_manager) -> None:
    """RDS-managed master secrets hold only username and password."""
    arn = secrets_manager.create_secret(
        Name="rds!cluster-1", SecretString=json.dumps({"username": "postgres", "password": "pw"})
    )["ARN"]
    settings = Settings(database_host="cluster.example.internal", database_port=6543, database_name="media")
    parsed = parse_dsn(dsn_from_secret(arn, settings))
    assert (parsed["host"], parsed["port"], parsed["dbname"], parsed["user"]) == (
        "cluster.example.internal",
        "6543",
        "media",
        "postgres",
    )
    with pytest.raises(ConfigurationError, match="DATABASE_HOST"):
        dsn_from_secret(arn, Settings())


def test_the_rds_ca_bundle_ships_with_the_package() -> None:
    pem = Path(rds_ca_bundle()).read_text(encoding="ascii")
    assert pem.count("-----BEGIN CERTIFICATE-----") >= 20
    assert "Amazon RDS us-east-1 Root CA RSA2048 G1" in _subjects(rds_ca_bundle())


def _subjects(path: str) -> str:
    from cryptography import x509

    data = Path(path).read_bytes()
    return "\n".join(cert.subject.rfc4514_string() for cert in x509.load_pem_x509_certificates(data))


def test_incomplete_secret_is_a_configuration_error(secrets_manager) -> None:
    arn = secrets_manager.create_secret(Name="mediascribe/bad", SecretString=json.dumps({"host": "h"}))["ARN"]
    with pytest.raises(ConfigurationError, match="username, password"):
        dsn_from_secret(arn, Settings())
