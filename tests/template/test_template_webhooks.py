"""The webhook path as deployed: only with a WebhookUrl, HTTPS only, a queue whose redrive matches the
sender's retry schedule, and a sender that sees one message at a time."""

from __future__ import annotations

import re
from typing import Any

import pytest
from template_render import Rendered

from mediascribe.delivery.webhooks import MAX_ATTEMPTS, RETRY_FOR_SECONDS

WEBHOOK_RESOURCES = {
    "WebhookRule",
    "WebhookQueue",
    "WebhookDeadLetterQueue",
    "WebhookQueuePolicy",
    "WebhookDeadLetterAlarm",
    "DeliverWebhookFunction",
    "DeliverWebhookEvents",
    "DeliverWebhookLogGroup",
}
# The default engine calls OpenAI, so every rendering gives its key (the OpenAIKeyWhenUsed rule).
OPENAI_KEY = {"OpenAIApiKeySecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:openai-AbCdEf"}
WEBHOOK = {
    "WebhookUrl": "https://hooks.example.com/in",
    "WebhookSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hook-AbCdEf",
}


def test_every_webhook_resource_exists_only_with_a_webhook(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    conditional = {
        name for name, resource in resources.items() if resource.get("Condition") == "SendWebhooks"
    }
    assert conditional == WEBHOOK_RESOURCES
    without = Rendered.of(template, **OPENAI_KEY)
    with_hook = Rendered.of(template, **OPENAI_KEY, **WEBHOOK)
    assert with_hook.failed_rules() == []
    assert not any(without.exists(name) for name in WEBHOOK_RESOURCES)
    assert all(with_hook.exists(name) for name in WEBHOOK_RESOURCES)


def test_a_webhook_needs_its_signing_secret(template: dict[str, Any]) -> None:
    rendered = Rendered.of(template, WebhookUrl=WEBHOOK["WebhookUrl"], **OPENAI_KEY)
    assert rendered.failed_rules() == [
        "WebhookUrl needs WebhookSecretArn, the secret its deliveries are signed with."
    ]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://hooks.example.com/in", True),
        ("", True),
        ("http://hooks.example.com/in", False),
        ("http://localhost:8080/in", False),
        ("https://hooks.example.com/ in", False),
    ],
)
def test_the_webhook_url_parameter_takes_https_only(
    template: dict[str, Any], url: str, allowed: bool
) -> None:
    pattern = re.compile(template["Parameters"]["WebhookUrl"]["AllowedPattern"])
    assert bool(pattern.fullmatch(url)) is allowed


def test_the_queue_retries_for_a_day_before_dead_lettering(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    queue = resources["WebhookQueue"]["Properties"]
    dead_letters = resources["WebhookDeadLetterQueue"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == MAX_ATTEMPTS
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["WebhookDeadLetterQueue", "Arn"]}
    # Retention counts from the first send, in the dead-letter queue too: both outlast the retries.
    assert queue["MessageRetentionPeriod"] >= 4 * 24 * 3600 > RETRY_FOR_SECONDS
    assert dead_letters["MessageRetentionPeriod"] > queue["MessageRetentionPeriod"]
    assert queue["SqsManagedSseEnabled"] is True and dead_letters["SqsManagedSseEnabled"] is True
    timeout = resources["DeliverWebhookFunction"]["Properties"]["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * timeout


def test_the_sender_takes_one_message_and_reports_each_failure(template: dict[str, Any]) -> None:
    mapping = template["Resources"]["DeliverWebhookEvents"]["Properties"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["WebhookQueue", "Arn"]}
    assert mapping["FunctionName"] == {"Ref": "DeliverWebhookFunction"}
    assert (mapping["BatchSize"], mapping["FunctionResponseTypes"]) == (1, ["ReportBatchItemFailures"])


def test_only_the_rule_sends_to_the_queue_and_the_rule_takes_only_mediascribe(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    rule = resources["WebhookRule"]["Properties"]
    assert rule["EventPattern"] == {"source": ["mediascribe"]}
    assert rule["EventBusName"] == {"Ref": "EventBusName"}
    (allow, deny) = resources["WebhookQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["WebhookRule", "Arn"]}}}
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})


def test_the_sender_gets_the_deployed_url_secret_and_queue(template: dict[str, Any]) -> None:
    environment = Rendered.of(template, **WEBHOOK).environment("DeliverWebhookFunction")
    assert environment["WEBHOOK_URL"] == WEBHOOK["WebhookUrl"]
    assert environment["WEBHOOK_SECRET_ARN"] == WEBHOOK["WebhookSecretArn"]
    assert environment["WEBHOOK_QUEUE_URL"] == "<WebhookQueue>"
    assert "WEBHOOK_SECRET" not in environment
