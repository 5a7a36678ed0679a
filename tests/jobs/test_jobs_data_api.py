"""What only the Data API adapter has to get right: typed parameters, record shapes, a resuming
cluster, transactions by id, the row and response size limits, and one statement per call.

Everything goes through a real boto3 ``rds-data`` client to the stand-in on 127.0.0.1.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError
from psycopg2.extensions import parse_dsn

import mediascribe.jobs.data_api as data_api_module
from mediascribe.errors import DatabaseUnavailableError
from mediascribe.jobs import JobStatus
from mediascribe.jobs.data_api import DataApiExecutor, array_literal, encode_parameter, encode_statement
from mediascribe.jobs.executor import JsonValue, StatementError
from mediascribe.jobs.repository import JobRepository
from mediascribe.jobs.schema import apply_migrations, available_migrations
from support.fake_data_api import STATEMENT_TIMEOUT_SECONDS, FakeDataApi, data_api_client, data_api_executor
from support.virtual_clock import VirtualClock


@pytest.fixture
def adapter() -> str:
    """Jobs made by ``make_job`` go through the Data API here too."""
    return "data-api"


@pytest.fixture
def executor(data_api: FakeDataApi, database) -> DataApiExecutor:
    return data_api_executor(data_api, resume_backoff_seconds=0.01)


def test_parameters_carry_their_types() -> None:
    job_id = uuid.uuid4()
    statement, parameters = encode_statement(
        "SELECT %(id)s, %(doc)s, %(n)s, %(x)s, %(flag)s, %(none)s, %(tags)s, '100%%'",
        {
            "id": job_id,
            "doc": JsonValue({"a": [1, "é"]}),
            "n": 7,
            "x": 1.5,
            "flag": True,
            "none": None,
            "tags": ["pending", 'say "hi"'],
            "unused": 1,
        },
    )
    assert statement == "SELECT :id, :doc, :n, :x, :flag, :none, :tags, '100%'"
    assert parameters == [
        {"name": "id", "value": {"stringValue": str(job_id)}, "typeHint": "UUID"},
        {"name": "doc", "value": {"stringValue": '{"a": [1, "é"]}'}, "typeHint": "JSON"},
        {"name": "n", "value": {"longValue": 7}},
        {"name": "x", "value": {"doubleValue": 1.5}},
        {"name": "flag", "value": {"booleanValue": True}},
        {"name": "none", "value": {"isNull": True}},
        {"name": "tags", "value": {"stringValue": '{"pending","say \\"hi\\""}'}},
    ]
    assert array_literal([0, 3]) == "{0,3}"
    moment = datetime(2026, 11, 30, 13, 0, 0, 250000, tzinfo=timezone(timedelta(hours=1)))
    assert [
        encode_parameter(name, value)
        for name, value in [("at", moment), ("day", date(2026, 11, 30)), ("amount", Decimal("1.50"))]
    ] == [
        {"name": "at", "value": {"stringValue": "2026-11-30 12:00:00.250000"}, "typeHint": "TIMESTAMP"},
        {"name": "day", "value": {"stringValue": "2026-11-30"}, "typeHint": "DATE"},
        {"name": "amount", "value": {"stringValue": "1.50"}, "typeHint": "DECIMAL"},
    ]
    with pytest.raises(TypeError):
        encode_parameter("bad", object())


def test_values_round_trip_with_their_python_types(executor: DataApiExecutor) -> None:
    job_id = uuid.uuid4()
    row = executor.run(
        lambda transaction: transaction.execute(
            "SELECT %(id)s AS id, %(doc)s::jsonb AS doc, CAST(%(ints)s AS integer[]) AS ints, now() AS at,"
            " %(x)s AS x, NULL::text AS nothing",
            {"id": job_id, "doc": JsonValue({"k": [1, 2]}), "ints": [3, 1], "x": 0.25},
        )
    )[0]
    assert row["id"] == str(job_id)
    assert row["doc"] == {"k": [1, 2]}
    assert row["ints"] == [3, 1]
    assert row["at"].tzinfo is not None
    assert (row["x"], row["nothing"]) == (0.25, None)


def test_a_plain_string_is_not_a_uuid(executor: DataApiExecutor) -> None:
    """The service sends strings as varchar: comparing one with a uuid column needs the UUID hint."""
    with pytest.raises(StatementError, match="operator does not exist: uuid = character varying"):
        executor.run(
            lambda transaction: transaction.execute(
                "SELECT id FROM assets_processing_jobs WHERE id = %(id)s", {"id": str(uuid.uuid4())}
            )
        )


def test_array_parameters_and_several_statements_are_refused(data_api: FakeDataApi) -> None:
    client = data_api_client(data_api)
    target = {"resourceArn": data_api.cluster_arn, "secretArn": data_api.secret_arn}
    with pytest.raises(ClientError, match="Array parameters are not supported") as refused:
        client.execute_statement(
            **target,
            sql="SELECT :ids",
            parameters=[{"name": "ids", "value": {"arrayValue": {"longValues": [1, 2]}}}],
        )
    assert refused.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError, match="multiple commands") as several:
        client.execute_statement(**target, sql="SELECT 1; SELECT 2")
    assert several.value.response["Error"]["Code"] == "DatabaseErrorException"


def test_records_come_as_json_when_asked(data_api: FakeDataApi) -> None:
    client = data_api_client(data_api)
    response = client.execute_statement(
        resourceArn=data_api.cluster_arn,
        secretArn=data_api.secret_arn,
        sql="SELECT 1 AS n, 'a' AS s",
        formatRecordsAs="JSON",
    )
    assert json.loads(response["formattedRecords"]) == [{"n": 1, "s": "a"}]
    assert "records" not in response


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def timed_api(_migrated: str, clock: VirtualClock) -> Iterator[FakeDataApi]:
    """A stand-in of its own whose pauses and idle times run on the test's virtual clock."""
    with FakeDataApi(_migrated, clock=clock) as api:
        yield api


def test_a_paused_cluster_is_waited_for(timed_api: FakeDataApi, clock: VirtualClock, make_job) -> None:
    """A resume of 30 s is waited out by the executor's default backoff (the waits pass on the clock)."""
    job = make_job()
    timed_api.resume_for_seconds(30)
    started = clock.monotonic()
    with clock.installed(data_api_module):
        assert JobRepository(data_api_executor(timed_api)).start(job.id).status is JobStatus.PROCESSING
    assert clock.monotonic() - started >= 30
    assert timed_api.calls.count("ExecuteStatement") > 1


def test_a_cluster_that_stays_paused_is_a_retryable_failure(
    timed_api: FakeDataApi, clock: VirtualClock
) -> None:
    executor = data_api_executor(timed_api, resume_attempts=3)
    timed_api.resume_for_seconds(60)
    still_resuming = pytest.raises(DatabaseUnavailableError, match="still resuming after 3 attempts")
    with clock.installed(data_api_module), still_resuming as error:
        executor.run(lambda transaction: transaction.execute("SELECT 1"))
    assert error.value.retryable
    assert timed_api.calls == ["BeginTransaction"] * 3


def test_work_that_raises_is_rolled_back(executor: DataApiExecutor, data_api: FakeDataApi) -> None:
    def work(transaction) -> None:
        transaction.execute("CREATE TABLE scratch_data_api (x int)")
        raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError, match="changed my mind"):
        executor.run(work)
    assert data_api.calls[-1] == "RollbackTransaction"
    present = executor.run(
        lambda transaction: transaction.execute(
            "SELECT to_regclass('scratch_data_api') IS NOT NULL AS present"
        )
    )
    assert present == [{"present": False}]


def target(api: FakeDataApi) -> dict[str, str]:
    return {"resourceArn": api.cluster_arn, "secretArn": api.secret_arn}


def refused(call: Callable[..., Any], **request: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call(**request)
    return dict(raised.value.response)


def test_an_unknown_transaction_is_not_found_by_any_call(data_api: FakeDataApi) -> None:
    """Each operation lists TransactionNotFoundException (404) for it; the old stand-in answered the
    statement with a BadRequestException and the commit with a NotFoundException."""
    client = data_api_client(data_api)
    unknown = {**target(data_api), "transactionId": "bm90LWEtdHJhbnNhY3Rpb24="}
    for call, extra in [
        (client.execute_statement, {"sql": "SELECT 1"}),
        (client.commit_transaction, {}),
        (client.rollback_transaction, {}),
    ]:
        response = refused(call, **unknown, **extra)
        assert response["Error"]["Code"] == "TransactionNotFoundException"
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
        assert "is not found" in response["Error"]["Message"]


def test_a_transaction_idle_for_three_minutes_is_gone(timed_api: FakeDataApi, clock: VirtualClock) -> None:
    client = data_api_client(timed_api)
    transaction = client.begin_transaction(**target(timed_api))["transactionId"]
    clock.advance(179)
    client.execute_statement(**target(timed_api), sql="SELECT 1", transactionId=transaction)
    clock.advance(181)
    response = refused(
        client.execute_statement, **target(timed_api), sql="SELECT 1", transactionId=transaction
    )
    assert response["Error"]["Code"] == "TransactionNotFoundException"
    response = refused(client.commit_transaction, **target(timed_api), transactionId=transaction)
    assert response["Error"]["Code"] == "TransactionNotFoundException"


def test_a_failed_statement_aborts_its_transaction(data_api: FakeDataApi, database) -> None:
    """Later statements fail as PostgreSQL fails them, and the commit refuses to report success (the
    old stand-in answered "Transaction Committed" for a transaction PostgreSQL had rolled back)."""
    client = data_api_client(data_api)
    transaction = client.begin_transaction(**target(data_api))["transactionId"]
    client.execute_statement(
        **target(data_api), sql="CREATE TABLE scratch_aborted (x int)", transactionId=transaction
    )
    failed = refused(
        client.execute_statement, **target(data_api), sql="SELECT 1/0", transactionId=transaction
    )
    assert (failed["Error"]["Code"], failed["Error"]["Message"]) == (
        "DatabaseErrorException",
        "ERROR:  division by zero",
    )
    later = refused(client.execute_statement, **target(data_api), sql="SELECT 1", transactionId=transaction)
    assert later["Error"]["Code"] == "DatabaseErrorException"
    assert "current transaction is aborted" in later["Error"]["Message"]
    commit = refused(client.commit_transaction, **target(data_api), transactionId=transaction)
    assert commit["Error"]["Code"] == "DatabaseErrorException"
    assert "cannot be committed" in commit["Error"]["Message"]
    assert "division by zero" in commit["Error"]["Message"]
    present = client.execute_statement(
        **target(data_api), sql="SELECT to_regclass('scratch_aborted') IS NULL AS absent"
    )
    assert present["records"] == [[{"booleanValue": True}]]


def test_a_statement_past_the_timeout_is_cancelled_unless_it_may_continue(_migrated: str) -> None:
    """The limit is the service's 45 s; this stand-in lowers it so a 1 s sleep on the server passes it."""
    assert STATEMENT_TIMEOUT_SECONDS == 45.0
    with FakeDataApi(_migrated, statement_timeout_seconds=0.2) as api:
        client = data_api_client(api)
        slow = {**target(api), "sql": "CREATE TABLE scratch_slow AS SELECT 1 AS n FROM pg_sleep(1)"}
        cancelled = refused(client.execute_statement, **slow)
        assert cancelled["Error"]["Code"] == "StatementTimeoutException"
        assert cancelled["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert isinstance(cancelled["dbConnectionId"], int)
        absent = "SELECT to_regclass('scratch_slow') IS NULL AS absent"
        assert client.execute_statement(**target(api), sql=absent)["records"] == [[{"booleanValue": True}]]

        continued = refused(client.execute_statement, **slow, continueAfterTimeout=True)
        assert continued["Error"]["Code"] == "StatementTimeoutException"
        api.wait_for_running_statements()
        assert client.execute_statement(**target(api), sql=absent)["records"] == [[{"booleanValue": False}]]
        client.execute_statement(**target(api), sql="DROP TABLE scratch_slow")


def test_a_null_whose_type_postgresql_cannot_infer_is_refused(data_api: FakeDataApi) -> None:
    """The service prepares statements on the server: an untyped NULL needs a context that types it
    (the old stand-in inlined the NULL, which PostgreSQL reads as text)."""
    client = data_api_client(data_api)
    null = [{"name": "x", "value": {"isNull": True}}]
    response = refused(
        client.execute_statement, **target(data_api), sql="SELECT :x IS NULL AS missing", parameters=null
    )
    assert response["Error"]["Code"] == "DatabaseErrorException"
    assert "could not determine data type of parameter $1" in response["Error"]["Message"]
    typed = client.execute_statement(
        **target(data_api), sql="SELECT CAST(:x AS text) IS NULL AS missing", parameters=null
    )
    assert typed["records"] == [[{"booleanValue": True}]]


def test_the_database_named_in_the_request_is_the_one_used(data_api: FakeDataApi, empty_dsn: str) -> None:
    client = data_api_client(data_api)
    name = parse_dsn(empty_dsn)["dbname"]
    response = client.execute_statement(
        **target(data_api), database=name, sql="SELECT current_database() AS name"
    )
    assert response["records"] == [[{"stringValue": name}]]
    unknown = refused(client.execute_statement, **target(data_api), database="no_such_db", sql="SELECT 1")
    assert unknown["Error"]["Code"] == "DatabaseErrorException"
    assert 'database "no_such_db" does not exist' in unknown["Error"]["Message"]


def test_a_commit_naming_a_database_is_refused(data_api: FakeDataApi) -> None:
    """CommitTransaction and RollbackTransaction have no ``database`` member: botocore refuses it before
    sending, and the service cannot read such a request either."""
    client = data_api_client(data_api)
    transaction = client.begin_transaction(**target(data_api))["transactionId"]
    for path in ("/CommitTransaction", "/RollbackTransaction"):
        status, headers, body = post(
            data_api, path, {**target(data_api), "transactionId": transaction, "database": "postgres"}
        )
        assert (status, headers["x-amzn-ErrorType"]) == (400, "SerializationException")
        assert body == {"message": 'Unrecognized field "database"'}
    client.rollback_transaction(**target(data_api), transactionId=transaction)


def test_requests_are_held_to_the_whole_model(data_api: FakeDataApi) -> None:
    """Maxima and enums botocore does not check: the service refuses them as a BadRequestException."""
    client = data_api_client(data_api)
    response = refused(client.execute_statement, **target(data_api), sql="x" * 65_537)
    assert response["Error"]["Code"] == "BadRequestException"
    assert response["Error"]["Message"].startswith("1 validation error detected: Value 'xxxx")
    assert response["Error"]["Message"].endswith(
        "at 'sql' failed to satisfy constraint: Member must have length less than or equal to 65536"
    )
    hinted = [{"name": "x", "value": {"stringValue": "1"}, "typeHint": "INTEGER"}]
    response = refused(client.execute_statement, **target(data_api), sql="SELECT :x", parameters=hinted)
    assert response["Error"]["Message"] == (
        "1 validation error detected: Value 'INTEGER' at 'parameters.1.member.typeHint' failed to "
        "satisfy constraint: Member must satisfy enum value set: [JSON, UUID, TIMESTAMP, DATE, TIME, DECIMAL]"
    )


def test_the_login_is_the_one_in_the_secret(_migrated: str) -> None:
    """A secret that names a role the cluster does not know is a failed login, as the service reports
    one (the old stand-in logged in as the connection string's user, whatever the secret held)."""
    with FakeDataApi(_migrated, credentials=lambda arn: ("no_such_role", "whatever-0123456789")) as api:
        response = refused(data_api_client(api).execute_statement, **target(api), sql="SELECT 1")
    assert response["Error"]["Code"] == "BadRequestException"
    assert response["Error"]["Message"].startswith("FATAL:")
    assert 'role "no_such_role" does not exist' in response["Error"]["Message"]


def post(api: FakeDataApi, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    """A request as any client could send it, past botocore's own checks (signed for rds-data)."""
    request = urllib.request.Request(
        api.endpoint_url + path,
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/rds-data/aws4_request",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_a_long_transcript_is_read_back_whole(executor: DataApiExecutor, make_job) -> None:
    """1.5 MiB of mixed-width text: one SELECT of it is refused, the repository's slices are not."""
    repository = JobRepository(executor)
    job = make_job(started=True)
    line = "Zeile mit Umlauten äöü, emoji 🎙️, and plain words. "
    content = line * (3 * 512 * 1024 // len(line.encode("utf-8")) + 1)
    assert len(content.encode("utf-8")) > 3 * 512 * 1024
    repository.complete(job.id, content, {"chunk_count": 1})
    with pytest.raises(StatementError, match=r"Packet for query is too large|response size limit"):
        executor.run(
            lambda transaction: transaction.execute(
                "SELECT a.content FROM assets a JOIN assets_processing_jobs j ON j.asset_id = a.id "
                "WHERE j.id = %(id)s",
                {"id": uuid.UUID(job.id)},
            )
        )
    assert repository.get_content(job.id) == content


def test_migrations_apply_through_the_data_api(empty_dsn: str) -> None:
    with FakeDataApi(empty_dsn) as api:
        executor = data_api_executor(api)
        everything = [m.version for m in available_migrations()]
        assert apply_migrations(executor) == everything
        assert apply_migrations(executor) == []
        tables = executor.run(
            lambda transaction: transaction.execute(
                "SELECT count(*) AS n FROM information_schema.tables"
                " WHERE table_name = 'assets_processing_jobs'"
            )
        )
        assert tables == [{"n": 1}]
