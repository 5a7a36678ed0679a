"""The RDS Data API executor: SQL over HTTPS with IAM, no connection, no VPC.

Functions outside any VPC reach an Aurora cluster this way (``rds-data`` ExecuteStatement and the
three transaction calls). What the Data API does differently from a PostgreSQL connection is handled
here, so the repository's statements run unchanged:

- parameters are typed fields (``stringValue``, ``longValue``, ...); a string is sent as varchar, so
  uuids, JSON documents and timestamps carry a ``typeHint``; arrays are not accepted as parameters
  and travel as their PostgreSQL text form (the statement casts them);
- rows come back as lists of fields plus column metadata; values are mapped back to Python types by
  the column's PostgreSQL type name;
- a paused Aurora Serverless v2 cluster answers ``DatabaseResumingException`` while it wakes; calls are
  retried with a bounded, growing wait that ends before the invocation's Timeout, then
  ``DatabaseUnavailableError`` lets the workflow (or the API's caller) retry later;
- a response is limited to 1 MiB and a row to 64 KB: callers read long text in slices.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from mediascribe.errors import ConfigurationError, DatabaseUnavailableError
from mediascribe.jobs.executor import JsonValue, Params, Row, StatementError, T
from mediascribe.time_budget import remaining_seconds

if TYPE_CHECKING:
    from mypy_boto3_rds_data import RDSDataServiceClient
    from mypy_boto3_rds_data.literals import TypeHintType
    from mypy_boto3_rds_data.type_defs import (
        ExecuteStatementRequestTypeDef,
        FieldTypeDef,
        SqlParameterTypeDef,
    )

logger = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
# The call was well formed but the statement, its parameters or its result were refused.
_STATEMENT_ERRORS = {"BadRequestException", "DatabaseErrorException", "UnsupportedResultException"}
# Worth another try later: the cluster is busy, restarting, or the transaction expired.
_UNAVAILABLE_ERRORS = {
    "DatabaseUnavailableException",
    "ServiceUnavailableError",
    "InternalServerErrorException",
    "StatementTimeoutException",
    "TransactionNotFoundException",
    "NotFoundException",
    "ThrottlingException",
}
_RESUMING = "DatabaseResumingException"


class DataApiExecutor:
    """Runs units of work as Data API transactions on one Aurora cluster.

    ``client`` is a boto3 ``rds-data`` client (its own retries cover throttling and 5xx answers).
    ``resume_attempts``/``resume_backoff_seconds`` bound the wait for a paused cluster: with the
    defaults about 40 s, which covers an Aurora Serverless v2 resume from zero capacity. Inside a
    Lambda invocation the wait is also bounded by the time the invocation has left
    (``mediascribe.time_budget``): a wait that would end less than ``answer_margin_seconds`` before
    the function's Timeout is not started, and ``DatabaseUnavailableError`` is raised at once, so the
    handler still answers (a 503, a retryable step failure) instead of being cut off by Lambda.

    Each operation is called with the members its request shape has: ``database`` belongs to
    BeginTransaction and ExecuteStatement only; CommitTransaction and RollbackTransaction take the
    cluster, the secret and the transaction id, and botocore refuses any other member.
    """

    def __init__(
        self,
        client: RDSDataServiceClient,
        *,
        cluster_arn: str,
        secret_arn: str,
        database: str | None = None,
        resume_attempts: int = 10,
        resume_backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 8.0,
        answer_margin_seconds: float = 5.0,
    ) -> None:
        if resume_attempts < 1:
            raise ValueError("resume_attempts must be at least 1")
        self._client = client
        self._cluster_arn = cluster_arn
        self._secret_arn = secret_arn
        self._database = database or None
        self._resume_attempts = resume_attempts
        self._resume_backoff = resume_backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._answer_margin = answer_margin_seconds

    def __repr__(self) -> str:
        return f"DataApiExecutor(cluster={self._cluster_arn!r})"

    def run(self, work: Callable[[_DataApiTransaction], T]) -> T:
        """Run ``work`` inside BeginTransaction … CommitTransaction; any exception rolls it back."""
        transaction_id = self._call(self._begin)["transactionId"]
        try:
            result = work(_DataApiTransaction(self, transaction_id))
        except BaseException:
            self._rollback(transaction_id)
            raise
        self._call(
            lambda: self._client.commit_transaction(
                resourceArn=self._cluster_arn, secretArn=self._secret_arn, transactionId=transaction_id
            )
        )
        return result

    def execute(self, sql: str, params: Params | None = None) -> list[Row]:
        """One statement without ``transactionId``: the service commits it on its own, in one call."""
        return self.statement(sql, params, None)

    def close(self) -> None:
        """Nothing to close: the Data API holds no connection on this side."""

    def statement(self, sql: str, params: Params | None, transaction_id: str | None) -> list[Row]:
        statement, parameters = encode_statement(sql, params or {})
        request: ExecuteStatementRequestTypeDef = {
            "resourceArn": self._cluster_arn,
            "secretArn": self._secret_arn,
            "sql": statement,
            "parameters": parameters,
            "includeResultMetadata": True,
        }
        if transaction_id is not None:
            request["transactionId"] = transaction_id
        if self._database is not None:
            request["database"] = self._database
        return decode_records(self._call(lambda: self._client.execute_statement(**request)))

    def _begin(self) -> Mapping[str, Any]:
        if self._database is None:
            return self._client.begin_transaction(resourceArn=self._cluster_arn, secretArn=self._secret_arn)
        return self._client.begin_transaction(
            resourceArn=self._cluster_arn, secretArn=self._secret_arn, database=self._database
        )

    def _rollback(self, transaction_id: str) -> None:
        """Best effort: an expired or failed transaction is already gone on the server."""
        try:
            self._call(
                lambda: self._client.rollback_transaction(
                    resourceArn=self._cluster_arn, secretArn=self._secret_arn, transactionId=transaction_id
                )
            )
        except (StatementError, DatabaseUnavailableError) as exc:
            logger.warning("database rollback failed", extra={"error": str(exc)})

    def _call(self, send: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
        """``send`` once, and again while the cluster resumes; the service's errors as ours."""
        for attempt in range(1, self._resume_attempts + 1):
            try:
                return send()
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                message = exc.response.get("Error", {}).get("Message", "") or code
                if code == _RESUMING:
                    self._wait_for_resume(attempt, exc)
                    continue
                if code in _STATEMENT_ERRORS:
                    raise StatementError(f"{code}: {message}") from exc
                if code in _UNAVAILABLE_ERRORS:
                    raise DatabaseUnavailableError(f"database unavailable: {code}: {message}") from exc
                raise ConfigurationError(f"the Data API refused the call: {code}: {message}") from exc
            except BotoCoreError as exc:
                raise DatabaseUnavailableError(f"database unavailable: {type(exc).__name__}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait_for_resume(self, attempt: int, exc: ClientError) -> None:
        """Sleep before the next attempt, unless attempts or the invocation's time have run out."""
        if attempt == self._resume_attempts:
            raise DatabaseUnavailableError(
                f"the database is still resuming after {attempt} attempts"
            ) from exc
        wait = min(self._resume_backoff * 2 ** (attempt - 1), self._max_backoff)
        left = remaining_seconds()
        if left is not None and wait + self._answer_margin > left:
            raise DatabaseUnavailableError(
                f"the database is still resuming after {attempt} attempts; {left:.1f} s of the "
                f"invocation are left, too few to wait {wait:.1f} s more and still answer"
            ) from exc
        logger.info("database is resuming", extra={"attempt": attempt, "wait_seconds": wait})
        time.sleep(wait)


class _DataApiTransaction:
    """The executor's ``Transaction``: statements carry the Data API transaction id."""

    def __init__(self, executor: DataApiExecutor, transaction_id: str) -> None:
        self._executor = executor
        self._transaction_id = transaction_id

    def execute(self, sql: str, params: Params | None = None) -> list[Row]:
        return self._executor.statement(sql, params, self._transaction_id)


# --- parameters -----------------------------------------------------------------------------------


def encode_statement(sql: str, params: Mapping[str, Any]) -> tuple[str, list[SqlParameterTypeDef]]:
    """``%(name)s`` placeholders become ``:name``; each referenced value becomes a typed parameter."""
    used: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        if name not in params:
            raise KeyError(f"no value for parameter {name!r}")
        if name not in used:
            used.append(name)
        return f":{name}"

    statement = _PLACEHOLDER.sub(replace, sql)
    return statement, [encode_parameter(name, params[name]) for name in used]


def encode_parameter(name: str, value: Any) -> SqlParameterTypeDef:
    """One ``SqlParameter``: the field that carries the value, and a type hint where a string is not text."""
    field: FieldTypeDef
    hint: TypeHintType | None = None
    if value is None:
        field = {"isNull": True}
    elif isinstance(value, bool):
        field = {"booleanValue": value}
    elif isinstance(value, int):
        field = {"longValue": value}
    elif isinstance(value, float):
        field = {"doubleValue": value}
    elif isinstance(value, str):
        field = {"stringValue": value}
    elif isinstance(value, uuid.UUID):
        field, hint = {"stringValue": str(value)}, "UUID"
    elif isinstance(value, JsonValue):
        field, hint = {"stringValue": json.dumps(value.value, ensure_ascii=False)}, "JSON"
    elif isinstance(value, datetime):
        moment = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        field, hint = {"stringValue": moment.isoformat(sep=" ", timespec="microseconds")}, "TIMESTAMP"
    elif isinstance(value, date):
        field, hint = {"stringValue": value.isoformat()}, "DATE"
    elif isinstance(value, Decimal):
        field, hint = {"stringValue": str(value)}, "DECIMAL"
    elif isinstance(value, list | tuple):
        field = {"stringValue": array_literal(value)}
    else:
        raise TypeError(f"parameter {name!r}: cannot send a {type(value).__name__}")
    parameter: SqlParameterTypeDef = {"name": name, "value": field}
    if hint is not None:
        parameter["typeHint"] = hint
    return parameter


def array_literal(items: list[Any] | tuple[Any, ...]) -> str:
    """The PostgreSQL text form of a one-dimensional array of strings or integers."""
    elements = []
    for item in items:
        if item is None:
            elements.append("NULL")
        elif isinstance(item, bool) or not isinstance(item, int | str):
            raise TypeError(f"array elements must be str or int, got {type(item).__name__}")
        elif isinstance(item, int):
            elements.append(str(item))
        else:
            escaped = item.replace("\\", "\\\\").replace('"', '\\"')
            elements.append(f'"{escaped}"')
    return "{" + ",".join(elements) + "}"


# --- records --------------------------------------------------------------------------------------


def decode_records(response: Mapping[str, Any]) -> list[Row]:
    """Rows as dicts, from typed ``records`` and their ``columnMetadata``.

    ``formatRecordsAs=JSON`` is not asked for: its ``formattedRecords`` carry timestamps and JSON
    columns as bare strings, with no type to map them back by.
    """
    columns = response.get("columnMetadata") or []
    return [
        {
            column["label"] or column["name"]: decode_field(field, column.get("typeName", ""))
            for column, field in zip(columns, record, strict=True)
        }
        for record in response.get("records") or []
    ]


def decode_field(field: Mapping[str, Any], type_name: str) -> Any:
    """A Python value for one field, by the column's PostgreSQL type name (``int4``, ``_text``, ...)."""
    if field.get("isNull"):
        return None
    if "arrayValue" in field:
        return _decode_array(field["arrayValue"])
    for key in ("booleanValue", "longValue", "doubleValue", "blobValue"):
        if key in field:
            return field[key]
    text = field.get("stringValue")
    if text is None:
        return None
    name = type_name.lower()
    if name in ("json", "jsonb"):
        return json.loads(text)
    if name == "timestamptz":
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if name == "timestamp":
        return datetime.fromisoformat(text)
    if name == "date":
        return date.fromisoformat(text)
    if name == "numeric":
        return Decimal(text)
    return text


def _decode_array(array: Mapping[str, Any]) -> list[Any]:
    if "arrayValues" in array:
        return [_decode_array(item) for item in array["arrayValues"]]
    for key in ("longValues", "stringValues", "doubleValues", "booleanValues"):
        if key in array:
            return list(array[key])
    return []
