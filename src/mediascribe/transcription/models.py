"""Value objects of the transcription step.

A chunk's transcript is stored as one JSON document per chunk between the Map state and the finalize
step, so ``ChunkTranscript`` round-trips through plain dicts; times inside it stay relative to the
chunk and are made absolute only when the chunks are assembled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Segment:
    """A span of recognised speech, in seconds."""

    start: float
    end: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Segment:
        return cls(start=float(data["start"]), end=float(data["end"]), text=str(data["text"]))


@dataclass(frozen=True)
class EngineResult:
    """What an engine returns for one audio file.

    ``segments`` is empty for models that answer text only; ``duration_seconds`` is ``None`` when the
    engine does not report it.
    """

    text: str
    segments: tuple[Segment, ...] = ()
    duration_seconds: float | None = None


@dataclass(frozen=True)
class ChunkTranscript:
    """One chunk's transcript; segment times are relative to the chunk's own start."""

    index: int
    text: str
    segments: tuple[Segment, ...]
    duration_seconds: float | None
    offset_seconds: float
    engine: str
    model: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "text": self.text,
            "segments": [s.to_dict() for s in self.segments],
            "duration_seconds": self.duration_seconds,
            "offset_seconds": self.offset_seconds,
            "engine": self.engine,
            "model": self.model,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChunkTranscript:
        duration = data.get("duration_seconds")
        return cls(
            index=int(data["index"]),
            text=str(data["text"]),
            segments=tuple(Segment.from_dict(s) for s in data.get("segments") or ()),
            duration_seconds=None if duration is None else float(duration),
            offset_seconds=float(data["offset_seconds"]),
            engine=str(data["engine"]),
            model=str(data["model"]),
        )


@dataclass(frozen=True)
class Transcript:
    """The whole file's transcript; segment times are absolute (from the start of the media).

    Segments are sorted, non-overlapping and never empty; a chunk whose engine gave no timestamps is
    represented by one segment spanning the whole chunk, so captions always cover every word.
    """

    text: str
    segments: tuple[Segment, ...]
    chunk_count: int
    model: str
    audio_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "segments": [s.to_dict() for s in self.segments],
            "chunk_count": self.chunk_count,
            "model": self.model,
            "audio_seconds": self.audio_seconds,
        }
