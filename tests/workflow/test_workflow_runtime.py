"""The runtime builds the configured engine without touching secrets that engine does not use."""

from __future__ import annotations

import pytest

from mediascribe.config import Settings
from mediascribe.workflow.runtime import Runtime

# Reading this reference would need AWS (SSM); an engine that does not call OpenAI must never try.
UNREADABLE_SECRET = "/mediascribe/openai-key-that-cannot-be-read"


@pytest.mark.parametrize("engine", ["amazon", "local"])
def test_engines_without_openai_never_read_the_openai_key(engine, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    reads: list[Settings] = []
    monkeypatch.setattr(
        "mediascribe.workflow.runtime.resolve_openai_api_key", lambda settings: reads.append(settings)
    )
    settings = Settings(transcription_engine=engine, openai_api_key_secret=UNREADABLE_SECRET)
    runtime = Runtime(settings=settings, store=None, jobs=None, sfn=None)

    assert runtime.engine().name == engine
    assert reads == []


def test_the_openai_engine_reads_its_key(monkeypatch):
    monkeypatch.setattr("mediascribe.workflow.runtime.resolve_openai_api_key", lambda settings: "sk-test")
    settings = Settings(transcription_engine="openai", openai_api_key_secret=UNREADABLE_SECRET)

    assert Runtime(settings=settings, store=None, jobs=None, sfn=None).engine().name == "openai"
