"""The per-job working directory: ``<temp_dir>/<job_id>/``, always removed when the work ends.

The workspace is re-entrant within a process: media functions open it for their own work, and a caller
that needs their output files afterwards (the prepare step uploads chunks) opens it around them. Only
the outermost ``with`` removes the directory, on success and on every error.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mediascribe.ids import validate_job_id

logger = logging.getLogger(__name__)

_open_counts: dict[Path, int] = {}
_lock = threading.Lock()


def workspace_path(temp_dir: Path | str, job_id: str) -> Path:
    """The job's directory; the id is validated so the path can never leave ``temp_dir``."""
    return Path(temp_dir) / validate_job_id(job_id)


@contextmanager
def job_workspace(temp_dir: Path | str, job_id: str) -> Iterator[Path]:
    path = workspace_path(temp_dir, job_id)
    with _lock:
        outermost = _open_counts.get(path, 0) == 0
        _open_counts[path] = _open_counts.get(path, 0) + 1
        if outermost:
            # A warm Lambda container may still hold the directory of an earlier, killed invocation.
            shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    finally:
        # Removal happens under the lock: a thread re-entering the same job must find either the old
        # directory still counted as open, or no directory at all, never one being deleted.
        with _lock:
            _open_counts[path] -= 1
            last = _open_counts[path] == 0
            if last:
                del _open_counts[path]
                shutil.rmtree(path, ignore_errors=True)
        if last:
            logger.info("removed job workspace", extra={"path": str(path)})


def remove_stale_workspaces(temp_dir: Path | str) -> list[Path]:
    """Remove job directories left by invocations that were killed mid-step.

    Called when a Lambda container starts a new invocation: anything under ``temp_dir`` named like a
    job id and not open in this process is debris from a previous run.
    """
    removed: list[Path] = []
    root = Path(temp_dir)
    if not root.is_dir():
        return removed
    for child in root.iterdir():
        try:
            validate_job_id(child.name)
        except ValueError:
            continue
        with _lock:
            if child in _open_counts or not child.is_dir():
                continue
            shutil.rmtree(child, ignore_errors=True)
        removed.append(child)
    if removed:
        logger.info("removed stale job workspaces", extra={"count": len(removed)})
    return removed
