"""A stand-in for the RDS Data API on 127.0.0.1, executing on a real PostgreSQL.

It speaks the service's REST-JSON protocol as botocore's ``rds-data`` client sends it (point the client
at it with ``endpoint_url``): ``POST /Execute``, ``/BeginTransaction``, ``/CommitTransaction`` and
``/RollbackTransaction``. It is no friendlier than the service:

- parameters are typed as the service types them: a ``stringValue`` is varchar unless a ``typeHint``
  says UUID/JSON/TIMESTAMP/DATE/TIME/DECIMAL, ``longValue`` is bigint, ``doubleValue`` double
  precision; array parameters and unknown or missing names are refused;
- one statement per call; the SQL text is limited to 65,536 characters;
- records come back as typed fields with column metadata (or ``formattedRecords`` for
  ``formatRecordsAs=JSON``); a row over 64 KB and a response over 1 MiB are refused;
- transactions are addressed by id, expire after 3 minutes without a call, and an unknown id is an
  error; errors use the service's names, HTTP status codes and ``x-amzn-ErrorType`` header;
- ``resume_for(n)`` answers the next ``n`` calls with ``DatabaseResumingException``, as a paused
  Aurora Serverless v2 cluster does while it wakes.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg2
import psycopg2.extensions

from mediascribe.jobs.sql_script import split_statements

MAX_RESPONSE_BYTES = 1024 * 1024
MAX_ROW_BYTES = 64 * 1024
MAX_SQL_CHARS = 65_536
TRANSACTION_IDLE_SECONDS = 180.0
CLUSTER_ARN = "arn:aws:rds:us-east-1:123456789012:cluster:mediascribe"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-abc-AbCdEf"

_HINT_TYPES = {
    "UUID": "uuid",
    "JSON": "json",
    "TIMESTAMP": "timestamp",
    "DATE": "date",
    "TIME": "time",
    "DECIMAL": "numeric",
}
# java.sql.Types codes the service reports in columnMetadata.type, by PostgreSQL type name.
_JDBC_TYPES = {
    "bool": -7,
    "int2": 5,
    "int4": 4,
    "int8": -5,
    "float4": 7,
    "float8": 8,
    "numeric": 2,
    "text": 12,
    "varchar": 12,
    "timestamptz": 93,
    "timestamp": 93,
    "date": 91,
    "bytea": -2,
}
_ERROR_STATUS = {
    "BadRequestException": 400,
    "DatabaseErrorException": 400,
    "DatabaseResumingException": 400,
    "ForbiddenException": 403,
    "NotFoundException": 404,
    "TransactionNotFoundException": 404,
}


class DataApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class FakeDataApi:
    """The server; ``endpoint_url`` is what a boto3 ``rds-data`` client is given."""

    def __init__(self, dsn: str, *, cluster_arn: str = CLUSTER_ARN, secret_arn: str = SECRET_ARN) -> None:
        self.dsn = dsn
        self.cluster_arn = cluster_arn
        self.secret_arn = secret_arn
        self.calls: list[str] = []
        self._resuming = 0
        self._lock = threading.Lock()
        self._idle: list[psycopg2.extensions.connection] = []
        self._transactions: dict[str, tuple[psycopg2.extensions.connection, float]] = {}
        self._type_names: dict[int, str] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeDataApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = self._idle + [conn for conn, _ in self._transactions.values()]
            self._idle.clear()
            self._transactions.clear()
        for connection in connections:
            connection.close()

    def resume_for(self, calls: int) -> None:
        """Answer the next ``calls`` requests as a cluster that is resuming from a pause."""
        with self._lock:
            self._resuming = calls

    # --- operations ---------------------------------------------------------------------------

    def handle(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.calls.append(operation)
            if self._resuming > 0:
                self._resuming -= 1
                raise DataApiError(
                    "DatabaseResumingException",
                    "The Aurora DB instance db-1 is resuming after being auto-paused. "
                    "Please wait a few seconds and try again.",
                )
        self._check_target(body)
        if operation == "BeginTransaction":
            return self._begin()
        if operation == "CommitTransaction":
            return self._finish(body, commit=True)
        if operation == "RollbackTransaction":
            return self._finish(body, commit=False)
        if operation == "Execute":
            return self._execute(body)
        raise DataApiError("BadRequestException", f"unsupported operation {operation}")

    def _check_target(self, body: dict[str, Any]) -> None:
        if body.get("resourceArn") != self.cluster_arn:
            raise DataApiError("BadRequestException", "Invalid cluster arn")
        if body.get("secretArn") != self.secret_arn:
            raise DataApiError("ForbiddenException", "Invalid secret arn or the caller may not read it")

    def _begin(self) -> dict[str, Any]:
        connection = self._take_connection()
        transaction_id = base64.b64encode(secrets.token_bytes(96)).decode("ascii")
        with self._lock:
            self._transactions[transaction_id] = (connection, time.monotonic())
        return {"transactionId": transaction_id}

    def _finish(self, body: dict[str, Any], *, commit: bool) -> dict[str, Any]:
        transaction_id = body.get("transactionId", "")
        connection = self._pop_transaction(transaction_id, code="NotFoundException")
        try:
            if commit:
                connection.commit()
            else:
                connection.rollback()
        except psycopg2.Error as exc:
            connection.close()
            raise DataApiError("DatabaseErrorException", _pg_message(exc)) from exc
        self._return_connection(connection)
        return {"transactionStatus": "Transaction Committed" if commit else "Rollback Complete"}

    def _execute(self, body: dict[str, Any]) -> dict[str, Any]:
        sql = body.get("sql", "")
        if len(sql) > MAX_SQL_CHARS:
            raise DataApiError("BadRequestException", "SQL statement is too long")
        if len(split_statements(sql)) > 1:
            raise DataApiError(
                "DatabaseErrorException", "ERROR: cannot insert multiple commands into a prepared statement"
            )
        statement, values = _bind(sql, body.get("parameters") or [])
        transaction_id = body.get("transactionId")
        connection = self._use_transaction(transaction_id) if transaction_id else self._take_connection()
        try:
            with connection.cursor() as cursor:
                try:
                    cursor.execute(statement, values)
                except psycopg2.Error as exc:
                    if not transaction_id:
                        connection.rollback()
                    raise DataApiError("DatabaseErrorException", _pg_message(exc)) from exc
                response = self._result(cursor, body)
            if not transaction_id:
                connection.commit()
        finally:
            if not transaction_id:
                self._return_connection(connection)
        return response

    def _result(self, cursor: Any, body: dict[str, Any]) -> dict[str, Any]:
        if cursor.description is None:
            return {"numberOfRecordsUpdated": max(cursor.rowcount, 0), "generatedFields": []}
        names = [column.name for column in cursor.description]
        type_names = [self._type_name(cursor.connection, column.type_code) for column in cursor.description]
        rows = cursor.fetchall()
        records = [
            [_field(value, type_name) for value, type_name in zip(row, type_names, strict=True)]
            for row in rows
        ]
        for record in records:
            if len(json.dumps(record, ensure_ascii=False).encode("utf-8")) > MAX_ROW_BYTES:
                raise DataApiError("BadRequestException", "Packet for query is too large")
        response: dict[str, Any] = {"numberOfRecordsUpdated": 0}
        if body.get("formatRecordsAs") == "JSON":
            objects = [
                {name: _json_value(field) for name, field in zip(names, record, strict=True)}
                for record in records
            ]
            response["formattedRecords"] = json.dumps(objects, ensure_ascii=False)
        else:
            response["records"] = records
            if body.get("includeResultMetadata"):
                response["columnMetadata"] = [
                    _column(name, type_name) for name, type_name in zip(names, type_names, strict=True)
                ]
        if len(json.dumps(response, ensure_ascii=False).encode("utf-8")) > MAX_RESPONSE_BYTES:
            raise DataApiError(
                "BadRequestException", "Database returned more than the allowed response size limit"
            )
        return response

    # --- connections --------------------------------------------------------------------------

    def _take_connection(self) -> psycopg2.extensions.connection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        connection = psycopg2.connect(self.dsn, application_name="fake-data-api")
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
        connection.commit()
        return connection

    def _return_connection(self, connection: psycopg2.extensions.connection) -> None:
        if connection.closed:
            return
        if connection.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            connection.rollback()
        with self._lock:
            self._idle.append(connection)

    def _use_transaction(self, transaction_id: str) -> psycopg2.extensions.connection:
        with self._lock:
            entry = self._transactions.get(transaction_id)
            if entry is not None and time.monotonic() - entry[1] <= TRANSACTION_IDLE_SECONDS:
                self._transactions[transaction_id] = (entry[0], time.monotonic())
                return entry[0]
        if entry is not None:
            self._pop_transaction(transaction_id, code="BadRequestException").close()
        raise DataApiError("BadRequestException", f"Transaction {transaction_id} is not found")

    def _pop_transaction(self, transaction_id: str, *, code: str) -> psycopg2.extensions.connection:
        with self._lock:
            entry = self._transactions.pop(transaction_id, None)
        if entry is None:
            raise DataApiError(code, f"Transaction {transaction_id} is not found")
        return entry[0]

    def _type_name(self, connection: Any, oid: int) -> str:
        if oid not in self._type_names:
            with connection.cursor() as cursor:
                cursor.execute("SELECT typname FROM pg_type WHERE oid = %s", (oid,))
                self._type_names[oid] = cursor.fetchone()[0]
        return self._type_names[oid]


# --- parameters ---------------------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def _bind(sql: str, parameters: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """``:name`` placeholders become typed psycopg2 placeholders, as the service's driver types them."""
    typed: dict[str, tuple[Any, str | None]] = {}
    for parameter in parameters:
        name = parameter.get("name")
        if not name:
            raise DataApiError("BadRequestException", "Parameter name is required")
        typed[name] = _typed_value(name, parameter.get("value") or {}, parameter.get("typeHint"))
    used: set[str] = set()
    out: list[str] = []
    i = 0
    while i < len(sql):
        char = sql[i]
        if char in ("'", '"') or (sql.startswith("$", i) and re.match(r"\$[A-Za-z_0-9]*\$", sql[i:])):
            end = _literal_end(sql, i)
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif sql.startswith("--", i) or sql.startswith("/*", i):
            newline = sql.find("\n", i) if sql.startswith("--", i) else sql.find("*/", i)
            end = len(sql) if newline < 0 else newline + (1 if sql.startswith("--", i) else 2)
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif char == ":" and sql.startswith("::", i):
            out.append("::")
            i += 2
        elif char == ":" and (match := _NAME.match(sql, i + 1)):
            name = match.group(0)
            if name not in typed:
                raise DataApiError("BadRequestException", f"No value specified for parameter {name}")
            used.add(name)
            sql_type = typed[name][1]
            out.append(f"CAST(%({name})s AS {sql_type})" if sql_type else f"%({name})s")
            i = match.end()
        else:
            out.append("%%" if char == "%" else char)
            i += 1
    unused = set(typed) - used
    if unused:
        raise DataApiError(
            "BadRequestException", f"Parameter {sorted(unused)[0]} is not used in the statement"
        )
    return "".join(out), {name: typed[name][0] for name in used}


def _typed_value(name: str, field: dict[str, Any], hint: str | None) -> tuple[Any, str | None]:
    if len(field) != 1:
        raise DataApiError("BadRequestException", f"Parameter {name}: exactly one value field is required")
    kind, value = next(iter(field.items()))
    if kind == "isNull":
        return None, None
    if kind == "arrayValue":
        raise DataApiError("BadRequestException", "Array parameters are not supported")
    if hint is not None and kind != "stringValue":
        raise DataApiError("BadRequestException", f"Parameter {name}: typeHint needs a stringValue")
    if kind == "stringValue":
        return value, _HINT_TYPES[hint] if hint else "varchar"
    if kind == "longValue":
        return int(value), "bigint"
    if kind == "doubleValue":
        return float(value), "double precision"
    if kind == "booleanValue":
        return bool(value), "boolean"
    if kind == "blobValue":
        return psycopg2.Binary(base64.b64decode(value)), "bytea"
    raise DataApiError("BadRequestException", f"Parameter {name}: unknown value field {kind}")


def _literal_end(sql: str, i: int) -> int:
    if sql[i] == "$":
        tag = re.match(r"\$[A-Za-z_0-9]*\$", sql[i:]).group(0)  # type: ignore[union-attr]
        end = sql.find(tag, i + len(tag))
        return len(sql) if end < 0 else end + len(tag)
    quote = sql[i]
    j = i + 1
    while True:
        end = sql.find(quote, j)
        if end < 0:
            return len(sql)
        if sql.startswith(quote * 2, end):
            j = end + 2
            continue
        return end + 1


# --- records ------------------------------------------------------------------------------------


def _field(value: Any, type_name: str) -> dict[str, Any]:
    if value is None:
        return {"isNull": True}
    if type_name.startswith("_"):
        return {"arrayValue": _array(value)}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"longValue": value}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, memoryview | bytes):
        return {"blobValue": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        moment = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        return {"stringValue": moment.isoformat(sep=" ")}
    if isinstance(value, date):
        return {"stringValue": value.isoformat()}
    if type_name in ("json", "jsonb"):
        return {"stringValue": json.dumps(value, ensure_ascii=False)}
    if isinstance(value, Decimal):
        return {"stringValue": str(value)}
    return {"stringValue": str(value)}


def _array(values: list[Any]) -> dict[str, Any]:
    if any(isinstance(item, list) for item in values):
        return {"arrayValues": [_array(item) for item in values]}
    if values and all(isinstance(item, bool) for item in values):
        return {"booleanValues": values}
    if all(isinstance(item, int) and not isinstance(item, bool) for item in values if item is not None):
        return {"longValues": values}
    if all(isinstance(item, float) for item in values if item is not None):
        return {"doubleValues": values}
    return {"stringValues": [None if item is None else str(item) for item in values]}


def _json_value(field: dict[str, Any]) -> Any:
    kind, value = next(iter(field.items()))
    return None if kind == "isNull" else value


def _column(name: str, type_name: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": name,
        "typeName": type_name,
        "type": 2003 if type_name.startswith("_") else _JDBC_TYPES.get(type_name, 1111),
        "nullable": 1,
        "isSigned": type_name in ("int2", "int4", "int8", "float4", "float8", "numeric"),
        "schemaName": "",
        "tableName": "",
        "precision": 0,
        "scale": 0,
        "arrayBaseColumnType": 0,
        "isAutoIncrement": False,
        "isCaseSensitive": True,
        "isCurrency": False,
    }


def _pg_message(exc: psycopg2.Error) -> str:
    text = (exc.pgerror or str(exc)).strip()
    return text if text.startswith("ERROR") else f"ERROR: {text}"


# --- HTTP ---------------------------------------------------------------------------------------

_OPERATIONS = {
    "/Execute": "Execute",
    "/BeginTransaction": "BeginTransaction",
    "/CommitTransaction": "CommitTransaction",
    "/RollbackTransaction": "RollbackTransaction",
}


def _handler_for(api: FakeDataApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, as the service does: botocore reuses its pooled connection between calls.
        protocol_version = "HTTP/1.1"
        # Headers and body leave as separate writes; without this each answer waits for a delayed ACK.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                if "rds-data" not in (self.headers.get("Authorization") or ""):
                    raise DataApiError("ForbiddenException", "Missing or invalid SigV4 signature")
                operation = _OPERATIONS.get(self.path)
                if operation is None:
                    raise DataApiError("BadRequestException", f"Unknown path {self.path}")
                body = json.loads(raw or b"{}")
                self._answer(200, api.handle(operation, body))
            except DataApiError as exc:
                self._answer(_ERROR_STATUS.get(exc.code, 400), {"message": exc.message}, error=exc.code)

        def _answer(self, status: int, document: dict[str, Any], *, error: str | None = None) -> None:
            payload = json.dumps(document, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if error:
                self.send_header("x-amzn-ErrorType", error)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            """Quiet: tests read outcomes, not access logs."""

    return Handler


@contextmanager
def fake_data_api(dsn: str) -> Iterator[FakeDataApi]:
    with FakeDataApi(dsn) as api:
        yield api


def data_api_client(api: FakeDataApi) -> Any:
    """A real boto3 ``rds-data`` client pointed at the stand-in (botocore signs, serialises, parses)."""
    return data_api_client_for(api.endpoint_url)


def data_api_client_for(endpoint_url: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "rds-data",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 2}),
    )


def data_api_executor(api: FakeDataApi, **options: Any) -> Any:
    """The package's Data API executor on the stand-in, as a function configured for it would build it."""
    from mediascribe.jobs.data_api import DataApiExecutor

    return DataApiExecutor(
        data_api_client(api), cluster_arn=api.cluster_arn, secret_arn=api.secret_arn, **options
    )
