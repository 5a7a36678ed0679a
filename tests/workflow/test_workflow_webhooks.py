"""Webhooks through the local workflow: the events the state machine puts go through the template's
rule and queue to the sender, which POSTs them signed; a receiver that fails never touches the job."""

from __future__ import annotations

import base64
import json

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from mediascribe.cli import main
from mediascribe.delivery.events import JOB_DETAIL_TYPE
from mediascribe.jobs.status import get_job_status
from support.media_factory import make_speech_like, make_text
from support.webhook_receivers import Answer, receiver
from support.workflow_runs import run_file

SECRET = "whsec_" + base64.b64encode(b"s" * 32).decode()
WRONG_SECRET = "whsec_" + base64.b64encode(b"w" * 32).decode()


def test_an_event_reaches_the_receiver_signed_and_its_delivery_is_in_the_status(
    make_workflow, jobs, tmp_path
) -> None:
    with receiver() as hook, make_workflow(WEBHOOK_URL=hook.url, WEBHOOK_SECRET=SECRET) as workflow:
        job_id, _ = run_file(workflow, make_text(tmp_path / "agenda.txt"))
        assert workflow.deliver_webhooks() == 1
        status = get_job_status(jobs, job_id)
    (request,) = hook.received
    body = Webhook(SECRET).verify(request.body, request.headers)
    assert (body["type"], body["data"]["job_id"], body["data"]["status"]) == (
        JOB_DETAIL_TYPE,
        job_id,
        "skipped",
    )
    assert request.headers["webhook-id"] == f"{job_id}:1:skipped"
    with pytest.raises(WebhookVerificationError):
        Webhook(WRONG_SECRET).verify(request.body, request.headers)
    assert status["status"] == "skipped"
    assert status["deliveries"] == [
        {
            "delivery_key": f"{job_id}:1:skipped",
            "detail_type": JOB_DETAIL_TYPE,
            "event": {"state": "put", "attempts": 1},
            "webhook": {"state": "delivered", "attempts": 1},
        }
    ]


def test_a_failing_receiver_leaves_the_job_as_it_is_and_the_webhook_retrying(
    make_workflow, jobs, tmp_path
) -> None:
    with (
        receiver([Answer(500)]) as hook,
        make_workflow(WEBHOOK_URL=hook.url, WEBHOOK_SECRET=SECRET) as workflow,
    ):
        job_id, outcome = run_file(workflow, make_text(tmp_path / "agenda.txt"))
        workflow.deliver_webhooks()
        # The retry waits in the queue: nothing is visible again yet.
        assert workflow.deliver_webhooks() == 0
        status = get_job_status(jobs, job_id)
    assert (outcome, status["status"]) == ("SUCCEEDED", "skipped")
    (delivery,) = status["deliveries"]
    assert delivery["webhook"] == {"state": "retrying", "attempts": 1, "last_error": "HTTP 500"}
    assert len(hook.received) == 1


def test_the_cli_posts_each_event_to_webhook_and_lists_the_delivery(
    cli_env, monkeypatch, tmp_path, capsys
) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    with receiver() as hook:
        code = main(
            [
                "transcribe",
                str(make_speech_like(tmp_path / "standup.mp3", 3.0)),
                "--json",
                "--webhook",
                hook.url,
            ]
        )
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    (request,) = hook.received
    body = Webhook(SECRET).verify(request.body, request.headers)
    assert (body["data"]["job_id"], body["data"]["status"]) == (document["job_id"], "completed")
    assert "Transcript of chunk" not in request.body.decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(WRONG_SECRET).verify(request.body, request.headers)
    assert [event["detail"]["delivery_key"] for event in document["events"]] == [
        request.headers["webhook-id"]
    ]
    assert [delivery["webhook"]["state"] for delivery in document["deliveries"]] == ["delivered"]


@pytest.mark.parametrize(
    ("url", "secret", "message"),
    [
        ("http://hooks.example.com/in", SECRET, "webhook URL must be"),
        ("http://127.0.0.1:9/in", "", "WEBHOOK_SECRET"),
        ("http://127.0.0.1:9/in", "not-a-secret", "must start with whsec_"),
    ],
)
def test_the_cli_refuses_a_webhook_it_could_not_send_before_the_run(
    cli_env, monkeypatch, tmp_path, capsys, url: str, secret: str, message: str
) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", secret)
    code = main(["transcribe", str(make_text(tmp_path / "readme.txt")), "--webhook", url])
    captured = capsys.readouterr()
    assert code == 2
    assert message in captured.err
    # The secret is never echoed.
    assert not secret or secret not in captured.err


def test_a_webhook_url_in_the_shell_sends_nothing_without_the_run_asking(
    make_workflow, monkeypatch, tmp_path
) -> None:
    with receiver() as hook:
        monkeypatch.setenv("WEBHOOK_URL", hook.url)
        monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
        with make_workflow() as workflow:
            run_file(workflow, make_text(tmp_path / "agenda.txt"))
            assert (workflow.webhooks, workflow.deliver_webhooks()) == (None, 0)
    assert hook.received == []
