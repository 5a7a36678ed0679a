"""Fixtures of the media tests: generated media shared by the session, settings with a private temp dir."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from mediascribe.config import Settings
from support import media_factory


class MediaLibrary:
    """Generates each named file once per session; the suite runs on two shared cores."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: dict[str, Path] = {}

    def get(self, name: str, build: Callable[[Path], Path]) -> Path:
        if name not in self._made:
            self._made[name] = build(self.root / name)
        return self._made[name]

    def tone(self, seconds: float, fmt: str = "mp3", **options: object) -> Path:
        label = "-".join(f"{k}{v}" for k, v in sorted(options.items())).replace(" ", "")
        name = f"tone-{seconds}s{('-' + label) if label else ''}.{fmt}"
        return self.get(name, lambda path: media_factory.make_audio(path, seconds, fmt=fmt, **options))

    def video(self, seconds: float, fmt: str = "mp4", *, audio: bool = True) -> Path:
        name = f"video-{seconds}s-{'audio' if audio else 'silent'}.{fmt}"
        return self.get(name, lambda path: media_factory.make_video(path, seconds, fmt=fmt, audio=audio))


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
