"""The jobs API's audit line: one JSON line per request, with the caller, route, job, status and
latency, whatever the request answered, and nothing of what was sent or returned."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from mediascribe.api_audit import audit_logger
from mediascribe.observability import logger
from support.api_gateway import proxy_event
from support.media_factory import make_speech_like

ALICE = "arn:aws:iam::123456789012:user/tester"
UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"
# Powertools leaves out a field whose value is None (no caller identity, no job id).
FIELDS = {"http_method", "route", "status", "latency_ms"}


@pytest.fixture
def audit_lines() -> Iterator[io.StringIO]:
    """The audit logger's records as the Powertools formatter writes them in Lambda."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    audit_logger.addHandler(handler)
    yield stream
    audit_logger.removeHandler(handler)


def call(workflow, method: str, path: str, body: object = None, query: dict | None = None, caller=ALICE):
    encoded = b"" if body is None else json.dumps(body).encode()
    event = proxy_event(method, path, query or {}, {"Content-Type": "application/json"}, encoded, caller)
    payload, error = workflow.invoke("JobsApiFunction", event)
    assert error is None, payload
    return payload["statusCode"], json.loads(payload["body"])


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


def test_each_request_is_audited_with_its_caller_route_job_and_status(
    make_workflow, audit_lines, tmp_path, monkeypatch
) -> None:
    media = make_speech_like(tmp_path / "talk.mp3", 3.0)
    with make_workflow() as workflow:
        # LOG_LEVEL does not silence the audit.
        logging.getLogger("mediascribe").setLevel(logging.ERROR)
        status, upload = call(workflow, "POST", "/jobs", {"upload": {"filename": "talk.mp3"}})
        assert status == 201
        key = workflow.upload(media, upload["key"])
        status, accepted = call(workflow, "POST", "/jobs", {"key": key})
        assert status == 202
        job_id = accepted["job_id"]
        workflow.wait(workflow.execution_arn(job_id))
        status, document = call(workflow, "GET", f"/jobs/{job_id}", query={"include": "content"})
        assert status == 200 and document["content"]
        assert call(workflow, "GET", f"/jobs/{UNKNOWN_JOB}")[0] == 404
        assert call(workflow, "GET", "/jobs/not-a-uuid")[0] == 400
        assert call(workflow, "GET", f"/jobs/{job_id}", caller=None)[0] == 403
    audit = lines(audit_lines)
    assert all(set(line) >= FIELDS and line["message"] == "api request" for line in audit)
    assert all(isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0 for line in audit)
    assert [
        (line.get("caller_arn"), line["http_method"], line["route"], line.get("job_id"), line["status"])
        for line in audit
    ] == [
        (ALICE, "POST", "/jobs", None, 201),
        (ALICE, "POST", "/jobs", None, 202),
        (ALICE, "GET", "/jobs/{job_id}", job_id, 200),
        (ALICE, "GET", "/jobs/{job_id}", UNKNOWN_JOB, 404),
        (ALICE, "GET", "/jobs/{job_id}", None, 400),
        (None, "GET", "/jobs/{job_id}", job_id, 403),
    ]
    # Nothing the caller sent or got back: not the transcript, the upload policy or the key.
    text = audit_lines.getvalue()
    assert document["content"][:20] not in text
    assert upload["fields"]["policy"] not in text and key not in text
