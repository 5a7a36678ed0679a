"""Choosing and building the configured transcription engine."""

from __future__ import annotations

import logging

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError
from mediascribe.transcription.engine import TranscriptionEngine

logger = logging.getLogger(__name__)


def create_engine(settings: Settings, *, api_key: str | None = None) -> TranscriptionEngine:
    """Pick the engine from ``settings.transcription_engine``.

    ``auto`` uses the OpenAI API when a key is available and the offline model otherwise, so a
    deployment without a key still transcribes; ``amazon`` (Amazon Transcribe) needs no key at all.
    The caller resolves the key (see ``credentials``) because that may need AWS calls the engine
    should not make on its own. Engines are imported here only when chosen: the offline one pulls
    in faster-whisper, which the Lambda layer does not ship.
    """
    key = api_key or settings.openai_api_key
    choice = settings.transcription_engine
    if choice == "amazon":
        from mediascribe.transcription.amazon_engine import AmazonTranscribeEngine

        engine: TranscriptionEngine = AmazonTranscribeEngine.from_settings(settings)
    elif choice == "openai" or (choice == "auto" and key):
        if not key:
            raise ConfigurationError(
                "TRANSCRIPTION_ENGINE=openai needs an API key (OPENAI_API_KEY_SECRET or OPENAI_API_KEY)"
            )
        from mediascribe.transcription.openai_engine import OpenAIEngine

        engine = OpenAIEngine.from_settings(settings, api_key=key)
    else:
        from mediascribe.transcription.local_engine import LocalWhisperEngine

        engine = LocalWhisperEngine.from_settings(settings)
    logger.info("transcription engine selected", extra={"engine": engine.name, "model": engine.model})
    return engine
