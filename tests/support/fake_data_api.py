"""A stand-in for the RDS Data API on 127.0.0.1, executing on a real PostgreSQL.

It speaks the service's REST-JSON protocol as botocore's ``rds-data`` client sends it (point the client
at it with ``endpoint_url``): ``POST /Execute``, ``/BeginTransaction``, ``/CommitTransaction`` and
``/RollbackTransaction``. It is no friendlier than the service:

- every request is checked against the operation's whole input shape in botocore's model (lengths,
  enums, unknown members such as ``database`` on a commit) and refused in the service's words;
- it logs in to PostgreSQL with the user name and password of the request's ``secretArn``
  (``credentials``), in the request's ``database``: a role gets only its own privileges, a failed
  login is a ``BadRequestException`` (``FATAL: password authentication failed ...``) and an unknown
  database a ``DatabaseErrorException``, as the service answers them;
- statements are prepared on the server with the parameters' declared types, as the service's JDBC
  driver does: a ``stringValue`` is varchar unless a ``typeHint`` says UUID/JSON/TIMESTAMP/DATE/TIME/
  DECIMAL, ``longValue`` is bigint, ``doubleValue`` double precision, and an ``isNull`` without a hint
  is untyped, so PostgreSQL itself refuses a NULL whose type it cannot infer ("could not determine
  data type of parameter $1"); array parameters and unknown or missing names are refused;
- one statement per call; a statement is cancelled after 45 s (``StatementTimeoutException``) unless
  ``continueAfterTimeout`` is set, when the call still times out but the statement runs on
  (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api-timeouts.html: "By default,
  the Data API cancels an operation and returns a timeout error if the operation doesn't finish
  processing within 45 seconds ... [with continueAfterTimeout] Your application still receives the
  timeout error. However, the operation continues running and isn't canceled");
- records come back as typed fields with column metadata (or ``formattedRecords`` for
  ``formatRecordsAs=JSON``); a row over 64 KB and a response over 1 MiB are refused;
- transactions are addressed by id and expire after 3 minutes without a call
  (https://docs.aws.amazon.com/rdsdataservice/latest/APIReference/API_BeginTransaction.html: "A
  transaction times out if no calls use its transaction ID in three minutes"); an unknown or expired
  id is a ``TransactionNotFoundException``, the error every operation lists for it. A failed statement
  aborts its transaction, as PostgreSQL does: later statements fail ("current transaction is
  aborted") and so does the commit, which rolls back;
- errors carry the status code, ``x-amzn-ErrorType`` header and body the model gives them;
- ``resume_for_seconds(s)`` answers every call in the next ``s`` seconds with
  ``DatabaseResumingException``, as a paused Aurora Serverless v2 cluster does while it wakes.

Time (the pause, a transaction's idle time) is read from the ``clock`` given at construction, so a
test on a ``VirtualClock`` sees the waits of the code under test as elapsed.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import psycopg2
import psycopg2.errors
import psycopg2.extensions
from botocore.model import OperationModel
from psycopg2.extensions import make_dsn

from mediascribe.jobs.sql_script import split_statements
from mediascribe.local.service_model import ErrorAnswer, error_answer, refusal, service_model, validate
from support.virtual_clock import SYSTEM_CLOCK, Clock

MAX_RESPONSE_BYTES = 1024 * 1024
MAX_ROW_BYTES = 64 * 1024
TRANSACTION_IDLE_SECONDS = 180.0
STATEMENT_TIMEOUT_SECONDS = 45.0
CLUSTER_ARN = "arn:aws:rds:us-east-1:123456789012:cluster:mediascribe"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-abc-AbCdEf"
ABORTED = "ERROR: current transaction is aborted, commands ignored until end of transaction block"

# The user name and password in a secret, by the secret's ARN.
Credentials = Callable[[str], tuple[str, str]]

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
_MODEL = service_model("rds-data")


class DataApiError(Exception):
    """An error answer: its code (an error shape of the operation) and the shape's other members."""

    def __init__(self, code: str, message: str, **members: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.members = members


class RequestRefused(Exception):
    """A request the operation's model refuses, with the answer already built."""

    def __init__(self, answer: ErrorAnswer) -> None:
        super().__init__(answer.body.decode("utf-8"))
        self.answer = answer


@dataclass(frozen=True)
class _Login:
    user: str | None
    password: str | None
    database: str | None


@dataclass
class _Transaction:
    connection: psycopg2.extensions.connection
    login: _Login
    last_used: float
    # Why it is aborted (the statement that failed in it), if it is.
    failure: str | None = None
    # A statement the call gave up waiting for (continueAfterTimeout) that still runs in it.
    running: threading.Thread | None = None


@dataclass
class _Outcome:
    response: dict[str, Any] | None = None
    error: DataApiError | None = None
    done: threading.Event = field(default_factory=threading.Event)


class FakeDataApi:
    """The server; ``endpoint_url`` is what a boto3 ``rds-data`` client is given.

    ``credentials`` maps the request's ``secretArn`` to the login it holds; without it the stand-in
    logs in with the ``dsn``'s own user. ``statement_timeout_seconds`` is the service's 45 s, lowered
    only by tests that run a slow statement on purpose.
    """

    def __init__(
        self,
        dsn: str,
        *,
        cluster_arn: str = CLUSTER_ARN,
        secret_arn: str = SECRET_ARN,
        credentials: Credentials | None = None,
        clock: Clock = SYSTEM_CLOCK,
        statement_timeout_seconds: float = STATEMENT_TIMEOUT_SECONDS,
    ) -> None:
        self.dsn = dsn
        self.cluster_arn = cluster_arn
        self.secret_arn = secret_arn
        self.calls: list[str] = []
        # The error code of every call answered with one, in order.
        self.errors: list[str] = []
        self._credentials = credentials
        self._clock = clock
        self._statement_timeout = statement_timeout_seconds
        self._resuming_until = clock.monotonic()
        self._lock = threading.Lock()
        self._idle: dict[_Login, list[psycopg2.extensions.connection]] = {}
        self._transactions: dict[str, _Transaction] = {}
        self._background: list[threading.Thread] = []
        self._type_names: dict[int, str] = {}
        self._statement_names = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint_url(self) -> str:
        host, port = cast(tuple[str, int], self._server.server_address[:2])
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeDataApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.wait_for_running_statements()
        with self._lock:
            connections = [c for pool in self._idle.values() for c in pool]
            connections += [transaction.connection for transaction in self._transactions.values()]
            self._idle.clear()
            self._transactions.clear()
        for connection in connections:
            connection.close()

    def resume_for_seconds(self, seconds: float) -> None:
        """Answer every request in the next ``seconds`` (on the clock) as a cluster resuming from a pause."""
        with self._lock:
            self._resuming_until = self._clock.monotonic() + seconds

    def wait_for_running_statements(self) -> None:
        """Wait for the statements that run on after their call timed out (``continueAfterTimeout``)."""
        with self._lock:
            running, self._background = self._background, []
        for thread in running:
            thread.join()

    # --- operations ---------------------------------------------------------------------------

    def handle(self, operation: OperationModel, body: dict[str, Any]) -> dict[str, Any]:
        refused = refusal(operation, validate(operation, body))
        if refused is not None:
            raise RequestRefused(refused)
        with self._lock:
            self.calls.append(operation.name)
            if self._clock.monotonic() < self._resuming_until:
                raise DataApiError(
                    "DatabaseResumingException",
                    "The Aurora DB instance db-1 is resuming after being auto-paused. "
                    "Please wait a few seconds and try again.",
                )
        self._check_target(body)
        if operation.name == "BeginTransaction":
            return self._begin(self._login(body))
        if operation.name == "CommitTransaction":
            return self._finish(body["transactionId"], commit=True)
        if operation.name == "RollbackTransaction":
            return self._finish(body["transactionId"], commit=False)
        return self._execute(body)

    def _check_target(self, body: dict[str, Any]) -> None:
        if body["resourceArn"] != self.cluster_arn:
            raise DataApiError("BadRequestException", "Invalid cluster arn")
        known = self._credentials is not None or body["secretArn"] == self.secret_arn
        if not known:
            raise DataApiError("ForbiddenException", "Invalid secret arn or the caller may not read it")

    def _login(self, body: dict[str, Any]) -> _Login:
        database = body.get("database") or None
        if self._credentials is None:
            return _Login(None, None, database)
        try:
            user, password = self._credentials(body["secretArn"])
        except KeyError:
            raise DataApiError(
                "ForbiddenException", "Invalid secret arn or the caller may not read it"
            ) from None
        return _Login(user, password, database)

    def _begin(self, login: _Login) -> dict[str, Any]:
        connection = self._take_connection(login)
        transaction_id = base64.b64encode(secrets.token_bytes(96)).decode("ascii")
        with self._lock:
            self._transactions[transaction_id] = _Transaction(connection, login, self._clock.monotonic())
        return {"transactionId": transaction_id}

    def _finish(self, transaction_id: str, *, commit: bool) -> dict[str, Any]:
        transaction = self._pop_transaction(transaction_id)
        if transaction.running is not None:
            transaction.running.join()
        connection = transaction.connection
        try:
            if commit and transaction.failure is not None:
                connection.rollback()
                raise DataApiError(
                    "DatabaseErrorException",
                    "The database returned ROLLBACK, so the transaction cannot be committed. "
                    f"Transaction failure cause is <<{transaction.failure}>>",
                )
            if commit:
                connection.commit()
            else:
                connection.rollback()
        except psycopg2.Error as exc:
            connection.close()
            raise DataApiError("DatabaseErrorException", _pg_message(exc)) from exc
        finally:
            self._return_connection(transaction.login, connection)
        return {"transactionStatus": "Transaction Committed" if commit else "Rollback Complete"}

    def _execute(self, body: dict[str, Any]) -> dict[str, Any]:
        sql = body["sql"]
        if len(split_statements(sql)) > 1:
            raise DataApiError(
                "DatabaseErrorException", "ERROR: cannot insert multiple commands into a prepared statement"
            )
        statement = _bind(sql, body.get("parameters") or [])
        transaction_id = body.get("transactionId")
        transaction = self._use_transaction(transaction_id) if transaction_id else None
        login = transaction.login if transaction else self._login(body)
        connection = transaction.connection if transaction else self._take_connection(login)
        keep_running = bool(body.get("continueAfterTimeout"))
        outcome = _Outcome()

        def run() -> None:
            try:
                outcome.response = self._run(connection, statement, body, keep_running=keep_running)
                if transaction is None:
                    connection.commit()
            except DataApiError as exc:
                if transaction is None:
                    connection.rollback()
                else:
                    transaction.failure = transaction.failure or exc.message
                outcome.error = exc
            finally:
                if transaction is None:
                    self._return_connection(login, connection)
                outcome.done.set()

        if not keep_running:
            run()
        else:
            worker = threading.Thread(target=run, name="fake-data-api-statement", daemon=True)
            worker.start()
            if not outcome.done.wait(self._statement_timeout):
                with self._lock:
                    self._background.append(worker)
                if transaction is not None:
                    transaction.running = worker
                raise _timed_out(connection)
        if outcome.error is not None:
            raise outcome.error
        assert outcome.response is not None
        return outcome.response

    def _run(
        self,
        connection: psycopg2.extensions.connection,
        statement: _Statement,
        body: dict[str, Any],
        *,
        keep_running: bool,
    ) -> dict[str, Any]:
        """The statement on ``connection``, cancelled by PostgreSQL at the call's timeout unless it is
        to keep running."""
        limit_ms = 0 if keep_running else max(int(self._statement_timeout * 1000), 1)
        name = f"fake_data_api_{next(self._statement_names)}"
        with connection.cursor() as cursor:
            try:
                cursor.execute("SELECT set_config('statement_timeout', %s, false)", (str(limit_ms),))
                if statement.types:
                    cursor.execute(f"PREPARE {name} ({', '.join(statement.types)}) AS {statement.sql}")
                    placeholders = ", ".join(["%s"] * len(statement.values))
                    cursor.execute(f"EXECUTE {name} ({placeholders})", statement.values)
                else:
                    cursor.execute(statement.sql)
            except psycopg2.errors.QueryCanceled as exc:
                raise _timed_out(connection) from exc
            except psycopg2.Error as exc:
                raise DataApiError("DatabaseErrorException", _pg_message(exc)) from exc
            response = self._result(cursor, body)
        if statement.types:
            with connection.cursor() as cursor:
                cursor.execute(f"DEALLOCATE {name}")
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

    def _take_connection(self, login: _Login) -> psycopg2.extensions.connection:
        with self._lock:
            pool = self._idle.get(login)
            if pool:
                return pool.pop()
        try:
            connection = psycopg2.connect(self._dsn_for(login), application_name="fake-data-api")
        except psycopg2.OperationalError as exc:
            raise _login_failure(exc) from exc
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
        connection.commit()
        return connection

    def _dsn_for(self, login: _Login) -> str:
        options: dict[str, str] = {}
        if login.user is not None:
            options["user"] = login.user
        if login.password is not None:
            options["password"] = login.password
        if login.database is not None:
            options["dbname"] = login.database
        return make_dsn(self.dsn, **options)

    def _return_connection(self, login: _Login, connection: psycopg2.extensions.connection) -> None:
        if connection.closed:
            return
        if connection.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            connection.rollback()
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
        connection.commit()
        with self._lock:
            self._idle.setdefault(login, []).append(connection)

    def _use_transaction(self, transaction_id: str) -> _Transaction:
        """The live transaction of that id, once a statement still running in it has finished."""
        transaction = self._claim(transaction_id, remove=False)
        with self._lock:
            running, transaction.running = transaction.running, None
        if running is not None:
            running.join()
        return transaction

    def _pop_transaction(self, transaction_id: str) -> _Transaction:
        return self._claim(transaction_id, remove=True)

    def _claim(self, transaction_id: str, *, remove: bool) -> _Transaction:
        """The transaction, touched (or removed); an unknown or expired one is not found."""
        with self._lock:
            transaction = self._transactions.get(transaction_id)
            now = self._clock.monotonic()
            expired = transaction is not None and now - transaction.last_used > TRANSACTION_IDLE_SECONDS
            if transaction is not None and (remove or expired):
                del self._transactions[transaction_id]
            elif transaction is not None:
                transaction.last_used = now
        if transaction is None:
            raise _transaction_not_found(transaction_id)
        if expired:
            # Rolled back by the service when it timed out.
            transaction.connection.close()
            raise _transaction_not_found(transaction_id)
        return transaction

    def _type_name(self, connection: Any, oid: int) -> str:
        if oid not in self._type_names:
            with connection.cursor() as cursor:
                cursor.execute("SELECT typname FROM pg_type WHERE oid = %s", (oid,))
                self._type_names[oid] = cursor.fetchone()[0]
        return self._type_names[oid]


def _transaction_not_found(transaction_id: str) -> DataApiError:
    return DataApiError("TransactionNotFoundException", f"Transaction {transaction_id} is not found")


def _timed_out(connection: psycopg2.extensions.connection) -> DataApiError:
    return DataApiError(
        "StatementTimeoutException",
        "The statement timed out before it finished",
        dbConnectionId=connection.info.backend_pid,
    )


def _login_failure(exc: psycopg2.OperationalError) -> DataApiError:
    """What the service answers when it cannot log in: an unknown database is the database's error
    (https://github.com/aws/aws-cli/issues/8577: ``DatabaseErrorException ... ERROR: database "USERNAME"
    does not exist``), a refused login a bad request (``BadRequestException: FATAL: password
    authentication failed for user``, https://github.com/ArsenyYankovsky/typeorm-aurora-data-api-driver/issues/86)."""
    detail = str(exc).rsplit("FATAL:", 1)[-1].strip()
    if re.match(r'database ".*" does not exist', detail):
        return DataApiError("DatabaseErrorException", f"ERROR: {detail}")
    return DataApiError("BadRequestException", f"FATAL: {detail}")


# --- parameters ---------------------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


@dataclass(frozen=True)
class _Statement:
    """The SQL with ``$n`` placeholders, the declared type of each and the values to execute it with."""

    sql: str
    types: list[str]
    values: list[Any]


def _bind(sql: str, parameters: list[dict[str, Any]]) -> _Statement:
    """``:name`` placeholders become ``$n`` with the types the service's driver declares for them."""
    typed: dict[str, tuple[Any, str]] = {}
    for parameter in parameters:
        name = parameter["name"] if parameter.get("name") else ""
        if not name:
            raise DataApiError("BadRequestException", "Parameter name is required")
        typed[name] = _typed_value(name, parameter.get("value") or {}, parameter.get("typeHint"))
    used: list[str] = []
    out: list[str] = []
    i = 0
    while i < len(sql):
        char = sql[i]
        if char in ("'", '"') or (sql.startswith("$", i) and re.match(r"\$[A-Za-z_0-9]*\$", sql[i:])):
            end = _literal_end(sql, i)
            out.append(sql[i:end])
            i = end
        elif sql.startswith("--", i) or sql.startswith("/*", i):
            newline = sql.find("\n", i) if sql.startswith("--", i) else sql.find("*/", i)
            end = len(sql) if newline < 0 else newline + (1 if sql.startswith("--", i) else 2)
            out.append(sql[i:end])
            i = end
        elif char == ":" and sql.startswith("::", i):
            out.append("::")
            i += 2
        elif char == ":" and (match := _NAME.match(sql, i + 1)):
            name = match.group(0)
            if name not in typed:
                raise DataApiError("BadRequestException", f"No value specified for parameter {name}")
            if name not in used:
                used.append(name)
            out.append(f"${used.index(name) + 1}")
            i = match.end()
        else:
            out.append(char)
            i += 1
    unused = set(typed) - set(used)
    if unused:
        raise DataApiError(
            "BadRequestException", f"Parameter {sorted(unused)[0]} is not used in the statement"
        )
    return _Statement("".join(out), [typed[name][1] for name in used], [typed[name][0] for name in used])


def _typed_value(name: str, field: dict[str, Any], hint: str | None) -> tuple[Any, str]:
    """The value and the type the driver declares for it; an untyped NULL is ``unknown``, which
    PostgreSQL infers from the statement or refuses."""
    if len(field) != 1:
        raise DataApiError("BadRequestException", f"Parameter {name}: exactly one value field is required")
    kind, value = next(iter(field.items()))
    if kind == "isNull":
        return None, _HINT_TYPES[hint] if hint else "unknown"
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

# The operations the stand-in serves, by the path the model routes them to.
_OPERATIONS = {
    operation.http["requestUri"]: operation
    for operation in map(
        _MODEL.operation_model,
        ("ExecuteStatement", "BeginTransaction", "CommitTransaction", "RollbackTransaction"),
    )
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
            operation = _OPERATIONS.get(self.path)
            if operation is None:
                payload = json.dumps({"message": f"Unknown path {self.path}"}).encode("utf-8")
                self._send(ErrorAnswer(404, {"x-amzn-ErrorType": "UnknownOperationException"}, payload))
                return
            try:
                if "rds-data" not in (self.headers.get("Authorization") or ""):
                    raise DataApiError("ForbiddenException", "Missing or invalid SigV4 signature")
                body = json.loads(raw or b"{}")
                answer = json.dumps(api.handle(operation, body), ensure_ascii=False).encode("utf-8")
                self._send(ErrorAnswer(200, {}, answer))
            except RequestRefused as refused:
                self._send(refused.answer)
            except DataApiError as exc:
                api.errors.append(exc.code)
                self._send(error_answer(operation, exc.code, exc.message, **exc.members))

        def _send(self, answer: ErrorAnswer) -> None:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, *args: object) -> None:
            """Quiet: tests read outcomes, not access logs."""

    return Handler


def secrets_manager_credentials(client: Any) -> Credentials:
    """The login the service reads from a secret: its ``username`` and ``password``, from the given
    Secrets Manager client (moto's, in tests)."""

    def read(secret_arn: str) -> tuple[str, str]:
        value = json.loads(client.get_secret_value(SecretId=secret_arn)["SecretString"])
        return str(value["username"]), str(value["password"])

    return read


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
