"""Fixtures of the workflow tests."""

from __future__ import annotations

import logging

import pytest


@pytest.fixture
def cli_env(monkeypatch, postgres_dsn, database, fake_api):
    """The command as a user with a key would run it, against the fake API and the test database."""
    monkeypatch.setenv("DATABASE_URL", postgres_dsn)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_api.base_url)
    monkeypatch.setenv("OPENAI_MAX_RETRIES", "0")
    # The command quiets loggers for its stdout/stderr; give other tests their levels back.
    names = ("mediascribe", "moto", "botocore", "faster_whisper")
    levels = {name: logging.getLogger(name).level for name in names}
    yield fake_api
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
