"""The jobs API handler, invoked through Lambda with API Gateway REST proxy events."""

from __future__ import annotations

import base64
import json
import re

from mediascribe.storage.objects import MAX_SOURCE_BYTES, upload_size_limit
from support.api_gateway import proxy_event
from support.fake_openai import error_reply
from support.media_factory import make_speech_like

ACCOUNT = "123456789012"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/tester"
BOB = f"arn:aws:sts::{ACCOUNT}:assumed-role/reviewer/bob"
OPERATOR = f"arn:aws:iam::{ACCOUNT}:role/operator"
UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"


def _request(
    method: str, path: str, body: object = None, query: dict | None = None, caller: str | None = ALICE
) -> dict:
    encoded = b"" if body is None else json.dumps(body).encode()
    return proxy_event(method, path, query or {}, {"Content-Type": "application/json"}, encoded, caller)


def _call(
    workflow,
    method: str,
    path: str,
    body: object = None,
    query: dict | None = None,
    caller: str | None = ALICE,
) -> tuple[int, dict]:
    payload, error = workflow.invoke("JobsApiFunction", _request(method, path, body, query, caller))
    assert error is None, payload
    return payload["statusCode"], json.loads(payload["body"])


def _upload_via_api(workflow, media, filename: str, caller: str = ALICE) -> str:
    """Ask for an upload URL as ``caller`` and put the file at the key it names."""
    status, upload = _call(workflow, "POST", "/jobs", {"upload": {"filename": filename}}, caller=caller)
    assert status == 201, upload
    return workflow.upload(media, upload["key"])


def test_post_an_uploaded_object_then_poll_its_status(make_workflow, tmp_path):
    media = make_speech_like(tmp_path / "api.mp3", 3.0)
    with make_workflow() as workflow:
        key = _upload_via_api(workflow, media, "api upload.mp3")
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


def test_upload_request_returns_a_size_capped_presigned_post_in_the_callers_folder(make_workflow):
    with make_workflow(MAX_DURATION_SECONDS="600") as workflow:
        status, upload = _call(workflow, "POST", "/jobs", {"upload": {"filename": "../../etc/My Talk.MP4"}})
        assert status == 201
        assert upload["method"] == "POST"
        folder = re.fullmatch(r"(uploads/u-[0-9a-f]{20}/)[0-9a-f-]{36}/My Talk\.mp4", upload["key"])
        assert folder, upload["key"]
        assert workflow.options.bucket in upload["upload_url"]
        fields = upload["fields"]
        assert fields["key"] == upload["key"] and fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
        policy = json.loads(base64.b64decode(fields["policy"]))
        # Ten minutes of media at 50 Mbit/s at most: the duration guard, turned into bytes.
        assert upload["max_bytes"] == upload_size_limit(600) == 600 * 6_250_000
        # Six hours could be larger than the media steps' /tmp holds: that bounds it instead.
        assert upload_size_limit(6 * 3600) == MAX_SOURCE_BYTES
        assert ["content-length-range", 1, upload["max_bytes"]] in policy["conditions"]
        assert {"key": upload["key"]} in policy["conditions"]
        # The same caller always gets the same folder; another caller gets another one.
        again = _call(workflow, "POST", "/jobs", {"upload": {"filename": "b.mp3"}})[1]["key"]
        assert again.startswith(folder.group(1))
        other = _call(workflow, "POST", "/jobs", {"upload": {"filename": "b.mp3"}}, caller=BOB)[1]["key"]
        assert re.match(r"uploads/u-[0-9a-f]{20}/", other) and not other.startswith(folder.group(1))


def test_bad_requests_are_400_and_unknown_jobs_404(make_workflow):
    with make_workflow(API_ADMIN_PRINCIPALS=OPERATOR) as workflow:
        assert _call(workflow, "GET", "/jobs/not-a-job-id")[0] == 400
        assert _call(workflow, "GET", f"/jobs/{UNKNOWN_JOB}")[0] == 404
        assert _call(workflow, "POST", "/jobs", ["not", "an", "object"])[0] == 400
        malformed = _request("POST", "/jobs")
        malformed["body"] = "{not json"
        payload, error = workflow.invoke("JobsApiFunction", malformed)
        assert (error, payload["statusCode"]) == (None, 400)
        never_uploaded = _call(workflow, "POST", "/jobs", {"upload": {"filename": "never.mp3"}})[1]["key"]
        assert _call(workflow, "POST", "/jobs", {"key": never_uploaded})[0] == 400
        # Keys the caller may name but the workflow does not take (only an admin may name them).
        for body in ({"key": "elsewhere/file.mp3"}, {"bucket": "another-bucket", "key": "uploads/x.mp3"}):
            assert _call(workflow, "POST", "/jobs", body, caller=OPERATOR)[0] == 400
            assert _call(workflow, "POST", "/jobs", body)[0] == 403
        assert workflow.executions() == []


def test_a_failed_job_is_retried_as_a_new_attempt_and_completes(make_workflow, fake_api, jobs, tmp_path):
    media = make_speech_like(tmp_path / "retry.mp3", 3.0)
    fake_api.script(error_reply(401))  # a revoked key: permanent, the job fails
    with make_workflow() as workflow:
        key = _upload_via_api(workflow, media, "retry.mp3")
        status, accepted = _call(workflow, "POST", "/jobs", {"key": key})
        job_id = accepted["job_id"]
        assert workflow.wait(workflow.execution_arn(job_id)).status == "FAILED"
        assert _call(workflow, "GET", f"/jobs/{job_id}")[1]["status"] == "failed"

        # Another caller cannot re-run it: for them the job does not exist.
        assert _call(workflow, "POST", f"/jobs/{job_id}/retry", caller=BOB)[0] == 404
        assert len(workflow.executions()) == 1

        status, retried = _call(workflow, "POST", f"/jobs/{job_id}/retry")
        assert (status, retried["job_id"], retried["status"]) == (202, job_id, "pending")
        assert workflow.wait(workflow.execution_arn(job_id, attempt=2)).status == "SUCCEEDED"
        status, document = _call(workflow, "GET", f"/jobs/{job_id}", query={"include": "content"})
        assert (document["status"], document["attempt"]) == ("completed", 2)
        assert document["content"] == "Transcript of chunk-00000.mp3."

        # Only failed jobs can be retried; unknown and malformed ids are not found / bad requests.
        assert _call(workflow, "POST", f"/jobs/{job_id}/retry")[0] == 409
        assert _call(workflow, "POST", f"/jobs/{UNKNOWN_JOB}/retry")[0] == 404
        assert _call(workflow, "POST", "/jobs/not-a-job/retry")[0] == 400
        assert len(workflow.executions()) == 2


def test_a_job_is_visible_only_to_its_owner_and_admins(make_workflow, tmp_path):
    media = make_speech_like(tmp_path / "private.mp3", 3.0)
    editor_session = f"arn:aws:sts::{ACCOUNT}:assumed-role/editor/session-1"
    with make_workflow(API_ADMIN_PRINCIPALS=OPERATOR) as workflow:
        key = _upload_via_api(workflow, media, "private.mp3", caller=editor_session)
        status, accepted = _call(workflow, "POST", "/jobs", {"key": key}, caller=editor_session)
        assert status == 202
        job_id = accepted["job_id"]
        assert workflow.wait(workflow.execution_arn(job_id)).status == "SUCCEEDED"

        # Any session of the same role is the same owner.
        for session in (editor_session, f"arn:aws:sts::{ACCOUNT}:assumed-role/editor/session-2"):
            status, document = _call(
                workflow, "GET", f"/jobs/{job_id}", query={"include": "content"}, caller=session
            )
            assert (status, document["content"]) == (200, "Transcript of chunk-00000.mp3.")

        # Another caller learns nothing: the same answer as an id that was never used.
        for caller in (BOB, ALICE):
            status, hidden = _call(
                workflow, "GET", f"/jobs/{job_id}", query={"include": "content"}, caller=caller
            )
            unknown = _call(workflow, "GET", f"/jobs/{UNKNOWN_JOB}", caller=caller)[1]
            assert status == 404
            assert hidden["message"] == unknown["message"].replace(UNKNOWN_JOB, job_id)
            assert _call(workflow, "POST", "/jobs", {"key": key}, caller=caller)[0] == 403

        # Operators see it and may submit it again (the same job).
        status, document = _call(workflow, "GET", f"/jobs/{job_id}", caller=OPERATOR)
        assert (status, document["status"]) == (200, "completed")
        status, again = _call(workflow, "POST", "/jobs", {"key": key}, caller=OPERATOR)
        assert (status, again["job_id"], again["created"]) == (202, job_id, False)
        assert len(workflow.executions()) == 1


def test_uploads_outside_any_folder_are_visible_through_the_api_only_to_admins(make_workflow, tmp_path):
    media = make_speech_like(tmp_path / "dropped.mp3", 3.0)
    with make_workflow(API_ADMIN_PRINCIPALS=f"{ALICE},{OPERATOR}") as workflow:
        key = workflow.upload(media, "uploads/dropped.mp3")
        (started,) = workflow.deliver_upload_event(key)["jobs"]
        job_id = started["job_id"]
        assert workflow.wait(workflow.execution_arn(job_id)).status == "SUCCEEDED"
        assert _call(workflow, "GET", f"/jobs/{job_id}", caller=BOB)[0] == 404
        assert _call(workflow, "POST", "/jobs", {"key": key}, caller=BOB)[0] == 403
        for admin in (ALICE, OPERATOR):
            status, document = _call(workflow, "GET", f"/jobs/{job_id}", caller=admin)
            assert (status, document["status"]) == (200, "completed")


def test_requests_without_an_iam_identity_are_forbidden(make_workflow, tmp_path):
    media = make_speech_like(tmp_path / "anon.mp3", 3.0)
    with make_workflow() as workflow:
        key = _upload_via_api(workflow, media, "anon.mp3")
        for caller in (None, "anonymous"):
            assert _call(workflow, "POST", "/jobs", {"key": key}, caller=caller)[0] == 403
            assert (
                _call(workflow, "POST", "/jobs", {"upload": {"filename": "a.mp3"}}, caller=caller)[0] == 403
            )
            assert _call(workflow, "GET", f"/jobs/{UNKNOWN_JOB}", caller=caller)[0] == 403
            assert _call(workflow, "POST", f"/jobs/{UNKNOWN_JOB}/retry", caller=caller)[0] == 403
        no_context = _request("GET", f"/jobs/{UNKNOWN_JOB}")
        del no_context["requestContext"]["identity"]
        payload, error = workflow.invoke("JobsApiFunction", no_context)
        assert (error, payload["statusCode"]) == (None, 403)
        assert workflow.executions() == []
