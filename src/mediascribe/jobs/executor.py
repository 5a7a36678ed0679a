"""The one way the jobs package runs SQL: parameterized statements inside a transaction.

Two adapters implement it: ``jobs.database.Database`` (psycopg2, a TCP connection to PostgreSQL) and
``jobs.data_api.DataApiExecutor`` (the RDS Data API over HTTPS). The repository and the migrations
are written against this interface only, so the same statements run on both.

Statement conventions both adapters accept:

- placeholders are named, ``%(name)s``; a literal percent sign is written ``%%``;
- values are ``None``, ``bool``, ``int``, ``float``, ``str``, ``uuid.UUID``, ``datetime``,
  ``JsonValue`` (a document for a json/jsonb column) or a ``list`` of str or int (an array);
- an array parameter is always written ``CAST(%(name)s AS <type>[])``, because the Data API accepts no
  array parameters and sends the array as its text form;
- one statement per call (the Data API prepares each call as one statement).

Rows come back as dicts keyed by column name, with PostgreSQL types mapped to Python ones the same
way on both adapters (uuid as ``str``, json as ``dict``/``list``, timestamptz as aware ``datetime``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from mediascribe.errors import MediascribeError

T = TypeVar("T")
Row = dict[str, Any]
Params = Mapping[str, Any]


@dataclass(frozen=True)
class JsonValue:
    """A JSON document parameter; a plain ``list`` means a SQL array, so documents are wrapped."""

    value: Any


class StatementError(MediascribeError):
    """The database refused a statement (a constraint, a raised exception, bad SQL); not retryable."""


class Transaction(Protocol):
    """Statements of one unit of work; everything runs in one database transaction."""

    def execute(self, sql: str, params: Params | None = None) -> list[Row]:
        """Run one statement and return its rows (empty for statements that return none)."""
        ...


class Executor(Protocol):
    """Runs units of work, each in one transaction: committed if it returns, rolled back if it raises.

    ``execute`` is the short form for a unit of one statement. Its signature is the transaction's, so
    code that reads or writes with one statement takes either an executor or a transaction.
    """

    def run(self, work: Callable[[Transaction], T]) -> T: ...

    def execute(self, sql: str, params: Params | None = None) -> list[Row]:
        """Run one statement in a transaction of its own (one round trip on the Data API)."""
        ...

    def close(self) -> None: ...
