"""The webhook path of a local run: the template's rule and queues on moto, and Lambda's SQS poller.

A run with ``WEBHOOK_URL`` gets what the stack gets with ``WebhookUrl``: the rule that sends every
``mediascribe`` event on the bus to the webhook queue, that queue (its visibility timeout, retention and
redrive to a dead-letter queue after ``maxReceiveCount`` receives, read from the template), and the
sender. moto's EventBridge delivers to SQS targets, so the events the state machine puts reach the
queue as they would in AWS. ``drain`` stands in for the event source mapping: it receives one
message at a time, hands it to the sender in Lambda's SQS event format, and deletes it unless the
sender reported it failed (ReportBatchItemFailures).

A failed attempt's retry waits on the queue (a minute, then longer): a local run makes each event's
first attempt and reports the webhook as ``retrying``; it does not wait for the retries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mediascribe.delivery.webhooks import check_url, secret_key
from mediascribe.errors import ConfigurationError

RULE = "WebhookRule"
QUEUE = "WebhookQueue"
DEAD_LETTER_QUEUE = "WebhookDeadLetterQueue"

# Invokes the sender with an SQS event: (its response, Lambda's FunctionError or None).
SqsInvoke = Callable[[dict[str, Any]], tuple[Any, str | None]]


@dataclass(frozen=True)
class WebhookQueue:
    url: str
    arn: str
    dead_letter_url: str


def create_webhook_path(
    sqs: Any, events: Any, resources: Mapping[str, Any], *, event_bus: str, prefix: str = "mediascribe"
) -> WebhookQueue:
    """The template's webhook rule and queues, on the clients' (moto's) services."""
    queue = resources[QUEUE]["Properties"]
    dead_letter_url = sqs.create_queue(
        QueueName=f"{prefix}-webhook-dead-letters",
        Attributes=_attributes(resources[DEAD_LETTER_QUEUE]["Properties"]),
    )["QueueUrl"]
    redrive = {
        "deadLetterTargetArn": _arn(sqs, dead_letter_url),
        "maxReceiveCount": queue["RedrivePolicy"]["maxReceiveCount"],
    }
    url = sqs.create_queue(
        QueueName=f"{prefix}-webhooks",
        Attributes={**_attributes(queue), "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    arn = _arn(sqs, url)
    rule = resources[RULE]["Properties"]
    events.put_rule(
        Name=f"{prefix}-webhooks",
        EventBusName=event_bus,
        EventPattern=json.dumps(rule["EventPattern"]),
        Description=rule["Description"],
    )
    events.put_targets(Rule=f"{prefix}-webhooks", EventBusName=event_bus, Targets=[{"Id": QUEUE, "Arn": arn}])
    return WebhookQueue(url=url, arn=arn, dead_letter_url=dead_letter_url)


def drain(sqs: Any, queue: WebhookQueue, invoke: SqsInvoke, *, region: str) -> int:
    """Hand every visible message to ``invoke``, one per event, as Lambda's event source mapping
    does with BatchSize 1; returns how many were handed over."""
    handed = 0
    while True:
        received = sqs.receive_message(
            QueueUrl=queue.url, MaxNumberOfMessages=1, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        if not received:
            return handed
        message = received[0]
        response, error = invoke(sqs_event(message, queue.arn, region))
        handed += 1
        # A failed invocation leaves the whole batch in the queue, as the event source mapping does.
        failed = (
            {item["itemIdentifier"] for item in response.get("batchItemFailures", [])} if not error else set()
        )
        if not error and message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])


def sqs_event(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """A ReceiveMessage message as Lambda's SQS event carries it
    (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html, "Example standard queue message event")."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes", {})),
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(message["Body"].encode("utf-8")).hexdigest(),  # noqa: S324
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        ]
    }


def _attributes(properties: Mapping[str, Any]) -> dict[str, str]:
    names = ("VisibilityTimeout", "MessageRetentionPeriod", "SqsManagedSseEnabled")
    return {
        name: str(properties[name]).lower() if isinstance(properties[name], bool) else str(properties[name])
        for name in names
        if name in properties
    }


def _arn(sqs: Any, url: str) -> str:
    arn: str = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return arn


def local_webhook_environment(url: str | None, environ: Mapping[str, str]) -> dict[str, str]:
    """The variables of ``mediascribe transcribe --webhook URL``: the URL (HTTPS, or HTTP to this
    machine) and the signing secret from ``WEBHOOK_SECRET``, both checked before the run."""
    if not url:
        return {}
    check_url(url, allow_local_http=True)
    secret = environ.get("WEBHOOK_SECRET", "")
    if not secret:
        raise ConfigurationError("--webhook needs the signing secret in WEBHOOK_SECRET (whsec_ and base64)")
    secret_key(secret)
    return {"WEBHOOK_URL": url, "WEBHOOK_SECRET": secret}
