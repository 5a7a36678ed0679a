"""Notes through a deployed stack's API: ``submit --wait --out`` and ``notes --api``.

The stack is the local workflow behind the API Gateway stand-in (SigV4 checked), as in the other
remote tests; the client is the real one, over HTTP.
"""

from __future__ import annotations

import json
import time

import pytest
from botocore.credentials import Credentials

from mediascribe.cli import main
from support.api_gateway import ApiGatewayStandIn, caller_environment
from support.media_factory import make_speech_like

PRINCIPAL = "arn:aws:iam::123456789012:user/tester"
CREDENTIALS = Credentials("testing", "testing")


@pytest.fixture
def stack(make_workflow, monkeypatch):
    env = {"NOTES_PROVIDER": "openai", "NOTES_FUNCTION_NAME": "WriteNotesFunction"}
    with (
        make_workflow(**env) as workflow,
        ApiGatewayStandIn(workflow, CREDENTIALS, PRINCIPAL) as api,
        caller_environment(monkeypatch, CREDENTIALS),
    ):
        yield workflow, api


def test_submit_waits_for_the_notes_and_writes_them(stack, tmp_path, capsys) -> None:
    workflow, api = stack
    write_notes = workflow.handlers["WriteNotesFunction"]

    def slow_notes(event, context):
        # The job is completed well before its notes: the client must wait for them.
        time.sleep(3.0)
        return write_notes(event, context)

    workflow.handlers["WriteNotesFunction"] = slow_notes
    media = make_speech_like(tmp_path / "sync.mp3", 3.0)
    out = tmp_path / "out"
    code = main(["submit", str(media), "--api", api.base_url, "--wait", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    document = json.loads((out / "sync.json").read_text())
    assert document["notes"]["status"] == "completed"
    notes_md = (out / "sync.notes.md").read_text()
    assert notes_md.startswith(f"# {document['title']}\n")
    assert captured.out.endswith(notes_md)

    job_id = document["job_id"]
    assert main(["notes", job_id, "--api", api.base_url]) == 0
    accepted = json.loads(capsys.readouterr().out)
    assert accepted["notes"] == {"status": "pending"} and accepted["job_id"] == job_id
