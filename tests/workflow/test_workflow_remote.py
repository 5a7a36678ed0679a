"""``mediascribe submit/status/retry --api``: the CLI against a deployed stack's API.

The stack is the local workflow behind ``ApiGatewayStandIn``, which checks SigV4 signatures as API
Gateway does and serves the presigned uploads as S3 does; the client is the real one, over HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.credentials import Credentials

from mediascribe.cli import main
from mediascribe.remote import ApiClient, ApiError
from support.api_gateway import ApiGatewayStandIn, caller_environment
from support.fake_openai import error_reply
from support.media_factory import make_speech_like

PRINCIPAL = "arn:aws:iam::123456789012:user/tester"
# moto's documented fake credentials: the test principal signs with these.
CREDENTIALS = Credentials("testing", "testing")
UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"
TRANSCRIPT = "Transcript of chunk-00000.mp3."


@pytest.fixture
def stack(make_workflow, monkeypatch):
    """The local workflow behind the API stand-in, with the caller's credentials in the environment."""
    # The environment is restored before the workflow, which restores its own variables on exit.
    with (
        make_workflow() as workflow,
        ApiGatewayStandIn(workflow, CREDENTIALS, PRINCIPAL) as api,
        caller_environment(monkeypatch, CREDENTIALS) as env,
    ):
        yield workflow, api, env


@pytest.fixture
def media(tmp_path) -> Path:
    return make_speech_like(tmp_path / "talk.mp3", 3.0)


def test_submit_wait_prints_the_transcript_and_writes_the_text(stack, media, tmp_path, capsys):
    workflow, api, _ = stack
    out = tmp_path / "out"
    code = main(["submit", str(media), "--api", api.base_url, "--wait", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.strip() == TRANSCRIPT
    assert "100%" in captured.err
    assert "Traceback" not in captured.err
    assert (out / "talk.txt").read_text().strip() == TRANSCRIPT
    assert json.loads((out / "talk.json").read_text())["status"] == "completed"
    # The upload landed in the caller's folder; its S3 event and the POST met on one job.
    (upload,) = api.issued_upload_keys
    assert upload.startswith("uploads/u-") and upload.endswith("/talk.mp3")
    assert workflow.keys("uploads/") == [upload]
    assert len(workflow.executions()) == 1
    assert api.refused == []


def test_submit_without_wait_prints_the_job_id_then_status_reads_it(stack, media, capsys):
    workflow, api, env = stack
    env.setenv("MEDIASCRIBE_API_URL", api.base_url)  # the default for --api
    assert main(["submit", str(media)]) == 0
    job_id = capsys.readouterr().out.strip()
    workflow.wait(workflow.execution_arn(job_id))

    assert main(["status", job_id]) == 0
    brief = json.loads(capsys.readouterr().out)
    assert (brief["job_id"], brief["status"], brief["progress"]) == (job_id, "completed", 100)
    assert "content" not in brief
    assert main(["status", job_id, "--content"]) == 0
    assert json.loads(capsys.readouterr().out)["content"] == TRANSCRIPT


def test_submit_json_wait_prints_the_final_status_document(stack, media, capsys):
    _, api, _ = stack
    assert main(["submit", str(media), "--api", api.base_url, "--wait", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["status"], document["content"]) == ("completed", TRANSCRIPT)


def test_a_failed_job_exits_1_and_is_retried_through_the_api(stack, media, fake_api, capsys):
    workflow, api, _ = stack
    fake_api.script(error_reply(401))  # a revoked key: permanent, the job fails
    assert main(["submit", str(media), "--api", api.base_url, "--wait", "--json"]) == 1
    captured = capsys.readouterr()
    failed = json.loads(captured.out)
    assert failed["status"] == "failed"
    assert "mediascribe: failed: transcription API answered 401" in captured.err

    assert main(["retry", failed["job_id"], "--api", api.base_url]) == 0
    accepted = json.loads(capsys.readouterr().out)
    assert (accepted["job_id"], accepted["status"]) == (failed["job_id"], "pending")
    client = ApiClient.from_default_session(api.base_url)
    document = client.wait(failed["job_id"], sleep=lambda _: None)
    assert (document["status"], document["attempt"], document["content"]) == ("completed", 2, TRANSCRIPT)
    # Only failed jobs can be retried: the API's reason reaches the user.
    assert main(["retry", failed["job_id"], "--api", api.base_url]) == 1
    assert "API answered 409" in capsys.readouterr().err
    assert len(workflow.executions()) == 2


def test_a_bad_signature_is_refused_with_a_clear_message(stack, media, capsys):
    workflow, api, env = stack
    env.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    assert main(["submit", str(media), "--api", api.base_url, "--wait"]) == 1
    captured = capsys.readouterr()
    assert "API answered 403: The request signature we calculated does not match" in captured.err
    assert "not-the-secret" not in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""
    assert workflow.keys("uploads/") == []

    env.setenv("AWS_ACCESS_KEY_ID", "AKIDSOMEONEELSE")
    assert main(["status", UNKNOWN_JOB, "--api", api.base_url]) == 1
    assert "security token included in the request is invalid" in capsys.readouterr().err
    assert len(api.refused) == 2


def test_unknown_and_malformed_job_ids(stack, capsys):
    _, api, _ = stack
    assert main(["status", UNKNOWN_JOB, "--api", api.base_url]) == 1
    assert capsys.readouterr().err.strip() == f"mediascribe: API answered 404: no job {UNKNOWN_JOB}"
    assert main(["retry", UNKNOWN_JOB, "--api", api.base_url]) == 1
    assert "API answered 404" in capsys.readouterr().err
    assert main(["status", "not-a-job", "--api", api.base_url]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_usage_errors_exit_2(stack, media, tmp_path, capsys):
    _, api, _ = stack
    assert main(["submit", str(tmp_path / "missing.mp3"), "--api", api.base_url]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["submit", str(media), "--api", api.base_url, "--out", str(tmp_path)]) == 2
    assert "--out needs --wait" in capsys.readouterr().err
    assert main(["retry", UNKNOWN_JOB]) == 2
    assert "MEDIASCRIBE_API_URL" in capsys.readouterr().err
    assert main(["status", UNKNOWN_JOB, "--api", "file:///etc/passwd"]) == 2
    assert "must be an http(s) URL" in capsys.readouterr().err
    assert api.issued_upload_keys == set()


def test_an_unreachable_api_is_a_clear_error(stack):
    client = ApiClient.from_default_session("http://127.0.0.1:9/v1/")
    with pytest.raises(ApiError) as caught:
        client.status(UNKNOWN_JOB)
    assert caught.value.status is None and caught.value.transient
    assert "cannot reach 127.0.0.1:9" in str(caught.value)
