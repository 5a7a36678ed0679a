"""A one-line progress bar on stderr, redrawn in place on a terminal, one line per change otherwise."""

from __future__ import annotations

import sys
from typing import TextIO

BAR_WIDTH = 30


class ProgressBar:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._interactive = self._stream.isatty()
        self._last: tuple[int, str] | None = None

    def update(self, progress: int, stage: str) -> None:
        if (progress, stage) == self._last:
            return
        self._last = (progress, stage)
        filled = BAR_WIDTH * max(0, min(progress, 100)) // 100
        line = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {progress:3d}%  {stage}"
        if self._interactive:
            self._stream.write(f"\r\x1b[2K{line}")
        else:
            self._stream.write(f"{line}\n")
        self._stream.flush()

    def close(self) -> None:
        if self._interactive and self._last is not None:
            self._stream.write("\n")
            self._stream.flush()
