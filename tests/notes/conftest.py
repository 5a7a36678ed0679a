"""Notes models wired to the provider stand-ins through the real SDKs."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import openai
import pytest
from botocore.config import Config

from mediascribe.notes.providers import BedrockNotesModel, OpenAINotesModel
from support.fake_bedrock import FakeBedrockServer
from support.fake_openai import FakeTranscriptionServer

API_KEY = "sk-test-notes-0123456789"


@pytest.fixture
def bedrock_server() -> Iterator[FakeBedrockServer]:
    with FakeBedrockServer() as server:
        yield server


def bedrock_model(server: FakeBedrockServer, *, retries: int = 1, model: str = "amazon.nova-micro-v1:0"):
    client = boto3.client(
        "bedrock-runtime",
        region_name="eu-west-1",
        endpoint_url=server.endpoint_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"mode": "standard", "max_attempts": retries}),
    )
    return BedrockNotesModel(client, model)


@pytest.fixture
def openai_server() -> Iterator[FakeTranscriptionServer]:
    with FakeTranscriptionServer(api_key=API_KEY) as server:
        yield server


def openai_model(server: FakeTranscriptionServer, *, model: str = "gpt-4.1-mini", retries: int = 1):
    client = openai.OpenAI(api_key=API_KEY, base_url=server.base_url, max_retries=retries, timeout=10)
    return OpenAINotesModel(client, model, api_key=API_KEY)


MEETING_TEXT = (
    "Welcome to the weekly planning meeting. The release slipped by a week because of the login bug. "
    "Maria will fix the login bug by Friday. Next topic is hiring, we have two open positions. "
    "Tom will post the job ads tomorrow."
)


@pytest.fixture
def spoken() -> dict[str, str]:
    """What every chunk says; a test may replace ``spoken["text"]``."""
    return {"text": MEETING_TEXT}


@pytest.fixture
def fake_api(spoken: dict[str, str]) -> Iterator[FakeTranscriptionServer]:
    """The transcription stand-in of the workflow fixtures, speaking ``spoken["text"]`` per chunk."""
    with FakeTranscriptionServer(text_for=lambda request: spoken["text"]) as server:
        yield server
