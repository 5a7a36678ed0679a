"""The webhook sender: each event the bus routed to the queue, POSTed to the deployment's receiver.

The queue is the retry schedule. A failed POST sets the message's visibility to the schedule's next
wait (``retry_delay`` of the attempts so far, ChangeMessageVisibility) and reports the record failed, so
Lambda's event source mapping leaves it in the queue; after ``MAX_ATTEMPTS`` receives SQS moves it to
the dead-letter queue (the queue's maxReceiveCount). A 2xx or a 410 ends the message. Every attempt is
recorded in ``event_deliveries``; none touches the job, so delivery never blocks or fails it.

Settings: ``WEBHOOK_URL``, the queue's ``WEBHOOK_QUEUE_URL``, and the signing secret:
``WEBHOOK_SECRET_ARN`` (Secrets Manager) in a deployed stack, ``WEBHOOK_SECRET`` in a local run, which
alone may post plain HTTP to this machine.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from aws_lambda_powertools.utilities.typing import LambdaContext

from mediascribe.delivery.events import NOTES_DETAIL_TYPE, JobStateChange, NotesStateChange
from mediascribe.delivery.webhooks import MAX_ATTEMPTS, check_url, deliver, payload, retry_delay, secret_key
from mediascribe.errors import ConfigurationError, MediascribeError
from mediascribe.jobs.deliveries import SETTLED_STATES, DeliveryRepository
from mediascribe.workflow.runtime import Runtime, aws_client

logger = logging.getLogger(__name__)

SECRET_CACHE_SECONDS = 300


class WebhookNotDelivered(MediascribeError):
    """The receiver did not take the event; the queue hands it back after the schedule's wait."""


@dataclass
class WebhookSender:
    url: str
    key: bytes = field(repr=False)
    queue_url: str
    sqs: Any = field(repr=False)
    deliveries: DeliveryRepository
    clock: Callable[[], float] = time.time

    def handle(self, record: SQSRecord) -> None:
        """Deliver one queue message; raises ``WebhookNotDelivered`` when it is to be retried."""
        event = json.loads(record.body)
        model = NotesStateChange if event["detail-type"] == NOTES_DETAIL_TYPE else JobStateChange
        detail = model.model_validate(event["detail"])
        delivery = self.deliveries.event_received(
            detail.job_id, detail.delivery_key, event["detail-type"], record.message_id
        )
        if delivery.webhook_state in SETTLED_STATES:
            # The bus delivered the event again: the receiver has it already (or wants no more).
            return
        attempt = deliver(
            self.url, self.key, detail.delivery_key, payload(event), timestamp=int(self.clock())
        )
        if attempt.state != "failed":
            self.deliveries.webhook_attempted(detail.delivery_key, attempt.state, attempt.error)
            return
        receives = int(record.attributes.approximate_receive_count)
        last = receives >= MAX_ATTEMPTS
        self.deliveries.webhook_attempted(
            detail.delivery_key, "failed" if last else "retrying", attempt.error
        )
        logger.warning(
            "webhook not delivered",
            extra={"delivery_key": detail.delivery_key, "attempt": receives, "error": attempt.error},
        )
        # After the last attempt the message is made visible at once: the next receive moves it to the
        # dead-letter queue (its receive count is then past maxReceiveCount), and the alarm sounds.
        self.sqs.change_message_visibility(
            QueueUrl=self.queue_url,
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=0 if last else retry_delay(receives),
        )
        raise WebhookNotDelivered(attempt.error or "not delivered")


def sender_for(runtime: Runtime) -> WebhookSender:
    """The sender the settings describe; a missing or malformed setting is a ConfigurationError."""
    settings = runtime.settings
    # Only a local run, which has its secret in WEBHOOK_SECRET, may post plain HTTP to this machine.
    local = not settings.webhook_secret_arn
    url = check_url(settings.webhook_url or "", allow_local_http=local)
    if not settings.webhook_queue_url:
        raise ConfigurationError("WEBHOOK_QUEUE_URL is not set")
    secret = (settings.webhook_secret or "") if local else _secret(settings.webhook_secret_arn or "")
    return WebhookSender(
        url=url,
        key=secret_key(secret),
        queue_url=settings.webhook_queue_url,
        sqs=aws_client("sqs"),
        deliveries=DeliveryRepository(runtime.jobs.executor),
    )


def deliver_batch(sender: WebhookSender, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The SQS batch, each record on its own; failed ones are reported (ReportBatchItemFailures)."""
    # A batch of one that failed is reported like any failed record, not raised: the invocation
    # succeeds, so Lambda neither logs it as an error nor retries it sooner than its set wait.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return dict(
        process_partial_response(
            event=event, record_handler=sender.handle, processor=processor, context=context
        )
    )


def _secret(arn: str) -> str:
    try:
        value = parameters.get_secret(arn, max_age=SECRET_CACHE_SECONDS)
    except GetParameterError as exc:
        raise ConfigurationError(f"cannot read the webhook secret {arn}: {exc}") from exc
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
