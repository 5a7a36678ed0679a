"""Driving a rehearsed stack as its users and AWS drive it: API requests, upload events, waiting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mediascribe.local.workflow import ExecutionOutcome
from support.api_gateway import proxy_event
from support.rehearsal.stack import ACCOUNT, REGION
from support.rehearsal.world import Rehearsal

ALICE = f"arn:aws:iam::{ACCOUNT}:user/tester"


def api(
    rehearsal: Rehearsal, method: str, path: str, body: object = None, **query: str
) -> tuple[int, Any, dict[str, str]]:
    """One API request as API Gateway hands it to the function: (status, body, headers)."""
    encoded = b"" if body is None else json.dumps(body).encode()
    event = proxy_event(method, path, query, {"Content-Type": "application/json"}, encoded, ALICE)
    payload, error = rehearsal.workflow.invoke("JobsApiFunction", event)
    assert error is None, payload
    # A REST proxy answer may carry its headers in either field; API Gateway sends both.
    headers = dict(payload.get("headers") or {})
    headers.update({name: values[-1] for name, values in (payload.get("multiValueHeaders") or {}).items()})
    return payload["statusCode"], json.loads(payload["body"] or "null"), headers


def upload(rehearsal: Rehearsal, media: Path, filename: str) -> str:
    """The file stored where the API's upload form puts it: under the caller's own prefix."""
    status, form, _ = api(rehearsal, "POST", "/jobs", {"upload": {"filename": filename}})
    assert status == 201, form
    return rehearsal.workflow.upload(media, form["key"])


def submit(rehearsal: Rehearsal, media: Path, filename: str) -> str:
    """Upload, then ``POST /jobs`` for it; the job's id."""
    key = upload(rehearsal, media, filename)
    status, accepted, _ = api(rehearsal, "POST", "/jobs", {"key": key})
    assert status == 202, accepted
    job_id: str = accepted["job_id"]
    return job_id


def finish(rehearsal: Rehearsal, job_id: str, attempt: int = 1) -> ExecutionOutcome:
    workflow = rehearsal.workflow
    return workflow.wait(workflow.execution_arn(job_id, attempt), timeout_seconds=600)


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
