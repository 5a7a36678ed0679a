"""The jobs API's errors name the failure class and say what to do, never what is inside.

Messages of failures inside the service can hold role ARNs, host names or SQL; callers get the class,
a fixed message and the request id, and the log keeps the details.
"""

from __future__ import annotations

import json

from mediascribe.errors import DatabaseUnavailableError
from mediascribe.jobs.repository import JobRepository
from support.api_gateway import proxy_event

CALLER = "arn:aws:iam::123456789012:user/tester"
SOME_JOB = "00000000-0000-4000-8000-000000000000"
INTERNALS = (
    "db.cluster-abc.eu-west-1.rds.amazonaws.com:5432 as arn:aws:iam::123456789012:role/mediascribe-api"
)


def get_job(workflow) -> tuple[int, dict]:
    event = proxy_event("GET", f"/jobs/{SOME_JOB}", {}, {}, b"", CALLER)
    payload, error = workflow.invoke("JobsApiFunction", event)
    assert error is None, payload  # answered by the function, not a raw Lambda error
    return payload["statusCode"], json.loads(payload["body"])


def test_an_unexpected_failure_is_a_500_naming_only_its_class(make_workflow, monkeypatch):
    def broken(self, job_id):
        raise RuntimeError(f"could not reach {INTERNALS}")

    with make_workflow() as workflow:
        monkeypatch.setattr(JobRepository, "get", broken)
        status, body = get_job(workflow)
    assert status == 500
    assert body["error"] == "RuntimeError"
    assert "failed inside the service" in body["message"] and "request" in body["message"]
    assert "rds.amazonaws.com" not in json.dumps(body) and "arn:aws:iam" not in json.dumps(body)


def test_an_unavailable_database_is_a_503_worth_retrying(make_workflow, monkeypatch):
    def resuming(self, job_id):
        raise DatabaseUnavailableError(f"no connection to {INTERNALS} after 3 attempts")

    with make_workflow() as workflow:
        monkeypatch.setattr(JobRepository, "get", resuming)
        status, body = get_job(workflow)
    assert status == 503
    assert body["error"] == "DatabaseUnavailableError"
    assert "try again" in body["message"]
    assert "rds.amazonaws.com" not in json.dumps(body)


def test_errors_of_the_callers_request_keep_their_own_message(make_workflow):
    with make_workflow() as workflow:
        status, body = get_job(workflow)
    assert (status, body["error"]) == (404, "JobNotFoundError")
    assert SOME_JOB in body["message"]
