"""The provider stand-ins, and a transcription stand-in that speaks a short meeting."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.fake_bedrock import FakeBedrockServer
from support.fake_openai import FakeTranscriptionServer
from support.notes_clients import API_KEY


@pytest.fixture
def bedrock_server() -> Iterator[FakeBedrockServer]:
    with FakeBedrockServer() as server:
        yield server


@pytest.fixture
def openai_server() -> Iterator[FakeTranscriptionServer]:
    with FakeTranscriptionServer(api_key=API_KEY) as server:
        yield server


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
