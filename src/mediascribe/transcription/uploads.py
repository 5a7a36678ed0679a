"""The request-size check every upload to a transcription API passes, before a request is spent."""

from __future__ import annotations

from pathlib import Path

from mediascribe.errors import ChunkTooLargeError, PermanentTranscriptionError


def ensure_uploadable(path: Path, limit_bytes: int) -> int:
    """The file's size; refuses a file the API would reject for its size, or one that is missing."""
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise PermanentTranscriptionError(f"chunk file {path.name} does not exist") from exc
    if size > limit_bytes:
        raise ChunkTooLargeError(
            f"chunk {path.name} is {size} bytes; the transcription API accepts at most {limit_bytes}"
        )
    return size
