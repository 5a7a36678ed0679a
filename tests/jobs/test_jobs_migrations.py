"""Schema migrations on an empty database: applied once, whoever runs them and however often."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from mediascribe.jobs.database import Database
from mediascribe.jobs.executor import StatementError
from mediascribe.jobs.schema import apply_migrations, available_migrations


def applied_versions(database: Database) -> list[str]:
    rows = database.run(
        lambda transaction: transaction.execute("SELECT version FROM schema_migrations ORDER BY version")
    )
    return [row["version"] for row in rows]


def test_migrations_are_versioned_sql_files() -> None:
    migrations = available_migrations()
    assert [m.version for m in migrations] == sorted({m.version for m in migrations})
    assert migrations[0].name == "0001_jobs_and_assets.sql"
    assert "CREATE TABLE assets_processing_jobs" in migrations[0].sql


def test_running_twice_applies_each_migration_once(empty_dsn: str) -> None:
    database = Database(empty_dsn)
    try:
        everything = [m.version for m in available_migrations()]
        assert apply_migrations(database) == everything
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
        return apply_migrations(handles[worker])

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(cold_start, range(workers)))
        everything = [m.version for m in available_migrations()]
        # Each migration is applied by exactly one of them (not necessarily all by the same one).
        assert sorted(version for applied in outcomes for version in applied) == everything
        assert applied_versions(handles[0]) == everything
    finally:
        for handle in handles:
            handle.close()


def test_schema_constraints_guard_the_data(database: Database) -> None:
    """The database itself refuses impossible rows, whatever code writes them."""

    def insert(transaction, status: str, progress: int) -> None:
        asset_id = transaction.execute(
            "INSERT INTO assets (original_filename, source_bucket, source_key) "
            "VALUES ('a', 'b', %(key)s) RETURNING id",
            {"key": str(uuid.uuid4())},
        )[0]["id"]
        transaction.execute(
            "INSERT INTO assets_processing_jobs (id, asset_id, status, progress) "
            "VALUES (%(id)s, %(asset_id)s, %(status)s, %(progress)s)",
            {"id": uuid.uuid4(), "asset_id": uuid.UUID(asset_id), "status": status, "progress": progress},
        )

    for status, progress in (("running", 0), ("pending", 101), ("pending", -1), ("completed", 50)):
        with pytest.raises(StatementError, match="violates check constraint"):
            database.run(lambda transaction, s=status, p=progress: insert(transaction, s, p))
    database.run(lambda transaction: insert(transaction, "pending", 0))
