"""Fixtures of the hardening suite: whole uploads through the template's state machine on moto, with
real PostgreSQL, real ffmpeg and the real OpenAI SDK talking to the fake transcription server."""

from __future__ import annotations

import types
from collections.abc import Iterator

import pytest

from mediascribe.local.moto_patches import retry_waits_on
from support.fake_openai import FakeTranscriptionServer
from support.hardening import DUMMY_API_KEY, text_unless_silent
from support.media_library import MediaLibrary


@pytest.fixture(scope="session")
def media_library(tmp_path_factory: pytest.TempPathFactory) -> MediaLibrary:
    return MediaLibrary(tmp_path_factory.mktemp("hardening-media"))


@pytest.fixture
def test_api_key() -> str:
    """A key recognisable in any log line, row or document it might leak into."""
    return DUMMY_API_KEY


@pytest.fixture
def fake_api(test_api_key: str) -> Iterator[FakeTranscriptionServer]:
    with FakeTranscriptionServer(text_for=text_unless_silent, api_key=test_api_key) as server:
        yield server


@pytest.fixture
def retry_waits() -> Iterator[list[float]]:
    """The waits the state machine's Retry rules asked for, each actually slept for 1% of its length.

    The ASL's intervals (seconds, doubling, full jitter) are what production uses; the test keeps
    them but does not spend them, and can assert that retries happened and how many.
    """
    import time

    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds / 100)

    with retry_waits_on(types.SimpleNamespace(sleep=sleep)):
        yield waits
