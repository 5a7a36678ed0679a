"""The jobs API handler, invoked through Lambda with API Gateway REST proxy events."""

from __future__ import annotations

import json
import urllib.parse

from support.fake_openai import error_reply
from support.media_factory import make_speech_like


def _request(method: str, path: str, body: object = None, query: dict | None = None) -> dict:
    parts = path.strip("/").split("/")
    resource = "/".join(["", "jobs", *(["{job_id}"] if len(parts) > 1 else []), *parts[2:]])
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": {"job_id": parts[1]} if len(parts) > 1 else None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": "test-request",
            "identity": {"sourceIp": "127.0.0.1", "userArn": "arn:aws:iam::123456789012:user/tester"},
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def _call(
    workflow, method: str, path: str, body: object = None, query: dict | None = None
) -> tuple[int, dict]:
    payload, error = workflow.invoke("JobsApiFunction", _request(method, path, body, query))
    assert error is None, payload
    return payload["statusCode"], json.loads(payload["body"])


def test_post_an_uploaded_object_then_poll_its_status(make_workflow, tmp_path):
    media = make_speech_like(tmp_path / "api.mp3", 3.0)
    with make_workflow() as workflow:
        key = workflow.upload(media, "uploads/api upload.mp3")
        status, accepted = _call(workflow, "POST", "/jobs", {"key": key})
        assert status == 202
        assert accepted["status_url"] == f"/jobs/{accepted['job_id']}"
        # Repeating the request is idempotent: same job, no second execution.
        status, again = _call(workflow, "POST", "/jobs", {"key": key})
        assert (status, again["job_id"], again["created"]) == (202, accepted["job_id"], False)
        workflow.wait(workflow.execution_arn(accepted["job_id"]))
        status, document = _call(workflow, "GET", f"/jobs/{accepted['job_id']}", query={"include": "content"})
        assert status == 200
        assert document["status"] == "completed"
        assert document["content"] == "Transcript of chunk-00000.mp3."
        status, brief = _call(workflow, "GET", f"/jobs/{accepted['job_id']}")
        assert "content" not in brief
        assert len(workflow.executions()) == 1


def test_upload_request_returns_a_presigned_put_under_the_upload_prefix(make_workflow):
    with make_workflow() as workflow:
        status, upload = _call(workflow, "POST", "/jobs", {"upload": {"filename": "../../etc/My Talk.MP4"}})
        assert status == 201
        assert upload["method"] == "PUT"
        assert upload["key"].startswith("uploads/")
        assert upload["key"].endswith("/My Talk.mp4")
        assert ".." not in upload["key"]
        url = urllib.parse.urlparse(upload["upload_url"])
        assert urllib.parse.unquote(url.path).endswith(upload["key"])
        assert "X-Amz-Signature" in url.query or "Signature" in url.query


def test_bad_requests_are_400_and_unknown_jobs_404(make_workflow):
    with make_workflow() as workflow:
        assert _call(workflow, "GET", "/jobs/not-a-job-id")[0] == 400
        assert _call(workflow, "GET", "/jobs/00000000-0000-4000-8000-000000000000")[0] == 404
        assert _call(workflow, "POST", "/jobs", ["not", "an", "object"])[0] == 400
        malformed = _request("POST", "/jobs")
        malformed["body"] = "{not json"
        payload, error = workflow.invoke("JobsApiFunction", malformed)
        assert (error, payload["statusCode"]) == (None, 400)
        assert _call(workflow, "POST", "/jobs", {"key": "uploads/never-uploaded.mp3"})[0] == 400
        assert _call(workflow, "POST", "/jobs", {"key": "elsewhere/file.mp3"})[0] == 400
        assert (
            _call(workflow, "POST", "/jobs", {"bucket": "another-bucket", "key": "uploads/x.mp3"})[0] == 400
        )
        assert workflow.executions() == []


def test_a_failed_job_is_retried_as_a_new_attempt_and_completes(make_workflow, fake_api, jobs, tmp_path):
    media = make_speech_like(tmp_path / "retry.mp3", 3.0)
    fake_api.script(error_reply(401))  # a revoked key: permanent, the job fails
    with make_workflow() as workflow:
        key = workflow.upload(media, "uploads/retry.mp3")
        status, accepted = _call(workflow, "POST", "/jobs", {"key": key})
        job_id = accepted["job_id"]
        assert workflow.wait(workflow.execution_arn(job_id)).status == "FAILED"
        assert _call(workflow, "GET", f"/jobs/{job_id}")[1]["status"] == "failed"

        status, retried = _call(workflow, "POST", f"/jobs/{job_id}/retry")
        assert (status, retried["job_id"], retried["status"]) == (202, job_id, "pending")
        assert workflow.wait(workflow.execution_arn(job_id, attempt=2)).status == "SUCCEEDED"
        status, document = _call(workflow, "GET", f"/jobs/{job_id}", query={"include": "content"})
        assert (document["status"], document["attempt"]) == ("completed", 2)
        assert document["content"] == "Transcript of chunk-00000.mp3."

        # Only failed jobs can be retried; unknown and malformed ids are not found / bad requests.
        assert _call(workflow, "POST", f"/jobs/{job_id}/retry")[0] == 409
        assert _call(workflow, "POST", "/jobs/00000000-0000-4000-8000-000000000000/retry")[0] == 404
        assert _call(workflow, "POST", "/jobs/not-a-job/retry")[0] == 400
        assert len(workflow.executions()) == 2
