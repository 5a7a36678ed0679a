"""Schema migrations on an empty database: applied once, whoever runs them and however often."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest
from psycopg2 import sql
from psycopg2.extensions import make_dsn

from mediascribe.jobs.database import Database
from mediascribe.jobs.schema import apply_migrations, available_migrations


@pytest.fixture
def empty_dsn(postgres_dsn: str) -> Iterator[str]:
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


def applied_versions(database: Database) -> list[str]:
    def work(cursor) -> list[str]:
        cursor.execute("SELECT version FROM schema_migrations ORDER BY version")
        return [row["version"] for row in cursor.fetchall()]

    return database.run(work)


def test_migrations_are_versioned_sql_files() -> None:
    migrations = available_migrations()
    assert [m.version for m in migrations] == sorted({m.version for m in migrations})
    assert migrations[0].name == "0001_jobs_and_assets.sql"
    assert "CREATE TABLE assets_processing_jobs" in migrations[0].sql


def test_running_twice_applies_each_migration_once(empty_dsn: str) -> None:
    database = Database(empty_dsn)
    try:
        everything = [m.version for m in available_migrations()]
        assert database.migrate() == everything
        assert apply_migrations(database) == []
        assert applied_versions(database) == everything
    finally:
        database.close()


def test_concurrent_cold_starts_apply_each_migration_once(empty_dsn: str) -> None:
    workers = 6
    handles = [Database(empty_dsn) for _ in range(workers)]
    barrier = threading.Barrier(workers)

    def cold_start(worker: int) -> list[str]:
        barrier.wait()
        return handles[worker].migrate()

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(cold_start, range(workers)))
        everything = [m.version for m in available_migrations()]
        assert sorted(outcomes) == [[]] * (workers - 1) + [everything]
        assert applied_versions(handles[0]) == everything
    finally:
        for handle in handles:
            handle.close()


def test_schema_constraints_guard_the_data(database: Database) -> None:
    """The database itself refuses impossible rows, whatever code writes them."""

    def insert(cursor, status: str, progress: int) -> None:
        cursor.execute(
            "INSERT INTO assets (original_filename, source_bucket, source_key) "
            "VALUES ('a', 'b', %s) RETURNING id",
            (str(uuid.uuid4()),),
        )
        asset_id = cursor.fetchone()["id"]
        cursor.execute(
            "INSERT INTO assets_processing_jobs (id, asset_id, status, progress) VALUES (%s, %s, %s, %s)",
            (str(uuid.uuid4()), asset_id, status, progress),
        )

    for status, progress in (("running", 0), ("pending", 101), ("pending", -1), ("completed", 50)):
        with pytest.raises(psycopg2.errors.CheckViolation):
            database.run(lambda cursor, s=status, p=progress: insert(cursor, s, p))
    database.run(lambda cursor: insert(cursor, "pending", 0))
