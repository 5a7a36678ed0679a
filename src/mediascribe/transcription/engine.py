"""The one interface every transcription engine implements (built by ``factory.create_engine``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from mediascribe.transcription.models import EngineResult


@runtime_checkable
class TranscriptionEngine(Protocol):
    """Turns one audio file into text, segments (relative to the file) and its duration.

    Implementations raise ``RetryableTranscriptionError`` or ``PermanentTranscriptionError`` and
    never return an empty text for a failure: an empty text means the audio held no speech.
    """

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str: ...

    async def transcribe_file(self, path: Path) -> EngineResult: ...


@dataclass(frozen=True)
class StoredAudio:
    """An audio object in S3, for engines that read it there instead of from a downloaded file."""

    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@runtime_checkable
class StoredAudioEngine(TranscriptionEngine, Protocol):
    """An engine the service hands the chunk's S3 location: the function never downloads the audio."""

    async def transcribe_stored(self, audio: StoredAudio) -> EngineResult: ...
