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
class Word:
    """One recognised word and when it was spoken, in seconds."""

    start: float
    end: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Word:
        return cls(start=float(data["start"]), end=float(data["end"]), text=str(data["text"]))

    def shifted(self, seconds: float) -> Word:
        return Word(self.start + seconds, self.end + seconds, self.text)


@dataclass(frozen=True)
class Segment:
    """A span of recognised speech, in seconds, with its speaker and word timings when the engine
    gives them (``speaker`` is a label such as "Speaker 1"; ``words`` is empty without word timings)."""

    start: float
    end: float
    text: str
    speaker: str | None = None
    words: tuple[Word, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"start": self.start, "end": self.end, "text": self.text}
        if self.speaker is not None:
            data["speaker"] = self.speaker
        if self.words:
            data["words"] = [w.to_dict() for w in self.words]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Segment:
        speaker = data.get("speaker")
        return cls(
            start=float(data["start"]),
            end=float(data["end"]),
            text=str(data["text"]),
            speaker=None if speaker is None else str(speaker),
            words=tuple(Word.from_dict(w) for w in data.get("words") or ()),
        )

    def shifted(self, seconds: float) -> Segment:
        """The same segment ``seconds`` later (word timings included)."""
        return Segment(
            self.start + seconds,
            self.end + seconds,
            self.text,
            self.speaker,
            tuple(w.shifted(seconds) for w in self.words),
        )


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
    """One chunk's transcript; segment times are relative to the chunk's own start.

    ``speech_seconds`` is how much of the chunk a voice-activity detector found to be speech (``None``
    when the chunk was not analysed). ``requests`` and ``sent_seconds`` are the engine requests the
    chunk took and the audio they carried, what the engine bills (``None`` in results stored before
    they were counted).
    """

    index: int
    text: str
    segments: tuple[Segment, ...]
    duration_seconds: float | None
    offset_seconds: float
    engine: str
    model: str
    speech_seconds: float | None = None
    requests: int | None = None
    sent_seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "text": self.text,
            "segments": [s.to_dict() for s in self.segments],
            "duration_seconds": self.duration_seconds,
            "offset_seconds": self.offset_seconds,
            "engine": self.engine,
            "model": self.model,
            "speech_seconds": self.speech_seconds,
            "requests": self.requests,
            "sent_seconds": self.sent_seconds,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChunkTranscript:
        duration = data.get("duration_seconds")
        speech = data.get("speech_seconds")
        requests = data.get("requests")
        sent = data.get("sent_seconds")
        return cls(
            index=int(data["index"]),
            text=str(data["text"]),
            segments=tuple(Segment.from_dict(s) for s in data.get("segments") or ()),
            duration_seconds=None if duration is None else float(duration),
            offset_seconds=float(data["offset_seconds"]),
            engine=str(data["engine"]),
            model=str(data["model"]),
            speech_seconds=None if speech is None else float(speech),
            requests=None if requests is None else int(requests),
            sent_seconds=None if sent is None else float(sent),
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
    speech_seconds: float | None = None
    speakers: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "segments": [s.to_dict() for s in self.segments],
            "speakers": list(self.speakers),
            "chunk_count": self.chunk_count,
            "model": self.model,
            "audio_seconds": self.audio_seconds,
            "speech_seconds": self.speech_seconds,
        }
