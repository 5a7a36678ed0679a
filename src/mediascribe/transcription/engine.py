"""The one interface every transcription engine implements (built by ``factory.create_engine``)."""

from __future__ import annotations

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
