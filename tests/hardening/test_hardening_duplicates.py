"""Duplicate starts that D's workflow tests do not race: the S3 notification and API requests for the
same upload arriving together, and a burst of identical API requests. All converge on one job."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from mediascribe.jobs.models import JobStatus
from support.hardening import chunk_text
from support.job_rows import job_count
from support.media_factory import make_audio

CALLER = "arn:aws:sts::123456789012:assumed-role/uploader/session"


def _post_jobs(body: dict) -> dict:
    """The REST proxy event API Gateway sends for ``POST /jobs`` (IAM-signed caller)."""
    return {
        "resource": "/jobs",
        "path": "/jobs",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "requestContext": {
            "resourcePath": "/jobs",
            "httpMethod": "POST",
            "stage": "prod",
            "identity": {"userArn": CALLER},
        },
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _upload_url_key(workflow) -> str:
    """The key the API hands the caller to upload to (inside the caller's folder)."""
    payload, error = workflow.invoke("JobsApiFunction", _post_jobs({"upload": {"filename": "race.mp3"}}))
    assert error is None and payload["statusCode"] == 201, payload
    return json.loads(payload["body"])["key"]


def test_s3_event_and_api_requests_racing_for_one_upload_make_one_job_and_one_execution(
    media_library, make_workflow, jobs, database, fake_api
):
    media = media_library.get("race.mp3", lambda path: make_audio(path, 3.0, fmt="mp3"))
    with make_workflow() as workflow:
        key = workflow.upload(media, _upload_url_key(workflow))
        s3_event = workflow.s3_event(key)
        calls = [("StartJobFunction", s3_event)] * 3 + [("JobsApiFunction", _post_jobs({"key": key}))] * 5
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            replies = list(pool.map(lambda call: workflow.invoke(*call), calls))
        assert all(error is None for _, error in replies), replies
        from_s3 = [payload["jobs"][0] for payload, _ in replies[:3]]
        from_api = [(payload["statusCode"], json.loads(payload["body"])) for payload, _ in replies[3:]]
        assert {status for status, _ in from_api} == {202}
        job_ids = {started["job_id"] for started in from_s3} | {body["job_id"] for _, body in from_api}
        assert len(job_ids) == 1
        created = [started["created"] for started in from_s3] + [body["created"] for _, body in from_api]
        assert created.count(True) == 1
        job_id = job_ids.pop()
        assert workflow.wait(workflow.execution_arn(job_id)).status == "SUCCEEDED"
        assert len(workflow.executions()) == 1
        # Asking again after completion returns the finished job, not a new run.
        payload, _ = workflow.invoke("JobsApiFunction", _post_jobs({"key": key}))
        assert json.loads(payload["body"])["status"] == "completed"
        assert len(workflow.executions()) == 1
    assert job_count(database) == 1
    assert jobs.get(job_id).status is JobStatus.COMPLETED
    assert jobs.get_content(job_id) == chunk_text(0)
    assert fake_api.request_count == 1
