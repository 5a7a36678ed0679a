"""Fixtures of the workflow tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def cli_env(monkeypatch, postgres_dsn, database, fake_api):
    """The command as a user with a key would run it, against the fake API and the test database."""
    monkeypatch.setenv("DATABASE_URL", postgres_dsn)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_api.base_url)
    monkeypatch.setenv("OPENAI_MAX_RETRIES", "0")
    yield fake_api
