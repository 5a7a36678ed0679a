"""The unit the transcription steps work on: one mp3 piece of the source, small enough for the API."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def chunk_name(basename: str, index: int) -> str:
    return f"{basename}_audio_{index}.mp3"


@dataclass(frozen=True)
class AudioChunk:
    """One chunk file plus where it sits in the source.

    ``start_seconds`` and ``duration_seconds`` are read from the produced files, so transcript
    timestamps shifted by them line up with the source even when cuts fall between nominal marks.
    """

    index: int
    path: Path
    name: str
    size_bytes: int
    start_seconds: float
    duration_seconds: float
