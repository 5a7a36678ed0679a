"""What every handler gets from ``lambda_step``: JSON logs tagged with the job id, settings built
once per container, stale workspaces removed first — and no secret in any log line."""

from __future__ import annotations

import io
import json
import logging

import pytest
from psycopg2.extensions import make_dsn, parse_dsn

from mediascribe.errors import InvalidEventError
from mediascribe.local.lambda_bridge import LocalLambdaContext
from mediascribe.local.workflow import LocalOptions, LocalWorkflow
from mediascribe.observability import container_settings, lambda_step, logger, reset_container
from mediascribe.workflow.contracts import JobStep, SweepResult
from support.media_factory import make_garbage, make_speech_like
from support.paths import TEMPLATE
from support.workflow_runs import run_file

JOB = "5e5bf43a-895e-5e60-a69a-c91905330277"
DEAD_JOB = "2ec28a79-2f5c-5f0d-b4f9-dd079a5dfb0d"


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def json_log():
    """Every record of the ``mediascribe`` logger tree, formatted by Powertools as in Lambda."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    tree = logging.getLogger("mediascribe")
    level = tree.level
    tree.setLevel(logging.INFO)
    tree.addHandler(handler)
    yield stream
    tree.removeHandler(handler)
    tree.setLevel(level)


@pytest.fixture
def container(tmp_path, monkeypatch):
    monkeypatch.setenv("TEMP_DIR", str(tmp_path))
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    reset_container()
    yield tmp_path
    reset_container()


def test_handlers_log_json_with_the_job_id_and_clear_stale_workspaces(container, json_log):
    stale = container / DEAD_JOB
    stale.mkdir()
    (stale / "half.mp3").write_bytes(b"x")
    unrelated = container / "not-a-job"
    unrelated.mkdir()
    seen = []

    @lambda_step("example", JobStep)
    def handler(event, context, settings):
        seen.append(settings)
        logging.getLogger("mediascribe.workflow.example").info("doing the work", extra={"chunk_index": 3})
        return SweepResult(failed=[event.job_id])

    context = LocalLambdaContext(function_name="ExampleFunction", invoked_function_arn="arn:aws:lambda:x")
    assert handler({"job_id": JOB}, context) == {"failed": [JOB]}
    assert handler({"job_id": JOB, "unread": 1}, context) == {"failed": [JOB]}

    lines = _json_lines(json_log.getvalue())
    work = [line for line in lines if line["message"] == "doing the work"]
    assert len(work) == 2
    assert all(line["correlation_id"] == JOB for line in work)
    assert work[0]["chunk_index"] == 3
    assert work[0]["function_name"] == "ExampleFunction"
    assert work[0]["service"] == "mediascribe"
    finished = [line for line in lines if line["message"] == "step finished"]
    assert [line["step"] for line in finished] == ["example", "example"]
    assert not stale.exists()
    assert unrelated.exists()
    assert seen[0] is seen[1] is container_settings()
    assert seen[0].temp_dir == container


def test_an_event_that_breaks_the_contract_is_refused_by_name(container, json_log):
    ran = []

    @lambda_step("example", JobStep)
    def handler(event, context, settings):
        ran.append(event)
        return SweepResult(failed=[])

    context = LocalLambdaContext(function_name="ExampleFunction", invoked_function_arn="arn:aws:lambda:x")
    with pytest.raises(InvalidEventError, match=r"example received an event it cannot read \(job_id: "):
        handler({"job": JOB}, context)
    with pytest.raises(InvalidEventError, match="job_id: Input should be a valid string"):
        handler({"job_id": 7}, context)
    assert ran == []


def test_no_secret_reaches_the_logs(postgres_dsn, database, fake_api, tmp_path, capfd, json_log):
    api_key = "sk-test-7f3b6c1e2a4d5e8f"
    params = parse_dsn(postgres_dsn)
    password = params.get("password") or "db-pass-4b1d9c"
    # A local cluster trusts local connections, so an unneeded password is accepted and ignored.
    database_url = make_dsn(postgres_dsn, password=password)
    options = LocalOptions(
        database_url=database_url,
        temp_dir=tmp_path / "work",
        environment={
            "TRANSCRIPTION_ENGINE": "openai",
            "OPENAI_API_KEY": api_key,
            "OPENAI_BASE_URL": fake_api.base_url,
            "LOG_LEVEL": "DEBUG",
        },
    )
    (tmp_path / "work").mkdir()
    media = make_speech_like(tmp_path / "secret.mp3", 3.0)
    broken = make_garbage(tmp_path / "broken.mp3")
    with LocalWorkflow(TEMPLATE, options) as workflow:
        assert run_file(workflow, media)[1] == "SUCCEEDED"
        assert run_file(workflow, broken)[1] == "FAILED"
    captured = capfd.readouterr()
    logs = captured.out + captured.err + json_log.getvalue()
    assert "correlation_id" in logs
    assert api_key not in logs
    assert password not in logs
