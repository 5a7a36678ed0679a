"""Progress on stderr: one bar for a file, or one line per file of a batch; redrawn in place on a terminal."""

from __future__ import annotations

import sys
import threading
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


class FileLines:
    """One progress line per file of a batch on stderr.

    On a terminal the lines are redrawn in place as the files move; otherwise each file gets its one
    line when it has finished, so logs stay short. Updates come from worker threads.
    """

    def __init__(self, names: list[str], stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._interactive = self._stream.isatty()
        self._width = max(len(name) for name in names)
        self._lines = {name: self._format(name, 0, "waiting") for name in names}
        self._lock = threading.Lock()
        self._drawn = False

    def update(self, name: str, progress: int, stage: str) -> None:
        with self._lock:
            self._lines[name] = self._format(name, progress, stage)
            if self._interactive:
                self._redraw()

    def finish(self, name: str, outcome: str) -> None:
        with self._lock:
            self._lines[name] = f"{name:<{self._width}}  {outcome}"
            if self._interactive:
                self._redraw()
            else:
                self._stream.write(self._lines[name] + "\n")
                self._stream.flush()

    def _format(self, name: str, progress: int, stage: str) -> str:
        filled = BAR_WIDTH * max(0, min(progress, 100)) // 100
        return f"{name:<{self._width}}  [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {progress:3d}%  {stage}"

    def _redraw(self) -> None:
        if self._drawn:
            self._stream.write(f"\x1b[{len(self._lines)}F")
        self._stream.write("".join(f"\x1b[2K{line}\n" for line in self._lines.values()))
        self._stream.flush()
        self._drawn = True
