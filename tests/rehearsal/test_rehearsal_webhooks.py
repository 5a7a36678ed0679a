"""A stack with a webhook, rehearsed: the event the state machine puts for a finished job goes to the
sender as its queue hands it over; the sender reads its secret, posts over verified TLS (or records
the failure and sets the retry's wait), every call judged against its role, and the job stays as it
finished."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standardwebhooks.webhooks import Webhook

from mediascribe.jobs import JobStatus
from mediascribe.local.template import read_template
from mediascribe.local.webhook_queue import sqs_event
from support.media_factory import make_text
from support.paths import TEMPLATE
from support.rehearsal.drive import api, finish, submit
from support.rehearsal.stack import REGION
from support.rehearsal.variants import webhook
from support.webhook_receivers import receiver

SECRET = "whsec_" + base64.b64encode(b"h" * 32).decode()
# Nothing listens there: every attempt fails and is to be retried.
UNREACHABLE = "https://127.0.0.1:9/mediascribe"


@dataclass(frozen=True)
class Handed:
    """A finished job's event, handed to the sender by its queue: what the sender answered."""

    job_id: str
    put: dict[str, Any]
    message: dict[str, Any]
    response: Any
    error: str | None
    queue_url: str


def hand_a_finished_job_to_the_sender(rehearsal: Any, tmp_path: Path) -> Handed:
    """Run a job to its end, then give its event to the sender as Lambda's SQS source would: the queue
    as the template makes it, the message as the rule delivers it (the event as EventBridge sends it to
    a target)."""
    workflow = rehearsal.workflow
    sqs = workflow.client("sqs")
    properties = read_template(TEMPLATE)["Resources"]["WebhookQueue"]["Properties"]
    queue_url = sqs.create_queue(
        QueueName="WebhookQueue", Attributes={"VisibilityTimeout": str(properties["VisibilityTimeout"])}
    )["QueueUrl"]
    assert queue_url == rehearsal.stack.ref("WebhookQueue")
    job_id = submit(rehearsal, make_text(tmp_path / "agenda.txt"), "agenda.txt")
    assert finish(rehearsal, job_id).status == "SUCCEEDED"
    (put,) = workflow.events.of_job(job_id)
    body = {"detail-type": put["detail_type"], "source": put["source"], "time": "2026-12-08T03:00:00Z"}
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({**body, "detail": put["detail"]}))
    (message,) = sqs.receive_message(QueueUrl=queue_url, MessageSystemAttributeNames=["All"])["Messages"]
    arn = rehearsal.stack.get_att("WebhookQueue", "Arn")
    response, error = workflow.invoke("DeliverWebhookFunction", sqs_event(message, arn, REGION))
    return Handed(job_id, put, message, response, error, queue_url)


def test_an_undeliverable_webhook_is_recorded_and_retried_without_touching_the_job(
    make_rehearsal, call_log, tmp_path
) -> None:
    with make_rehearsal(webhook(UNREACHABLE, SECRET)) as rehearsal:
        handed = hand_a_finished_job_to_the_sender(rehearsal, tmp_path)
        status, document, _ = api(rehearsal, "GET", f"/jobs/{handed.job_id}")
        sqs = rehearsal.workflow.client("sqs")
        attributes = sqs.get_queue_attributes(QueueUrl=handed.queue_url, AttributeNames=["All"])["Attributes"]
    assert handed.error is None, handed.response
    assert handed.response == {"batchItemFailures": [{"itemIdentifier": handed.message["MessageId"]}]}
    assert (status, document["status"]) == (200, JobStatus.SKIPPED)
    (delivery,) = document["deliveries"]
    assert delivery["event"] == {"state": "put", "attempts": 1}
    assert (delivery["webhook"]["state"], delivery["webhook"]["attempts"]) == ("retrying", 1)
    assert delivery["webhook"]["last_error"].startswith("no answer")
    # The message waits out the first retry's wait, invisible.
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert call_log.denied() == []
    sender = {
        (call.service, call.operation)
        for call in call_log.calls
        if call.role == "DeliverWebhookFunctionRole" and call.allowed
    }
    assert {
        ("secretsmanager", "GetSecretValue"),
        ("rds-data", "ExecuteStatement"),
        ("sqs", "ChangeMessageVisibility"),
    } <= sender


def test_a_webhook_is_delivered_over_verified_tls_and_its_signature_verifies(
    make_rehearsal, rehearsal_tls, call_log, tmp_path
) -> None:
    with receiver(tls=rehearsal_tls[1:]) as hook, make_rehearsal(webhook(hook.url, SECRET)) as rehearsal:
        handed = hand_a_finished_job_to_the_sender(rehearsal, tmp_path)
        document = api(rehearsal, "GET", f"/jobs/{handed.job_id}")[1]
    assert handed.error is None, handed.response
    assert handed.response == {"batchItemFailures": []}
    (delivery,) = document["deliveries"]
    assert (delivery["webhook"]["state"], delivery["webhook"]["attempts"]) == ("delivered", 1)
    (received,) = hook.received
    payload = Webhook(SECRET).verify(received.body, received.headers)
    assert payload["data"]["job_id"] == handed.job_id
    assert received.headers["webhook-id"] == handed.put["detail"]["delivery_key"]
    assert call_log.denied() == []
