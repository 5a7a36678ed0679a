"""The Data API executor as each function of the template builds it: from its environment, within
its Timeout.

A real boto3 ``rds-data`` client answered by ``botocore.stub.Stubber``: botocore serialises each
request against the ``rds-data`` model, so a member an operation does not have (``database`` on
CommitTransaction) is refused as the service would refuse it. Waits pass on a virtual clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

import mediascribe.jobs.data_api as data_api_module
from mediascribe.errors import DatabaseUnavailableError
from mediascribe.jobs.connect import clear_executor_cache, executor_from_settings
from mediascribe.local.lambda_bridge import LocalLambdaContext
from mediascribe.time_budget import invocation_budget
from support.template_functions import function_names, function_settings, function_timeout
from support.virtual_clock import VirtualClock

TRANSACTION = "tx-0123456789"
RESUME_ATTEMPTS = 10  # the executor's default; more answers than it asks for are never used


@pytest.fixture
def rds_data() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "rds-data",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    clear_executor_cache()
    with Stubber(client) as stubber:
        yield client, stubber
    clear_executor_cache()


@pytest.mark.parametrize("function", function_names())
def test_a_transaction_runs_as_the_function_is_configured(function: str, rds_data) -> None:
    client, stubber = rds_data
    settings = function_settings(function)
    target = {"resourceArn": settings.database_cluster_arn, "secretArn": settings.database_secret_arn}
    database = {"database": settings.database_name}
    stubber.add_response("begin_transaction", {"transactionId": TRANSACTION}, {**target, **database})
    stubber.add_response(
        "execute_statement",
        {
            "records": [[{"longValue": 1}]],
            "columnMetadata": [{"name": "n", "label": "n", "typeName": "int4"}],
        },
        {
            **target,
            **database,
            "sql": "SELECT 1 AS n",
            "parameters": [],
            "includeResultMetadata": True,
            "transactionId": TRANSACTION,
        },
    )
    stubber.add_response(
        "commit_transaction",
        {"transactionStatus": "Transaction Committed"},
        {**target, "transactionId": TRANSACTION},
    )
    executor = executor_from_settings(settings, data_api_client=client)
    assert executor.run(lambda transaction: transaction.execute("SELECT 1 AS n")) == [{"n": 1}]
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize("function", function_names())
def test_a_resuming_cluster_is_given_up_on_while_the_function_can_still_answer(
    function: str, rds_data
) -> None:
    """However long the resume, the executor raises ``DatabaseUnavailableError`` before the Timeout."""
    client, stubber = rds_data
    for _ in range(RESUME_ATTEMPTS):
        stubber.add_client_error(
            "begin_transaction",
            service_error_code="DatabaseResumingException",
            service_message="The Aurora DB instance db-0123 is resuming after being auto-paused.",
            http_status_code=400,
        )
    clock = VirtualClock()
    context = LocalLambdaContext(
        function_name=function,
        invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{function}",
        timeout_seconds=function_timeout(function),
        clock=clock,
    )
    executor = executor_from_settings(function_settings(function), data_api_client=client)
    budget = invocation_budget(context.get_remaining_time_in_millis)
    still_resuming = pytest.raises(DatabaseUnavailableError, match="still resuming")
    with clock.installed(data_api_module), budget, still_resuming as error:
        executor.run(lambda transaction: transaction.execute("SELECT 1"))
    assert error.value.retryable
    # Time left to answer: the handler's 503 or its step's retryable failure, not Lambda's timeout.
    assert context.get_remaining_time_in_millis() >= 1000, error.value
