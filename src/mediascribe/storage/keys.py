"""Where each job's files live in the bucket: everything under ``<work_prefix><job_id>/``.

Chunk and result keys are numbered, not named after the upload, so they are short (the state machine
carries one per chunk) and never contain anything a user typed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from mediascribe.errors import InvalidObjectKeyError
from mediascribe.ids import safe_basename, validate_job_id, validate_object_key

TRANSCRIPT_FORMATS = ("txt", "json", "srt", "vtt")


@dataclass(frozen=True)
class JobKeys:
    """The key layout of one job; the only source of keys the workflow ever writes."""

    work_prefix: str
    job_id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "job_id", validate_job_id(self.job_id))

    @property
    def prefix(self) -> str:
        return f"{self.work_prefix}{self.job_id}/"

    def chunk(self, index: int) -> str:
        return f"{self.prefix}chunks/{_index(index):05d}.mp3"

    def chunk_result(self, index: int) -> str:
        return f"{self.results_prefix}{_index(index):05d}.json"

    @property
    def results_prefix(self) -> str:
        return f"{self.prefix}results/"

    def transcript(self, fmt: str) -> str:
        if fmt not in TRANSCRIPT_FORMATS:
            raise InvalidObjectKeyError(f"unknown transcript format {fmt!r}")
        return f"{self.prefix}transcript.{fmt}"

    @property
    def page(self) -> str:
        """The transcript page (``transcript.html``): rendered, not a transcript format to copy."""
        return f"{self.prefix}transcript.html"

    def owns(self, key: str) -> bool:
        """True for keys inside this job's prefix that cannot climb out of it."""
        return key.startswith(self.prefix) and ".." not in key.split("/")


def upload_key(upload_prefix: str, filename: str) -> str:
    """A fresh key under the upload prefix; the user's file name survives only as a safe stem."""
    validate_object_key(filename)
    last = filename.replace("\\", "/").rsplit("/", 1)[-1]
    extension = last.rsplit(".", 1)[-1].lower() if "." in last.strip(".") else ""
    suffix = f".{extension}" if extension.isalnum() and len(extension) <= 8 else ""
    return f"{upload_prefix}{uuid.uuid4()}/{safe_basename(filename)}{suffix}"


def _index(index: int) -> int:
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 100_000:
        raise InvalidObjectKeyError(f"chunk index {index!r} out of range")
    return index
