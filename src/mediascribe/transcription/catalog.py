"""The one table of transcription models: what each accepts, what it returns, its limits and its end.

Every decision that depends on the model reads it from here: the chunk planner (request bytes and
audio seconds), the OpenAI engine (which request options to send), caption timing (whether the model
returns timestamps) and the start of a run (a model past its shutdown date is refused before any
work). Facts come from the pinned ``openai`` SDK (``resources/audio/transcriptions.py``) and the API's
own error messages; ``gpt-transcribe``'s duration cap is not published, so it is planned like the
tightest documented cap.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from mediascribe.config import API_REQUEST_LIMIT_BYTES, Settings
from mediascribe.errors import ConfigurationError

logger = logging.getLogger(__name__)

EngineKind = Literal["openai", "amazon", "local"]

# The gpt-4o transcription family and whisper-1, as the pinned SDK announces.
GPT4O_SHUTDOWN = date(2027, 2, 26)
SUCCESSOR = "gpt-transcribe"
# How long before a shutdown the model is reported as ending soon.
SHUTDOWN_WARNING_DAYS = 90
# Unknown OpenAI-compatible models are planned like the tightest documented cap.
CONSERVATIVE_AUDIO_SECONDS = 1400.0

JSON_TEXT = frozenset({"json", "text"})
WHISPER_FORMATS = frozenset({"json", "text", "srt", "vtt", "verbose_json"})
DIARIZE_FORMATS = frozenset({"json", "text", "diarized_json"})


@dataclass(frozen=True)
class ModelSpec:
    """What one transcription model takes and gives.

    ``max_request_bytes``/``max_audio_seconds`` of ``None`` mean the engine has no such limit.
    ``response_formats`` are the formats the model answers; ``returns_timestamps`` says whether the
    format mediascribe asks for carries segment times (otherwise only text comes back).
    ``requires_chunking_strategy``: the API refuses the request without ``chunking_strategy``.
    """

    engine: EngineKind
    name: str
    max_request_bytes: int | None
    max_audio_seconds: float | None
    response_formats: frozenset[str]
    returns_timestamps: bool
    returns_speakers: bool
    accepts_prompt: bool
    accepts_keywords: bool
    accepts_languages: bool
    shutdown: date | None = None
    successor: str | None = None
    requires_chunking_strategy: bool = False

    @property
    def response_format(self) -> str:
        """The richest format this model answers that mediascribe reads."""
        for fmt in ("diarized_json", "verbose_json"):
            if fmt in self.response_formats:
                return fmt
        return "json"


def _openai(
    name: str,
    seconds: float | None,
    formats: frozenset[str],
    *,
    returns_timestamps: bool = False,
    returns_speakers: bool = False,
    accepts_prompt: bool = True,
    accepts_keywords: bool = False,
    accepts_languages: bool = False,
    shutdown: date | None = GPT4O_SHUTDOWN,
    successor: str | None = SUCCESSOR,
    requires_chunking_strategy: bool = False,
) -> ModelSpec:
    return ModelSpec(
        engine="openai",
        name=name,
        max_request_bytes=API_REQUEST_LIMIT_BYTES,
        max_audio_seconds=seconds,
        response_formats=formats,
        returns_timestamps=returns_timestamps,
        returns_speakers=returns_speakers,
        accepts_prompt=accepts_prompt,
        accepts_keywords=accepts_keywords,
        accepts_languages=accepts_languages,
        shutdown=shutdown,
        successor=successor,
        requires_chunking_strategy=requires_chunking_strategy,
    )


OPENAI_MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        # Whisper V2: no duration cap besides the 25 MB request, segments through verbose_json.
        _openai("whisper-1", None, WHISPER_FORMATS, returns_timestamps=True),
        _openai("gpt-4o-transcribe", 1500.0, JSON_TEXT),
        _openai("gpt-4o-mini-transcribe", 1500.0, JSON_TEXT),
        _openai("gpt-4o-mini-transcribe-2025-12-15", 1500.0, JSON_TEXT),
        # Speaker turns with times come only as diarized_json, which needs a chunking strategy; the
        # model takes no prompt.
        _openai(
            "gpt-4o-transcribe-diarize",
            1400.0,
            DIARIZE_FORMATS,
            returns_timestamps=True,
            returns_speakers=True,
            accepts_prompt=False,
            requires_chunking_strategy=True,
        ),
        _openai(
            "gpt-transcribe",
            CONSERVATIVE_AUDIO_SECONDS,
            JSON_TEXT,
            accepts_keywords=True,
            accepts_languages=True,
            shutdown=None,
            successor=None,
        ),
    )
}

# The offline faster-whisper engine: any length, text decoded without timestamps and timed over the
# chunk's speech regions (as for the text-only models), an initial prompt.
LOCAL_MODEL = ModelSpec(
    engine="local",
    name="faster-whisper",
    max_request_bytes=None,
    max_audio_seconds=None,
    response_formats=frozenset({"segments"}),
    returns_timestamps=True,
    returns_speakers=False,
    accepts_prompt=True,
    accepts_keywords=False,
    accepts_languages=False,
)

# Amazon Transcribe's synchronous TranscribeAudio (botocore ``transcribe/2017-10-26``): 0.5 s to 1 hour
# of audio read from S3 (up to 500 MB), word times and speaker labels in the response; vocabulary,
# languages and PII redaction are request options, and there is no free-text prompt.
AMAZON_MODEL = ModelSpec(
    engine="amazon",
    name="transcribe-audio",
    max_request_bytes=500 * 1000 * 1000,
    max_audio_seconds=3600.0,
    response_formats=frozenset({"json"}),
    returns_timestamps=True,
    returns_speakers=True,
    accepts_prompt=False,
    accepts_keywords=True,
    accepts_languages=True,
)


def configured_engine(settings: Settings) -> EngineKind:
    """The engine a run will use: ``auto`` means the API when a key is configured, else offline."""
    choice = settings.transcription_engine
    if choice == "auto":
        return "openai" if settings.openai_api_key or settings.openai_api_key_secret else "local"
    return choice


def model_spec(settings: Settings) -> ModelSpec:
    """The spec of the configured engine and model, with the settings' overrides applied."""
    engine = configured_engine(settings)
    if engine == "local":
        return LOCAL_MODEL
    if engine == "amazon":
        return AMAZON_MODEL
    return configured_openai_model(settings)


def chunk_byte_limit(settings: Settings, spec: ModelSpec) -> int:
    """The most bytes one chunk may hold.

    A chunk the function sends (an OpenAI upload, inline bytes to Amazon Transcribe) is held to
    ``MAX_CHUNK_SIZE_BYTES``, under the 25 MiB request limit. A chunk Amazon Transcribe reads from S3
    itself is held only to the service's own limit, so the hour it accepts is one chunk.
    """
    reads_s3 = spec.engine == "amazon" and settings.transcription_audio_delivery == "s3"
    if reads_s3 and spec.max_request_bytes is not None:
        return spec.max_request_bytes
    return settings.max_chunk_size_bytes


def configured_openai_model(settings: Settings) -> ModelSpec:
    """TRANSCRIPTION_MODEL's spec with the overrides, whichever engine ``auto`` picks."""
    return _with_overrides(openai_model_spec(settings.openai_model), settings)


def openai_model_spec(name: str) -> ModelSpec:
    """A listed model, or conservative defaults for another name on an OpenAI-compatible server.

    A self-hosted server may answer more (``verbose_json`` from a Whisper server, longer audio); the
    settings say so, see ``_with_overrides``.
    """
    known = OPENAI_MODELS.get(name)
    if known is not None:
        return known
    return _openai(name, CONSERVATIVE_AUDIO_SECONDS, JSON_TEXT, shutdown=None, successor=None)


def _with_overrides(spec: ModelSpec, settings: Settings) -> ModelSpec:
    """Apply TRANSCRIPTION_MAX_AUDIO_SECONDS and TRANSCRIPTION_RESPONSE_FORMAT.

    A listed model's cap can only be lowered and its format only chosen among those it answers, so
    no setting makes mediascribe send a request the API refuses.
    """
    known = spec.name in OPENAI_MODELS
    seconds = settings.transcription_max_audio_seconds
    if seconds is not None:
        ceiling = spec.max_audio_seconds if known else None
        spec = replace(spec, max_audio_seconds=seconds if ceiling is None else min(seconds, ceiling))
    fmt = settings.transcription_response_format
    if fmt == "auto":
        return spec
    if known and fmt not in spec.response_formats:
        raise ConfigurationError(
            f"TRANSCRIPTION_RESPONSE_FORMAT={fmt} is not answered by {spec.name} "
            f"(it answers {', '.join(sorted(spec.response_formats))})"
        )
    return replace(
        spec,
        response_formats=frozenset({fmt}) if known else JSON_TEXT | {fmt},
        returns_timestamps=fmt in ("verbose_json", "diarized_json"),
    )


def model_notice(spec: ModelSpec, *, today: date) -> str | None:
    """Refuse a model past its shutdown; a sentence to show when it ends within the warning window.

    ``today`` is passed in so the decision does not depend on the machine's clock in tests.
    """
    if spec.shutdown is None:
        return None
    successor = f"; use {spec.successor}" if spec.successor else ""
    if today >= spec.shutdown:
        raise ConfigurationError(
            f"transcription model {spec.name} was shut down on {spec.shutdown.isoformat()}{successor} "
            "(TRANSCRIPTION_MODEL)"
        )
    days = (spec.shutdown - today).days
    if days > SHUTDOWN_WARNING_DAYS:
        return None
    return (
        f"transcription model {spec.name} shuts down on {spec.shutdown.isoformat()} "
        f"(in {days} days){successor} (TRANSCRIPTION_MODEL)"
    )


_warned: set[str] = set()
_warned_lock = threading.Lock()


def ensure_model_usable(settings: Settings, *, today: date) -> ModelSpec:
    """The configured model's spec, after refusing a shut-down model; warns once per process."""
    spec = model_spec(settings)
    notice = model_notice(spec, today=today)
    if notice is not None:
        with _warned_lock:
            first = spec.name not in _warned
            _warned.add(spec.name)
        if first:
            logger.warning(notice, extra={"model": spec.name, "shutdown": str(spec.shutdown)})
    return spec


def requested_languages(settings: Settings) -> tuple[str, ...]:
    """TRANSCRIPTION_LANGUAGE as a list: one ISO-639-1 code, or several separated by commas."""
    raw = settings.transcription_language or ""
    return tuple(code.strip() for code in raw.split(",") if code.strip())


def single_language(settings: Settings) -> str | None:
    """The one language to force on an engine that takes only one; several mean detect it."""
    languages = requested_languages(settings)
    return languages[0] if len(languages) == 1 else None
