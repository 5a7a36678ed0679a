"""The jobs API while its Aurora cluster resumes from a pause: a 503 with ``Retry-After``, answered
within the function's Timeout, never API Gateway's 504 for a function Lambda cut off.

The function runs with its template environment and under its template Timeout (the local runner's
``Sandbox``, which fails an invocation past it as Lambda does), against the Data API stand-in; the
resume and every wait pass on one virtual clock.
"""

from __future__ import annotations

import importlib.util
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

import mediascribe.jobs.data_api as data_api_module
from mediascribe.jobs.connect import clear_executor_cache
from mediascribe.local.lambda_bridge import Invocation, LocalLambdaContext, Sandbox
from mediascribe.observability import invocation_settings
from mediascribe.workflow.runtime import reset_runtimes
from support.api_gateway import proxy_event
from support.fake_data_api import FakeDataApi
from support.paths import REPO
from support.template_functions import function_settings, function_timeout
from support.virtual_clock import VirtualClock

FUNCTION = "JobsApiFunction"
CALLER = "arn:aws:iam::123456789012:user/tester"


@pytest.fixture
def jobs_api(monkeypatch) -> Iterator[Any]:
    """The API function's handler, loaded as its own container would load it."""
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("jobs_api_app", REPO / "functions/jobs_api/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    reset_runtimes()
    clear_executor_cache()
    yield module.lambda_handler
    reset_runtimes()
    clear_executor_cache()


def test_a_resuming_cluster_is_a_503_with_retry_after_within_the_timeout(
    _migrated: str, jobs_api, monkeypatch
) -> None:
    clock = VirtualClock()
    with FakeDataApi(_migrated, clock=clock) as data_api:
        monkeypatch.setenv("AWS_ENDPOINT_URL_RDS_DATA", data_api.endpoint_url)
        settings = function_settings(
            FUNCTION, cluster_arn=data_api.cluster_arn, app_secret_arn=data_api.secret_arn
        )
        data_api.resume_for_seconds(120)
        context = LocalLambdaContext(
            function_name=FUNCTION,
            invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION}",
            timeout_seconds=function_timeout(FUNCTION),
            clock=clock,
        )
        event = proxy_event("GET", f"/jobs/{uuid.uuid4()}", {}, {}, b"", CALLER)
        with clock.installed(data_api_module), invocation_settings(settings):
            response = Sandbox(clock).run(
                jobs_api, event, context, Invocation(FUNCTION, context.aws_request_id)
            )
    assert response["statusCode"] == 503, response
    assert json.loads(response["body"])["error"] == "DatabaseUnavailableError"
    assert int(response["multiValueHeaders"]["Retry-After"][0]) > 0
    assert data_api.calls.count("ExecuteStatement") > 1  # it did wait for the resume, for a while
