"""Fixtures of the media tests: generated media shared by the session, settings with a private temp dir."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from mediascribe.config import Settings
from support.media_library import MediaLibrary


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> MediaLibrary:
    return MediaLibrary(tmp_path_factory.mktemp("media-library"))


@pytest.fixture
def temp_dir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def settings(temp_dir: Path) -> Settings:
    return Settings(temp_dir=temp_dir)


@pytest.fixture
def job_id() -> str:
    return str(uuid.uuid4())
