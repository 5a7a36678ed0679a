"""The default deployment, rehearsed: what a first ``sam deploy`` with only an OpenAI key creates,
driven as its users drive it (an upload event, the API) and as CloudFormation drives its schema."""

from __future__ import annotations

import json
from typing import Any

from mediascribe.jobs import JobStatus
from support.api_gateway import proxy_event
from support.media_factory import make_speech_like
from support.rehearsal.stack import ACCOUNT, REGION
from support.rehearsal.world import Rehearsal, Variant

DEFAULT = Variant("default", {"OpenAIApiKey": "sk-test-not-a-real-key"})
ALICE = f"arn:aws:iam::{ACCOUNT}:user/tester"


def sam_cli_s3_put_event(bucket: str, key: str, size: int, etag: str) -> dict[str, Any]:
    """The event ``sam local generate-event s3 put`` writes, for this bucket and key."""
    return {
        "Records": [
            {
                "eventVersion": "2.0",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "1970-01-01T00:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "EXAMPLE"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": "EXAMPLE123456789",
                    "x-amz-id-2": "EXAMPLE123/5678abcdefghijklambdaisawesome/mnopqrstuvwxyzABCDEFGH",
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "testConfigRule",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "EXAMPLE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {"key": key, "size": size, "eTag": etag, "sequencer": "0A1B2C3D4E5F678901"},
                },
            }
        ]
    }


def api(rehearsal: Rehearsal, method: str, path: str, body: object = None, **query: str) -> tuple[int, Any]:
    encoded = b"" if body is None else json.dumps(body).encode()
    event = proxy_event(method, path, query, {"Content-Type": "application/json"}, encoded, ALICE)
    payload, error = rehearsal.workflow.invoke("JobsApiFunction", event)
    assert error is None, payload
    return payload["statusCode"], json.loads(payload["body"] or "null")


def test_an_upload_event_in_the_sam_cli_shape_becomes_a_completed_job(make_rehearsal, call_log, tmp_path):
    media = make_speech_like(tmp_path / "talk.mp3", 4.0)
    with make_rehearsal(DEFAULT) as rehearsal:
        workflow = rehearsal.workflow
        # Under the caller's own prefix, so that the API shows the caller the job it started.
        status, upload = api(rehearsal, "POST", "/jobs", {"upload": {"filename": "talk.mp3"}})
        assert status == 201, upload
        key = workflow.upload(media, upload["key"])
        head = workflow.client("s3").head_object(Bucket=workflow.options.bucket, Key=key)
        event = sam_cli_s3_put_event(
            workflow.options.bucket, key, head["ContentLength"], head["ETag"].strip('"')
        )
        payload, error = workflow.invoke("StartJobFunction", event)
        assert error is None, payload
        job_id = payload["jobs"][0]["job_id"]
        outcome = workflow.wait(workflow.execution_arn(job_id), timeout_seconds=300)
        assert outcome.status == "SUCCEEDED", (outcome.error, outcome.cause)
        status, document = api(rehearsal, "GET", f"/jobs/{job_id}", include="content")
    assert status == 200
    assert document["status"] == JobStatus.COMPLETED
    assert document["content"].startswith("Transcript of chunk-00000")
    assert call_log.denied() == []


def test_the_api_submits_reports_refuses_a_retry_and_notes_when_they_are_off(
    make_rehearsal, call_log, tmp_path
):
    media = make_speech_like(tmp_path / "api.mp3", 3.0)
    with make_rehearsal(DEFAULT) as rehearsal:
        status, upload = api(rehearsal, "POST", "/jobs", {"upload": {"filename": "api talk.mp3"}})
        assert status == 201, upload
        rehearsal.workflow.upload(media, upload["key"])
        status, accepted = api(rehearsal, "POST", "/jobs", {"key": upload["key"]})
        assert status == 202, accepted
        job_id = accepted["job_id"]
        outcome = rehearsal.workflow.wait(rehearsal.workflow.execution_arn(job_id), timeout_seconds=300)
        assert outcome.status == "SUCCEEDED", (outcome.error, outcome.cause)
        status, document = api(rehearsal, "GET", f"/jobs/{job_id}")
        assert (status, document["status"]) == (200, JobStatus.COMPLETED)
        # Only a failed job may be retried; notes are off in the default stack.
        retry_status, _ = api(rehearsal, "POST", f"/jobs/{job_id}/retry")
        notes_status, _ = api(rehearsal, "POST", f"/jobs/{job_id}/notes")
    assert (retry_status, notes_status) == (409, 409)
    assert call_log.denied() == []


def test_the_schema_resource_answers_create_update_and_delete(make_rehearsal, rehearsal_tables, call_log):
    with make_rehearsal(DEFAULT) as rehearsal:
        # make_rehearsal has created it; a new layer version (new migrations) is an Update.
        properties = rehearsal.stack.properties("DatabaseSchema")
        updated = rehearsal.custom_resource(
            "Update",
            old_properties=properties,
            Migrations=properties["Migrations"].replace(":1", ":2"),
        )
        deleted = rehearsal.custom_resource("Delete")
        # Delete leaves the data alone: the schema is still there for the final snapshot.
        tables = rehearsal_tables()
    assert (updated["Status"], deleted["Status"]) == ("SUCCESS", "SUCCESS"), (updated, deleted)
    assert updated["PhysicalResourceId"] == deleted["PhysicalResourceId"] == "mediascribe-schema"
    assert {"assets", "assets_processing_jobs"} <= tables
    assert call_log.denied() == []
