"""One PostgreSQL connection per process, reused while it works and re-opened when it drops.

A warm Lambda container keeps its connection between invocations, so most calls cost one round trip
instead of a TLS handshake. The local runner calls handlers from several threads (the Map state's
concurrency), so the single connection is guarded by a lock: every unit of work runs as one short
transaction while holding it. Database calls take milliseconds next to seconds of transcription, so
serialising them costs nothing measurable, and the process still opens exactly one connection, as in
Lambda. Concurrency between processes (Lambda containers) is handled by the SQL itself, not here.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError, DatabaseUnavailableError

logger = logging.getLogger(__name__)

T = TypeVar("T")
Cursor = psycopg2.extras.RealDictCursor
DsnSource = str | Callable[[], str]

_BACKOFF_SECONDS = 0.2
_MAX_BACKOFF_SECONDS = 2.0
_SECRET_MAX_AGE_SECONDS = 300
# Connection-level failures: the server went away, the network dropped, or a deadlock/serialization
# conflict aborted the transaction. Running the whole unit of work again is the cure for all three.
_TRANSIENT_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)


class Database:
    """Runs units of work in transactions on a lazily opened, reused connection.

    ``dsn`` is a libpq connection string or URL, or a function returning one (called for every new
    connection, so a rotated secret is picked up on reconnect). It is never logged.
    """

    def __init__(self, dsn: DsnSource, *, connect_timeout: int = 5, attempts: int = 3) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._dsn = dsn
        self._connect_timeout = connect_timeout
        self._attempts = attempts
        self._connection: psycopg2.extensions.connection | None = None
        self._lock = threading.RLock()
        self._closed = False

    def __repr__(self) -> str:
        return f"Database(connected={self._connection is not None}, attempts={self._attempts})"

    def run(self, work: Callable[[Cursor], T]) -> T:
        """Run ``work(cursor)`` in one transaction: committed if it returns, rolled back if it raises.

        Connection failures are retried with a fresh connection up to ``attempts`` times, so ``work``
        must be safe to run again: every repository operation is written to be idempotent because a
        commit whose acknowledgement was lost cannot be told apart from one that never happened.
        """
        with self._lock:
            if self._closed:
                raise DatabaseUnavailableError("the database handle was closed")
            last_error: Exception | None = None
            for attempt in range(1, self._attempts + 1):
                try:
                    connection = self._connect()
                    with connection, connection.cursor() as cursor:
                        return work(cursor)
                except _TRANSIENT_ERRORS as exc:
                    last_error = exc
                    self._discard_connection()
                    logger.warning(
                        "database call failed",
                        extra={"attempt": attempt, "attempts": self._attempts, "error": _describe(exc)},
                    )
                    if attempt < self._attempts:
                        time.sleep(min(_BACKOFF_SECONDS * 2 ** (attempt - 1), _MAX_BACKOFF_SECONDS))
            raise DatabaseUnavailableError(
                f"database unavailable after {self._attempts} attempts: {_describe(last_error)}"
            ) from last_error

    def migrate(self) -> list[str]:
        """Apply pending schema migrations; returns the versions applied now (empty when up to date)."""
        from mediascribe.jobs.schema import apply_migrations

        return apply_migrations(self)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._discard_connection()

    def _connect(self) -> psycopg2.extensions.connection:
        if self._connection is not None and not self._connection.closed:
            return self._connection
        dsn = self._dsn() if callable(self._dsn) else self._dsn
        self._connection = psycopg2.connect(
            dsn,
            connect_timeout=self._connect_timeout,
            application_name="mediascribe",
            cursor_factory=Cursor,
        )
        return self._connection

    def _discard_connection(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(psycopg2.Error):
                self._connection.close()
            self._connection = None


def _describe(exc: BaseException | None) -> str:
    """The error class and first line of libpq's message, which names host and port but no secrets."""
    if exc is None:
        return "unknown error"
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line}"


_cache: dict[tuple[str, str], Database] = {}
_cache_lock = threading.Lock()


def database_from_settings(settings: Settings) -> Database:
    """The process-wide, migrated ``Database`` for these settings (built once per warm container).

    ``DATABASE_URL`` wins (local runs and tests); otherwise the RDS secret named by
    ``DATABASE_SECRET_ARN`` is read through Powertools parameters, which caches it for five minutes.
    """
    if settings.database_url:
        key, dsn = ("url", settings.database_url), settings.database_url
    elif settings.database_secret_arn:
        arn = settings.database_secret_arn
        key, dsn = ("secret", arn), lambda: dsn_from_secret(arn)
    else:
        raise ConfigurationError("set DATABASE_URL or DATABASE_SECRET_ARN")
    with _cache_lock:
        database = _cache.get(key)
        if database is None:
            database = Database(
                dsn,
                connect_timeout=settings.database_connect_timeout_seconds,
                attempts=settings.database_connect_attempts,
            )
            database.migrate()
            _cache[key] = database
        return database


def clear_database_cache() -> None:
    """Close every cached handle; for tests and local runs that switch databases within a process."""
    with _cache_lock:
        for database in _cache.values():
            database.close()
        _cache.clear()


def dsn_from_secret(secret_arn: str) -> str:
    """A TLS-only connection string from an RDS-style secret (host, port, username, password, dbname)."""
    from aws_lambda_powertools.utilities import parameters

    secret: Any = parameters.get_secret(secret_arn, transform="json", max_age=_SECRET_MAX_AGE_SECONDS)
    if not isinstance(secret, dict):
        raise ConfigurationError("the database secret is not a JSON object")
    missing = [name for name in ("host", "username", "password") if not secret.get(name)]
    if missing:
        raise ConfigurationError(f"the database secret lacks {', '.join(missing)}")
    return psycopg2.extensions.make_dsn(
        host=secret["host"],
        port=str(secret.get("port") or 5432),
        user=secret["username"],
        password=secret["password"],
        dbname=secret.get("dbname") or "postgres",
        sslmode="require",
    )
