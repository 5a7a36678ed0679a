"""The one interface every transcription engine implements, and the choice between them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol, runtime_checkable

from mediascribe.config import Settings
from mediascribe.errors import ChunkTooLargeError, ConfigurationError, PermanentTranscriptionError
from mediascribe.transcription.models import EngineResult

logger = logging.getLogger(__name__)


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


def create_engine(settings: Settings, *, api_key: str | None = None) -> TranscriptionEngine:
    """Pick the engine from ``settings.transcription_engine``.

    ``auto`` uses the OpenAI API when a key is available and the offline model otherwise, so a
    deployment without a key still transcribes. The caller resolves the key (see ``credentials``)
    because that may need AWS calls the engine should not make on its own.
    """
    key = api_key or settings.openai_api_key
    choice = settings.transcription_engine
    if choice == "openai" or (choice == "auto" and key):
        if not key:
            raise ConfigurationError(
                "TRANSCRIPTION_ENGINE=openai needs an API key (OPENAI_API_KEY_SECRET or OPENAI_API_KEY)"
            )
        from mediascribe.transcription.openai_engine import OpenAIEngine

        engine: TranscriptionEngine = OpenAIEngine.from_settings(settings, api_key=key)
    else:
        from mediascribe.transcription.local_engine import LocalWhisperEngine

        engine = LocalWhisperEngine.from_settings(settings)
    logger.info("transcription engine selected", extra={"engine": engine.name, "model": engine.model})
    return engine


def ensure_uploadable(path: Path, limit_bytes: int) -> int:
    """Refuse a file the API would reject for its size, before spending a request on it."""
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise PermanentTranscriptionError(f"chunk file {path.name} does not exist") from exc
    if size > limit_bytes:
        raise ChunkTooLargeError(
            f"chunk {path.name} is {size} bytes; the transcription API accepts at most {limit_bytes}"
        )
    return size
