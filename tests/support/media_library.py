"""Generated media shared by a whole test session: each named file is made once, on first use.

Generating media costs ffmpeg time on two shared cores; many tests need the same few files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from support import media_factory


class MediaLibrary:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: dict[str, Path] = {}

    def get(self, name: str, build: Callable[[Path], Path]) -> Path:
        """The file ``name``, built by ``build(path)`` the first time it is asked for.

        Each file gets a folder of its own, so a builder may leave intermediate files beside it.
        """
        if name not in self._made:
            folder = self.root / str(len(self._made))
            folder.mkdir()
            self._made[name] = build(folder / name)
        return self._made[name]

    def tone(self, seconds: float, fmt: str = "mp3", **options: Any) -> Path:
        label = "-".join(f"{k}{v}" for k, v in sorted(options.items())).replace(" ", "")
        name = f"tone-{seconds}s{('-' + label) if label else ''}.{fmt}"
        return self.get(name, lambda path: media_factory.make_audio(path, seconds, fmt=fmt, **options))

    def video(self, seconds: float, fmt: str = "mp4", *, audio: bool = True) -> Path:
        name = f"video-{seconds}s-{'audio' if audio else 'silent'}.{fmt}"
        return self.get(name, lambda path: media_factory.make_video(path, seconds, fmt=fmt, audio=audio))
