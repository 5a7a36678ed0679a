"""The migrate function answers CloudFormation on every path and is the one place that migrates."""

from __future__ import annotations

import importlib.util
import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from psycopg2.extensions import make_dsn

from mediascribe.jobs.connect import clear_executor_cache
from mediascribe.jobs.database import Database
from mediascribe.jobs.schema import available_migrations
from mediascribe.observability import reset_container
from support.job_rows import public_tables
from support.rehearsal.cloudformation import ResponseEndpoint, resource_request, response_endpoint

HANDLER = Path(__file__).resolve().parents[2] / "functions" / "migrate_database" / "app.py"


@dataclass
class Context:
    function_name: str = "MigrateDatabaseFunction"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:migrate"
    memory_limit_in_mb: int = 256
    aws_request_id: str = "request-1"
    log_group_name: str = "/aws/lambda/migrate"
    log_stream_name: str = "2026/11/30/[$LATEST]abc"


class ResponseCollector:
    """A plain-HTTP URL that records each PUT body, where CloudFormation's presigned URL is https."""

    def __init__(self) -> None:
        self.answers: list[dict[str, Any]] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers["Content-Length"])
                collector.answers.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/presigned?X-Amz-Signature=abc"


@pytest.fixture
def responses() -> Iterator[ResponseEndpoint]:
    """CloudFormation's presigned ResponseURL, served over verified HTTPS as S3 serves it."""
    with response_endpoint() as endpoint:
        yield endpoint


@pytest.fixture
def plain_http() -> Iterator[ResponseCollector]:
    collector = ResponseCollector()
    thread = threading.Thread(target=collector.server.serve_forever, daemon=True)
    thread.start()
    yield collector
    collector.server.shutdown()
    collector.server.server_close()


@pytest.fixture
def handler(monkeypatch):
    spec = importlib.util.spec_from_file_location("migrate_database_app", HANDLER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    reset_container()  # each test's environment, read as a cold start reads it
    yield module.lambda_handler
    reset_container()
    clear_executor_cache()


def request(kind: str, endpoint: ResponseEndpoint, physical_id: str | None = None) -> dict[str, Any]:
    return resource_request(
        endpoint,
        kind,
        logical_id="DatabaseSchema",
        resource_type="Custom::DatabaseSchema",
        properties={
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:migrate",
            "Migrations": "0001",
        },
        physical_id=physical_id,
    )


def answers(endpoint: ResponseEndpoint) -> list[dict[str, Any]]:
    """The response documents PUT so far, in order."""
    return list(endpoint.responses.values())


def test_create_applies_the_migrations_and_answers_success(
    handler, responses: ResponseEndpoint, empty_dsn: str, monkeypatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_dsn)
    handler(request("Create", responses), Context())
    (answer,) = answers(responses)
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == "mediascribe-schema"
    assert answer["Data"] == {"Applied": ",".join(m.version for m in available_migrations())}
    assert {"assets", "assets_processing_jobs", "schema_migrations"} <= set(public_tables(empty_dsn))
    handler(request("Update", responses, "mediascribe-schema"), Context())
    assert answers(responses)[1]["Data"] == {"Applied": "none"}


def test_a_failed_migration_is_still_answered_without_connection_details(
    handler, responses: ResponseEndpoint, monkeypatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://admin:hunter2@127.0.0.1:{port}/db")
    monkeypatch.setenv("DATABASE_CONNECT_ATTEMPTS", "1")
    handler(request("Create", responses), Context())
    (answer,) = answers(responses)
    assert answer["Status"] == "FAILED"
    assert "DatabaseUnavailableError" in answer["Reason"] and Context.log_stream_name in answer["Reason"]
    assert "hunter2" not in json.dumps(answer) and str(port) not in answer["Reason"]


def test_delete_answers_success_and_leaves_the_data(
    handler, responses: ResponseEndpoint, empty_dsn: str, monkeypatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_dsn)
    handler(request("Delete", responses, "mediascribe-schema"), Context())
    assert [(a["Status"], a["PhysicalResourceId"]) for a in answers(responses)] == [
        ("SUCCESS", "mediascribe-schema")
    ]
    assert public_tables(empty_dsn) == []


def test_a_broken_configuration_is_answered_too(handler, responses: ResponseEndpoint, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_MODE", "data-api")
    monkeypatch.delenv("DATABASE_CLUSTER_ARN", raising=False)
    handler(request("Create", responses), Context())
    assert answers(responses)[0]["Status"] == "FAILED"
    assert "ConfigurationError" in answers(responses)[0]["Reason"]


def test_create_also_sets_up_the_functions_login_from_its_secret(
    handler, responses: ResponseEndpoint, role_name: str, empty_dsn: str, app_secret: str, monkeypatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_dsn)
    monkeypatch.setenv("DATABASE_APP_SECRET_ARN", app_secret)
    handler(request("Create", responses), Context())
    assert answers(responses)[0]["Status"] == "SUCCESS"
    login = Database(make_dsn(empty_dsn, user=role_name, password="from-secrets-manager-0123"))
    try:
        assert login.execute("SELECT current_user AS name") == [{"name": role_name}]
        assert login.execute("SELECT count(*) AS jobs FROM assets_processing_jobs") == [{"jobs": 0}]
    finally:
        login.close()


def test_an_unusable_login_secret_fails_the_deployment_without_showing_it(
    handler, responses: ResponseEndpoint, empty_dsn: str, secrets_manager, monkeypatch
) -> None:
    value = {"username": "Robert'); DROP TABLE assets;--", "password": "hunter2-hunter2-hunter2"}
    arn = secrets_manager.create_secret(Name="mediascribe-app", SecretString=json.dumps(value))["ARN"]
    monkeypatch.setenv("DATABASE_URL", empty_dsn)
    monkeypatch.setenv("DATABASE_APP_SECRET_ARN", arn)
    handler(request("Create", responses), Context())
    (answer,) = answers(responses)
    assert answer["Status"] == "FAILED" and "ConfigurationError" in answer["Reason"]
    assert "hunter2" not in json.dumps(answer) and "Robert" not in json.dumps(answer)
    assert "assets" in public_tables(empty_dsn)


@pytest.mark.parametrize("scheme", ["http", "ftp", "file"])
def test_a_response_url_that_is_not_https_gets_nothing(
    handler, plain_http: ResponseCollector, empty_dsn: str, monkeypatch, caplog, scheme: str
) -> None:
    """CloudFormation's ResponseURL is a presigned https URL; no other is migrated for or answered."""
    monkeypatch.setenv("DATABASE_URL", empty_dsn)
    event = {**request("Create", response_endpoint_stub()), "ResponseURL": plain_http.url}
    event["ResponseURL"] = event["ResponseURL"].replace("http://", f"{scheme}://", 1)
    with caplog.at_level(logging.ERROR, logger="mediascribe"):
        handler(event, Context())
    assert plain_http.answers == []
    assert public_tables(empty_dsn) == []
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "not an https URL" in record.getMessage()
    assert "X-Amz-Signature" not in caplog.text


def response_endpoint_stub() -> ResponseEndpoint:
    return ResponseEndpoint(base_url="https://cloudformation-custom-resource-response.invalid")
