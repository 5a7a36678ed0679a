"""The psycopg2 executor: one PostgreSQL connection per process, reused while it works.

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
import uuid
from collections.abc import Callable
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from mediascribe.errors import DatabaseUnavailableError
from mediascribe.jobs.executor import JsonValue, Params, Row, StatementError, T

logger = logging.getLogger(__name__)

DsnSource = str | Callable[[], str]

_BACKOFF_SECONDS = 0.2
_MAX_BACKOFF_SECONDS = 2.0
# Connection-level failures: the server went away or the network dropped. Running the whole unit of
# work again on a fresh connection is the cure.
_TRANSIENT_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)


class _CursorTransaction:
    """The executor's ``Transaction`` over one psycopg2 cursor."""

    def __init__(self, cursor: psycopg2.extras.RealDictCursor) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Params | None = None) -> list[Row]:
        adapted = {name: _adapt(value) for name, value in (params or {}).items()}
        try:
            self._cursor.execute(sql, adapted)
        except _TRANSIENT_ERRORS:
            raise
        except psycopg2.Error as exc:
            raise StatementError(_describe(exc)) from exc
        if self._cursor.description is None:
            return []
        return [dict(row) for row in self._cursor.fetchall()]


def _adapt(value: Any) -> Any:
    if isinstance(value, JsonValue):
        return psycopg2.extras.Json(value.value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


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

    def run(self, work: Callable[[_CursorTransaction], T]) -> T:
        """Run ``work(transaction)`` in one transaction: committed if it returns, rolled back if it raises.

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
                    with (
                        connection,
                        connection.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor,
                    ):
                        return work(_CursorTransaction(cursor))
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

    def execute(self, sql: str, params: Params | None = None) -> list[Row]:
        """One statement in a transaction of its own."""
        return self.run(lambda transaction: transaction.execute(sql, params))

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
            cursor_factory=psycopg2.extras.RealDictCursor,
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
