"""Versioned schema migrations: plain SQL files applied in order, each exactly once.

A small runner instead of a migration tool: it adds no dependency to the Lambda layer, the SQL stays
readable and reviewable as written, and the schema is small. Files named ``NNNN_description.sql`` in
the ``migrations`` directory next to this module are applied in version order. Each runs in its own
transaction together with its row in ``schema_migrations``, so a failed migration leaves no trace.
Every transaction first takes a transaction-scoped advisory lock, so two deployments (or a deployment
and a local setup) applying at once queue behind each other and the later one finds the work done.
A file is sent one statement at a time: the Data API prepares each call as a single statement.

Migrations run once per deployment (the migrate function) or explicitly at local setup, never on a
function's request path; the runtime only needs rights to read and write rows.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from importlib import resources

from mediascribe.jobs.executor import Executor, Transaction
from mediascribe.jobs.sql_script import split_statements

logger = logging.getLogger(__name__)

# An arbitrary constant that identifies "mediascribe schema changes" among advisory locks.
_MIGRATION_LOCK_KEY = 0x6D656469
_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    directory = resources.files("mediascribe.jobs").joinpath("migrations")
    found = []
    for entry in directory.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(match.group(1), entry.name, entry.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions in {sorted(versions)}")
    return sorted(found, key=lambda m: m.version)


def apply_migrations(executor: Executor) -> list[str]:
    """Bring the schema up to date; returns the versions applied by this call."""
    executor.run(_create_tracking_table)
    applied = []
    for migration in available_migrations():
        if executor.run(functools.partial(_apply_one, migration=migration)):
            applied.append(migration.version)
            logger.info("applied schema migration", extra={"migration": migration.name})
    return applied


def hold_migration_lock(transaction: Transaction) -> None:
    """Queue behind any other schema change until this transaction ends."""
    transaction.execute("SELECT pg_advisory_xact_lock(%(key)s)", {"key": _MIGRATION_LOCK_KEY})


def _create_tracking_table(transaction: Transaction) -> None:
    # Under the lock: concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog.
    hold_migration_lock(transaction)
    # Checked first, because CREATE ... IF NOT EXISTS needs the right to create: a login that only
    # reads and writes rows can then confirm an up-to-date schema, and fails only on pending work.
    (found,) = transaction.execute("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
    if found["present"]:
        return
    transaction.execute(
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    text PRIMARY KEY,
            name       text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )


def _apply_one(transaction: Transaction, migration: Migration) -> bool:
    hold_migration_lock(transaction)
    done = transaction.execute(
        "SELECT 1 AS done FROM schema_migrations WHERE version = %(version)s", {"version": migration.version}
    )
    if done:
        return False
    for statement in split_statements(migration.sql):
        transaction.execute(statement.replace("%", "%%"))
    transaction.execute(
        "INSERT INTO schema_migrations (version, name) VALUES (%(version)s, %(name)s)",
        {"version": migration.version, "name": migration.name},
    )
    return True
