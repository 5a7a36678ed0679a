"""SQS: each event the bus routed to the webhook queue, signed and POSTed to the stack's WebhookUrl."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from mediascribe.config import Settings
from mediascribe.observability import RawEvent, RawResponse, lambda_api
from mediascribe.workflow.runtime import runtime_for
from mediascribe.workflow.webhook import deliver_batch, sender_for


@lambda_api("deliver_webhook")
def lambda_handler(event: RawEvent, context: LambdaContext, settings: Settings) -> RawResponse:
    return deliver_batch(sender_for(runtime_for(settings)), event, context)
