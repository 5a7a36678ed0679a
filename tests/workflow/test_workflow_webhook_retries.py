"""The webhook retry schedule, on moto's SQS with the template's queue and a virtual clock: waits that
double up to SQS's 12 hours, attempts for at least a day, then the dead-letter queue; a 410 ends it."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from mediascribe.delivery.events import JOB_DETAIL_TYPE, NOTES_DETAIL_TYPE, SOURCE
from mediascribe.delivery.webhooks import MAX_ATTEMPTS, RETRY_FOR_SECONDS, secret_key
from mediascribe.jobs.deliveries import DeliveryRepository
from mediascribe.local.template import read_template
from mediascribe.local.webhook_queue import WebhookQueue, create_webhook_path, drain, sqs_event
from mediascribe.workflow.webhook import WebhookSender, deliver_batch
from support.job_sources import job_id_for, next_key, source_for
from support.paths import TEMPLATE
from support.virtual_clock import VirtualClock
from support.webhook_receivers import Answer, receiver

REGION = "us-east-1"
KEY = secret_key("whsec_" + base64.b64encode(b"r" * 32).decode())
# SQS's ceiling for ChangeMessageVisibility (botocore's model gives no maximum, the API reference does).
SQS_MAX_VISIBILITY_SECONDS = 12 * 3600


class VirtualQueueTime:
    """The sender's SQS client, with the retry's wait passed on the virtual clock: the wait it asks
    for is recorded and the clock moved on, and the real (moto) call makes the message visible now."""

    def __init__(self, sqs: Any, clock: VirtualClock) -> None:
        self._sqs = sqs
        self._clock = clock
        self.waits: list[int] = []

    def change_message_visibility(self, **params: Any) -> Any:
        self.waits.append(params["VisibilityTimeout"])
        self._clock.advance(params["VisibilityTimeout"])
        return self._sqs.change_message_visibility(**{**params, "VisibilityTimeout": 0})


@pytest.fixture
def aws() -> Any:
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION), boto3.client("events", region_name=REGION)


def _path(aws: Any) -> WebhookQueue:
    sqs, events = aws
    return create_webhook_path(sqs, events, read_template(TEMPLATE)["Resources"], event_bus="default")


def _put_failed_event(events: Any, job_id: str) -> str:
    key = f"{job_id}:1:failed"
    detail = {
        "delivery_key": key,
        "job_id": job_id,
        "status": "failed",
        "attempt": 1,
        "source": {"bucket": "media-bucket", "key": "uploads/a.mp3"},
        "reason": "not media",
    }
    events.put_events(
        Entries=[{"Source": SOURCE, "DetailType": JOB_DETAIL_TYPE, "Detail": json.dumps(detail)}]
    )
    return key


def _sender(url: str, sqs: Any, queue: WebhookQueue, database: Any) -> WebhookSender:
    return WebhookSender(
        url=url, key=KEY, queue_url=queue.url, sqs=sqs, deliveries=DeliveryRepository(database)
    )


def _invoke(sender: WebhookSender) -> Any:
    return lambda event: (deliver_batch(sender, event, None), None)  # type: ignore[arg-type]


def _job(jobs: Any) -> str:
    source = source_for(f"uploads/{next_key()}/a.mp3")
    job, _ = jobs.create_job(job_id_for(source), source, "a.mp3")
    return str(job.id)


def test_a_receiver_that_keeps_failing_is_tried_for_a_day_then_dead_lettered(aws, database, jobs) -> None:
    sqs, events = aws
    queue = _path(aws)
    clock = VirtualClock()
    with receiver([Answer(500)]) as hook:
        timed = VirtualQueueTime(sqs, clock)
        sender = _sender(hook.url, timed, queue, database)  # type: ignore[arg-type]
        key = _put_failed_event(events, _job(jobs))
        started = clock.monotonic()
        for _ in range(MAX_ATTEMPTS + 1):
            drain(sqs, queue, _invoke(sender), region=REGION)
    assert len(hook.received) == MAX_ATTEMPTS
    assert {request.headers["webhook-id"] for request in hook.received} == {key}
    # Doubling from a minute, never past what SQS allows, and together at least a day.
    assert timed.waits[:3] == [60, 120, 240]
    retries, last = timed.waits[:-1], timed.waits[-1]
    assert retries == sorted(retries)
    assert max(retries) < SQS_MAX_VISIBILITY_SECONDS
    # A wait after every failed attempt but the last, which goes to the dead-letter queue at once.
    assert (len(retries), last) == (MAX_ATTEMPTS - 1, 0)
    assert clock.monotonic() - started >= RETRY_FOR_SECONDS
    dead = sqs.receive_message(QueueUrl=queue.dead_letter_url).get("Messages", [])
    assert [json.loads(message["Body"])["detail"]["delivery_key"] for message in dead] == [key]
    (delivery,) = DeliveryRepository(database).of_job(key.split(":")[0])
    assert (delivery.webhook_state, delivery.webhook_attempts) == ("failed", MAX_ATTEMPTS)


def test_500s_then_200_is_delivered_on_the_third_attempt(aws, database, jobs) -> None:
    sqs, events = aws
    queue = _path(aws)
    with receiver([Answer(500), Answer(503), Answer(200)]) as hook:
        sender = _sender(hook.url, VirtualQueueTime(sqs, VirtualClock()), queue, database)  # type: ignore[arg-type]
        key = _put_failed_event(events, _job(jobs))
        for _ in range(4):
            drain(sqs, queue, _invoke(sender), region=REGION)
    (delivery,) = DeliveryRepository(database).of_job(key.split(":")[0])
    assert (delivery.webhook_state, delivery.webhook_attempts, delivery.webhook_error) == (
        "delivered",
        3,
        None,
    )
    assert len(hook.received) == 3
    assert sqs.receive_message(QueueUrl=queue.dead_letter_url).get("Messages", []) == []


def test_410_stops_the_retries_and_removes_the_message(aws, database, jobs) -> None:
    sqs, events = aws
    queue = _path(aws)
    with receiver([Answer(410)]) as hook:
        timed = VirtualQueueTime(sqs, VirtualClock())
        sender = _sender(hook.url, timed, queue, database)  # type: ignore[arg-type]
        key = _put_failed_event(events, _job(jobs))
        for _ in range(3):
            drain(sqs, queue, _invoke(sender), region=REGION)
    assert (len(hook.received), timed.waits) == (1, [])
    (delivery,) = DeliveryRepository(database).of_job(key.split(":")[0])
    assert (delivery.webhook_state, delivery.webhook_attempts) == ("gone", 1)
    attributes = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])["Attributes"]
    assert (
        attributes["ApproximateNumberOfMessages"],
        attributes["ApproximateNumberOfMessagesNotVisible"],
    ) == (
        "0",
        "0",
    )


def test_the_bus_delivering_an_event_again_does_not_post_a_delivered_webhook_twice(
    aws, database, jobs
) -> None:
    sqs, events = aws
    queue = _path(aws)
    job_id = _job(jobs)
    with receiver() as hook:
        sender = _sender(hook.url, sqs, queue, database)
        _put_failed_event(events, job_id)
        _put_failed_event(events, job_id)
        assert drain(sqs, queue, _invoke(sender), region=REGION) == 2
    assert len(hook.received) == 1
    (delivery,) = DeliveryRepository(database).of_job(job_id)
    assert (delivery.event_receipts, delivery.webhook_attempts) == (2, 1)


def test_a_notes_event_is_delivered_as_notes_and_a_foreign_message_is_not_posted(aws, database, jobs) -> None:
    sqs, events = aws
    queue = _path(aws)
    job_id = _job(jobs)
    notes = {
        "delivery_key": f"{job_id}:1:notes-completed",
        "job_id": job_id,
        "status": "completed",
        "attempt": 1,
        "source": {"bucket": "media-bucket", "key": "uploads/a.mp3"},
        "provider": "bedrock",
        "outputs": {"md": f"jobs/{job_id}/notes.md"},
    }
    with receiver() as hook:
        sender = _sender(hook.url, sqs, queue, database)
        events.put_events(
            Entries=[{"Source": SOURCE, "DetailType": NOTES_DETAIL_TYPE, "Detail": json.dumps(notes)}]
        )
        assert drain(sqs, queue, _invoke(sender), region=REGION) == 1
        # Not an event of ours (its detail is no model's): reported failed, never posted.
        sqs.send_message(
            QueueUrl=queue.url, MessageBody=json.dumps({"detail-type": JOB_DETAIL_TYPE, "detail": {}})
        )
        (message,) = sqs.receive_message(QueueUrl=queue.url, MessageSystemAttributeNames=["All"])["Messages"]
        response = deliver_batch(sender, sqs_event(message, queue.arn, REGION), None)  # type: ignore[arg-type]
    assert response == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    (request,) = hook.received
    assert json.loads(request.body)["type"] == NOTES_DETAIL_TYPE
    (delivery,) = DeliveryRepository(database).of_job(job_id)
    assert (delivery.detail_type, delivery.webhook_state) == (NOTES_DETAIL_TYPE, "delivered")
