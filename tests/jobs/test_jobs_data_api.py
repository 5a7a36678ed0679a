"""What only the Data API adapter has to get right: typed parameters, record shapes, a resuming
cluster, transactions by id, the row and response size limits, and one statement per call.

Everything goes through a real boto3 ``rds-data`` client to the stand-in on 127.0.0.1.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from mediascribe.errors import DatabaseUnavailableError
from mediascribe.jobs import JobStatus
from mediascribe.jobs.data_api import DataApiExecutor, array_literal, encode_parameter, encode_statement
from mediascribe.jobs.executor import JsonValue, StatementError
from mediascribe.jobs.repository import JobRepository
from mediascribe.jobs.schema import apply_migrations, available_migrations
from support.fake_data_api import FakeDataApi, data_api_client, data_api_executor


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


def test_a_paused_cluster_is_waited_for(executor: DataApiExecutor, data_api: FakeDataApi, make_job) -> None:
    job = make_job()
    data_api.resume_for(3)
    assert JobRepository(executor).start(job.id).status is JobStatus.PROCESSING


def test_a_cluster_that_stays_paused_is_a_retryable_failure(data_api: FakeDataApi, database) -> None:
    executor = data_api_executor(data_api, resume_attempts=3, resume_backoff_seconds=0.01)
    data_api.resume_for(10)
    try:
        with pytest.raises(DatabaseUnavailableError, match="still resuming after 3 attempts") as error:
            executor.run(lambda transaction: transaction.execute("SELECT 1"))
        assert error.value.retryable
    finally:
        data_api.resume_for(0)


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


def test_an_unknown_transaction_is_an_error(data_api: FakeDataApi) -> None:
    client = data_api_client(data_api)
    target = {"resourceArn": data_api.cluster_arn, "secretArn": data_api.secret_arn}
    with pytest.raises(ClientError, match="is not found"):
        client.execute_statement(**target, sql="SELECT 1", transactionId="bm90LWEtdHJhbnNhY3Rpb24=")
    with pytest.raises(ClientError) as commit:
        client.commit_transaction(**target, transactionId="bm90LWEtdHJhbnNhY3Rpb24=")
    assert commit.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


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
