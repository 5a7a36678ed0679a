"""Directories of local runs that were killed: each run marks its own with its process id.

A run stopped by ``kill -9`` or a crash cannot clean up after itself. The next run finds its
directories by their prefix and by an owner mark whose process no longer exists; directories of runs
still alive (tests and runs side by side) are never touched.
"""

from __future__ import annotations

import os
from pathlib import Path

OWNER_FILE = "owner.pid"


def claim(directory: Path) -> None:
    """Mark ``directory`` as belonging to this process."""
    (directory / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")


def abandoned(root: Path, prefix: str) -> list[Path]:
    """Directories under ``root`` named ``prefix*`` whose owner process has gone."""
    if not root.is_dir():
        return []
    return [path for path in root.glob(f"{prefix}*") if path.is_dir() and _owner_gone(path)]


def _owner_gone(directory: Path) -> bool:
    try:
        pid = int((directory / OWNER_FILE).read_text(encoding="ascii"))
    except (OSError, ValueError):
        return False  # unmarked: not ours to judge
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
