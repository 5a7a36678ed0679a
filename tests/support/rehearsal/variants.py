"""The deployments the rehearsal runs: stack parameters as a user would pass them to ``sam deploy``."""

from __future__ import annotations

import json

from support.rehearsal.world import MASTER_USER, Variant

# Where AWS routes each inference profile the rehearsal calls, by its own list: "Supported Regions
# and models for inference profiles" (https://docs.aws.amazon.com/bedrock/latest/userguide/
# inference-profiles-support.html), US Nova Micro: us-east-1, us-east-2, us-west-2.
PROFILE_REGIONS = {"us.amazon.nova-micro-v1:0": ("us-east-1", "us-east-2", "us-west-2")}

OPENAI_KEY = "sk-test-not-a-real-key"
# The first deploy of the README: the defaults and an OpenAI key.
DEFAULT = Variant("default", {"OpenAIApiKey": OPENAI_KEY})
# Amazon Transcribe reading each chunk from the bucket, redacting PII, with keywords, identifying the
# language among two (with no language at all it would identify among all six redactable languages,
# one keyword entry each: more than a request takes, and refused before any chunk is sent).
AMAZON = Variant(
    "amazon-redaction-keywords-identification",
    {
        "TranscriptionEngine": "amazon",
        "TranscriptionRedactPii": "true",
        "TranscriptionKeywords": "Aurora,mediascribe",
        "TranscriptionLanguage": "en,de",
    },
)
# Notes on Bedrock by the default model id (on demand in us-east-1), and through a US inference profile.
BEDROCK_MODEL_ID = Variant("bedrock-notes-model-id", {"OpenAIApiKey": OPENAI_KEY, "NotesProvider": "bedrock"})
BEDROCK_PROFILE = Variant(
    "bedrock-notes-profile",
    {"OpenAIApiKey": OPENAI_KEY, "NotesProvider": "bedrock", "NotesModel": "us.amazon.nova-micro-v1:0"},
)
OPENAI_NOTES = Variant("openai-notes", {"OpenAIApiKey": OPENAI_KEY, "NotesProvider": "openai"})


def existing_database(port: int) -> Variant:
    """An existing PostgreSQL the functions reach from their subnets: its host and port, and the login
    its owner put in Secrets Manager before deploying."""
    login = json.dumps({"username": MASTER_USER, "password": "existing-database-password-1234"})
    return Variant(
        "existing-database-in-vpc",
        {
            "OpenAIApiKey": OPENAI_KEY,
            # Replaced by the ARN of the secret created from ``secrets`` before the stack is made.
            "DatabaseSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:jobs-db-AbCdEf",
            "DatabaseHost": "127.0.0.1",
            "DatabasePort": str(port),
            "VpcSubnetIds": "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
            "VpcSecurityGroupIds": "sg-0123456789abcdef0",
        },
        secrets={"DatabaseSecretArn": login},
    )


def notion_notes(parent_page_id: str, token: str) -> Variant:
    """Bedrock notes, each also a Notion page under the parent its integration was shared with; the
    integration's token is a secret the user made before deploying."""
    return Variant(
        "notion-notes",
        {
            "OpenAIApiKey": OPENAI_KEY,
            "NotesProvider": "bedrock",
            "NotionParentPageId": parent_page_id,
            # Replaced by the ARN of the secret created from ``secrets`` before the stack is made.
            "NotionTokenSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:notion-AbCdEf",
        },
        secrets={"NotionTokenSecretArn": token},
    )


def webhook(url: str, secret: str) -> Variant:
    """The default deployment with a webhook; its signing secret is one the user made before deploying."""
    return Variant(
        "webhook",
        {
            "OpenAIApiKey": OPENAI_KEY,
            "WebhookUrl": url,
            # Replaced by the ARN of the secret created from ``secrets`` before the stack is made.
            "WebhookSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf",
        },
        secrets={"WebhookSecretArn": secret},
    )
