"""Uploads through the API are presigned POST forms whose policy S3 enforces: the size cap holds.

The API hands out a form for one key with a ``content-length-range`` derived from the duration guard;
the stand-in checks it as S3 does. The client refuses an oversized file before sending it, and a form
altered by the caller (a larger size, another key, a stale signature) is refused by "S3" itself.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import Credentials

from mediascribe.errors import InvalidInputError
from mediascribe.local.workflow import LocalWorkflow
from mediascribe.remote import ApiClient, ApiError
from support.api_gateway import ApiGatewayStandIn, caller_environment
from support.media_factory import make_speech_like

PRINCIPAL = "arn:aws:iam::123456789012:user/uploader"
CREDENTIALS = Credentials("testing", "testing")
# 0.002 s of media at the 50 Mbit/s ceiling: a 12,500-byte cap, smaller than a second of test audio.
TINY_DURATION_GUARD = "0.002"


@pytest.fixture
def stack(make_workflow, monkeypatch) -> Iterator[tuple[LocalWorkflow, ApiGatewayStandIn, ApiClient]]:
    with (
        make_workflow(MAX_DURATION_SECONDS=TINY_DURATION_GUARD) as workflow,
        ApiGatewayStandIn(workflow, CREDENTIALS, PRINCIPAL) as api,
        caller_environment(monkeypatch, CREDENTIALS),
    ):
        yield workflow, api, ApiClient.from_default_session(api.base_url)


def upload_form(client: ApiClient, name: str) -> dict[str, Any]:
    return client._call("POST", "jobs", {"upload": {"filename": name}})


def stored_uploads(workflow: LocalWorkflow) -> list[str]:
    return workflow.keys("uploads/")


def test_a_file_within_the_cap_is_stored_and_starts_its_job(stack, tmp_path: Path) -> None:
    workflow, api, client = stack
    form = upload_form(client, "small.bin")
    small = tmp_path / "small.bin"
    small.write_bytes(b"\x00" * (form["max_bytes"] - 1))
    client._post_file(form, small)
    assert stored_uploads(workflow) == [form["key"]] and api.refused == []


def test_the_client_refuses_a_file_over_the_cap_before_sending_it(stack, tmp_path: Path) -> None:
    workflow, api, client = stack
    media = make_speech_like(tmp_path / "talk.mp3", 3.0)
    with pytest.raises(InvalidInputError, match="this stack accepts uploads up to 12500"):
        client.submit(media)
    assert stored_uploads(workflow) == [] and api.refused == []


def test_s3_refuses_a_file_over_the_policys_range_whatever_the_client_believes(stack, tmp_path: Path) -> None:
    workflow, api, client = stack
    form = upload_form(client, "talk.mp3")
    big = tmp_path / "talk.mp3"
    big.write_bytes(b"\x00" * (form["max_bytes"] + 1))
    with pytest.raises(ApiError) as refused:
        client._post_file({**form, "max_bytes": 10**12}, big)
    assert refused.value.status == 400
    assert "Your proposed upload exceeds the maximum allowed size" in refused.value.message
    assert stored_uploads(workflow) == [] and api.refused == ["EntityTooLarge"]


def test_s3_refuses_an_empty_file(stack, tmp_path: Path) -> None:
    workflow, api, client = stack
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    with pytest.raises(ApiError) as refused:
        client._post_file(upload_form(client, "empty.mp3"), empty)
    assert refused.value.status == 400 and "smaller than the minimum" in refused.value.message
    assert stored_uploads(workflow) == [] and api.refused == ["EntityTooSmall"]


def test_s3_refuses_a_form_the_caller_altered(stack, tmp_path: Path) -> None:
    workflow, api, client = stack
    media = tmp_path / "a.bin"
    media.write_bytes(b"\x01" * 100)
    form = upload_form(client, "a.bin")

    elsewhere = {**form, "fields": {**form["fields"], "key": form["key"].replace("a.bin", "b.bin")}}
    with pytest.raises(ApiError) as refused:
        client._post_file(elsewhere, media)
    assert refused.value.status == 403 and "Policy Condition failed" in refused.value.message

    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    policy["conditions"] = [
        ["content-length-range", 1, 10**12] if isinstance(c, list) and c[0] == "content-length-range" else c
        for c in policy["conditions"]
    ]
    widened = {
        **form,
        "fields": {**form["fields"], "policy": base64.b64encode(json.dumps(policy).encode()).decode()},
    }
    with pytest.raises(ApiError) as refused:
        client._post_file(widened, media)
    assert refused.value.status == 403 and "signature we calculated does not match" in refused.value.message

    extra = {**form, "fields": {**form["fields"], "acl": "public-read"}}
    with pytest.raises(ApiError) as refused:
        client._post_file(extra, media)
    assert refused.value.status == 403 and "Extra input fields: acl" in refused.value.message
    assert stored_uploads(workflow) == []
    assert api.refused == ["AccessDenied", "SignatureDoesNotMatch", "AccessDenied"]
