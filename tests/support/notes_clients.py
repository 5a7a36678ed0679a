"""Notes models built on the real SDKs, pointed at the provider stand-ins on 127.0.0.1."""

from __future__ import annotations

import boto3
import openai
from botocore.config import Config

from mediascribe.notes.providers import BedrockNotesModel, OpenAINotesModel
from support.fake_bedrock import FakeBedrockServer
from support.fake_openai import FakeTranscriptionServer

API_KEY = "sk-test-notes-0123456789"


def bedrock_model(
    server: FakeBedrockServer,
    *,
    retries: int = 1,
    model: str = "amazon.nova-micro-v1:0",
    region: str = "us-east-1",
) -> BedrockNotesModel:
    """botocore's ``max_attempts`` counts retries: ``retries=1`` means two requests at most. The
    default Region serves the default model on demand."""
    client = boto3.client(
        "bedrock-runtime",
        region_name=region,
        endpoint_url=server.endpoint_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"mode": "standard", "max_attempts": retries}),
    )
    return BedrockNotesModel(client, model)


def openai_model(
    server: FakeTranscriptionServer, *, model: str = "gpt-4.1-mini", retries: int = 1
) -> OpenAINotesModel:
    client = openai.OpenAI(api_key=API_KEY, base_url=server.base_url, max_retries=retries, timeout=10)
    return OpenAINotesModel(client, model, api_key=API_KEY)
