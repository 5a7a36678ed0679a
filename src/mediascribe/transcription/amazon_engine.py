"""The Amazon Transcribe engine: one synchronous ``TranscribeAudio`` call per chunk.

The chunk is named by its S3 URI, so the service reads it from the bucket and the function never
downloads audio; the transcript comes back in the response. Retries are botocore's own (standard
mode retries throttling, ``LimitExceededException`` and 5xx); what is left when they run out is mapped
onto the two error classes the state machine tells apart.

With PII redaction on, the request asks for the redacted transcript only (``RedactionOutput:
redacted``), so the unredacted text never reaches the function, let alone a log, a row or an object.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ParamValidationError

from mediascribe.aws_clients import service_client
from mediascribe.config import API_REQUEST_LIMIT_BYTES, Settings
from mediascribe.errors import (
    ConfigurationError,
    PermanentTranscriptionError,
    RetryableTranscriptionError,
    TranscriptionError,
)
from mediascribe.transcription.catalog import AMAZON_MODEL, requested_languages
from mediascribe.transcription.engine import StoredAudio
from mediascribe.transcription.models import EngineResult, Segment, Word
from mediascribe.transcription.uploads import ensure_uploadable

logger = logging.getLogger(__name__)

# Base language codes TranscribeAudio accepts (botocore ``SyncLanguage``), and those it can redact in.
SYNC_LANGUAGES = frozenset({"en", "es", "fr", "it", "de", "ja", "pt", "ko", "zh-CN", "zh-TW", "zh-HK"})
REDACTION_LANGUAGES = ("en", "es", "fr", "it", "de", "pt")
MAX_INLINE_PHRASES = 100
MAX_PHRASE_CHARS = 256
# An hour of audio is transcribed inside the call. Two attempts of at most 420 s and botocore's
# backoff between them (at most 20 s) stay inside the chunk function's 900 s; the state machine
# retries the chunk after that.
REQUEST_TIMEOUT_SECONDS = 420
MAX_ATTEMPTS = 2
# A pause this long ends a segment even when the speaker goes on.
SEGMENT_PAUSE_SECONDS = 1.0
_SENTENCE_END = frozenset(".?!\u3002\uff1f\uff01")
_RETRYABLE_CODES = frozenset(
    {"LimitExceededException", "InternalFailureException", "ServiceUnavailableException"}
)


@dataclass(frozen=True)
class AmazonOptions:
    """What each request asks for, resolved once from the settings."""

    languages: tuple[str, ...] = ()
    max_speakers: int = 0
    vocabulary: str | None = None
    keywords: tuple[str, ...] = ()
    redact_pii: bool = False

    def __post_init__(self) -> None:
        unknown = [code for code in self.languages if code not in SYNC_LANGUAGES]
        if unknown:
            raise ConfigurationError(
                f"TRANSCRIPTION_LANGUAGE: Amazon Transcribe does not take {', '.join(unknown)}; "
                f"it takes {', '.join(sorted(SYNC_LANGUAGES))}"
            )
        if self.redact_pii:
            refused = [code for code in self.languages if code not in REDACTION_LANGUAGES]
            if refused:
                raise ConfigurationError(
                    f"TRANSCRIPTION_REDACT_PII: Amazon Transcribe redacts only in "
                    f"{', '.join(REDACTION_LANGUAGES)}, not in {', '.join(refused)}"
                )
        if self.vocabulary and len(self.languages) != 1:
            raise ConfigurationError(
                "TRANSCRIPTION_VOCABULARY names a custom vocabulary of one language: "
                "set TRANSCRIPTION_LANGUAGE to that language"
            )
        if self.max_speakers != 0 and not 2 <= self.max_speakers <= 30:
            raise ConfigurationError("TRANSCRIPTION_SPEAKERS must be 0 (no speaker labels) or 2 to 30")
        self._check_inline_phrases_fit()

    @classmethod
    def from_settings(cls, settings: Settings) -> AmazonOptions:
        """The options the settings describe; refused here when no request could carry them."""
        return cls(
            languages=requested_languages(settings),
            max_speakers=settings.transcription_speakers,
            vocabulary=settings.transcription_vocabulary,
            keywords=settings.transcription_keywords,
            redact_pii=settings.transcription_redact_pii,
        )

    def _check_inline_phrases_fit(self) -> None:
        """Inline keywords go once per request language, as one ``VocabularySettings`` entry each;
        the request takes at most as many entries as the model allows (5)."""
        entries = len(self._vocabulary_settings(self.request_languages))
        limit = max_vocabulary_settings()
        if entries > limit:
            languages = ", ".join(self.request_languages)
            because = (
                " (with TRANSCRIPTION_REDACT_PII and no TRANSCRIPTION_LANGUAGE, every redactable language)"
                if not self.languages
                else ""
            )
            raise ConfigurationError(
                f"TRANSCRIPTION_KEYWORDS: Amazon Transcribe takes the keywords once per language, in at "
                f"most {limit} languages per request, and this configuration names {entries}: "
                f"{languages}{because}; set TRANSCRIPTION_LANGUAGE to at most {limit} languages"
            )

    @property
    def request_languages(self) -> tuple[str, ...]:
        """The languages named in the request: as configured, or the redactable ones when identifying
        the language for a redacted transcript (the service requires that list then)."""
        if not self.languages and self.redact_pii:
            return REDACTION_LANGUAGES
        return self.languages

    def request(self) -> dict[str, Any]:
        """Every request parameter except the media."""
        params: dict[str, Any] = {}
        languages = self.request_languages
        if len(self.languages) == 1:
            params["Language"] = self.languages[0]
        else:
            params["LanguageDetectionMode"] = "IDENTIFY_LANGUAGE"
            if languages:
                params["LanguageOptions"] = list(languages)
        if self.max_speakers:
            params["ShowSpeakerLabels"] = True
            params["MaxSpeakerLabels"] = self.max_speakers
        vocabulary = self._vocabulary_settings(languages)
        if vocabulary:
            params["VocabularySettings"] = vocabulary
        if self.redact_pii:
            params["ContentRedaction"] = {"RedactionType": "PII", "RedactionOutput": "redacted"}
        return params

    def _vocabulary_settings(self, languages: Sequence[str]) -> list[dict[str, Any]]:
        """The named vocabulary, else the keywords inline; entries need a language each."""
        if self.vocabulary:
            return [{"Language": self.languages[0], "VocabularyName": self.vocabulary}]
        phrases = [{"Text": k[:MAX_PHRASE_CHARS]} for k in self.keywords[:MAX_INLINE_PHRASES] if k.strip()]
        if not phrases:
            return []
        return [{"Language": code, "Phrases": phrases} for code in languages]


@functools.cache
def max_vocabulary_settings() -> int:
    """The most ``VocabularySettings`` entries a ``TranscribeAudio`` request may carry, from botocore's
    model of the operation (which botocore itself does not enforce: the service refuses more)."""
    model = botocore.session.get_session().get_service_model("transcribe")
    shape = model.operation_model("TranscribeAudio").input_shape
    assert shape is not None
    return int(shape.members["VocabularySettings"].metadata["max"])


def ensure_request_settings(settings: Settings) -> None:
    """With Amazon Transcribe as the engine, refuse settings no request could carry, with the
    reason; the probe step calls it, so a job fails on them before any chunk is sent."""
    if settings.transcription_engine == "amazon":
        AmazonOptions.from_settings(settings)


class AmazonTranscribeEngine:
    """Transcribes through ``TranscribeAudio``: chunks from S3, or a local file sent inline."""

    name = "amazon"

    def __init__(
        self,
        options: AmazonOptions,
        *,
        client: Any = None,
        profile: str | None = None,
        region: str | None = None,
    ) -> None:
        self._options = options
        self._params = options.request()
        self._client = client
        self._profile = profile
        self._region = region
        self._client_lock = threading.Lock()
        if options.keywords and not options.vocabulary and "VocabularySettings" not in self._params:
            logger.warning(
                "keywords not sent to Amazon Transcribe: inline phrases need TRANSCRIPTION_LANGUAGE",
                extra={"keywords": len(options.keywords)},
            )

    @classmethod
    def from_settings(cls, settings: Settings, *, client: Any = None) -> AmazonTranscribeEngine:
        return cls(
            AmazonOptions.from_settings(settings),
            client=client,
            profile=settings.aws_profile,
            region=settings.aws_region,
        )

    def __repr__(self) -> str:
        return f"AmazonTranscribeEngine(options={self._options!r})"

    @property
    def model(self) -> str:
        return AMAZON_MODEL.name

    @property
    def options(self) -> AmazonOptions:
        return self._options

    def request_for(self, media: Mapping[str, Any]) -> dict[str, Any]:
        return {"Media": dict(media), **self._params}

    async def transcribe_stored(self, audio: StoredAudio) -> EngineResult:
        return await self._transcribe({"MediaFileUri": audio.uri}, audio.key)

    async def transcribe_file(self, path: Path) -> EngineResult:
        path = Path(path)
        ensure_uploadable(path, API_REQUEST_LIMIT_BYTES)
        content = await asyncio.to_thread(path.read_bytes)
        return await self._transcribe({"MediaBytes": content}, path.name)

    async def _transcribe(self, media: Mapping[str, Any], label: str) -> EngineResult:
        request = self.request_for(media)
        client = self._transcribe_client()
        try:
            response = await asyncio.to_thread(client.transcribe_audio, **request)
        except (ClientError, BotoCoreError) as exc:
            error = map_error(exc)
            logger.warning(
                "transcription request failed",
                extra={
                    "engine": self.name,
                    "audio": label,
                    "error": type(error).__name__,
                    "code": _code_of(exc),
                },
            )
            raise error from exc
        result = engine_result(response, redacted=self._options.redact_pii)
        logger.debug("transcript received", extra={"audio": label, "segments": len(result.segments)})
        return result

    def _transcribe_client(self) -> Any:
        """One client per engine; botocore clients are thread-safe and keep their connection pool."""
        with self._client_lock:
            if self._client is None:
                self._client = service_client(
                    "transcribe",
                    profile=self._profile,
                    region=self._region,
                    config=Config(
                        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
                        read_timeout=REQUEST_TIMEOUT_SECONDS,
                    ),
                )
            return self._client


def _code_of(exc: Exception) -> str | None:
    return str(exc.response.get("Error", {}).get("Code")) if isinstance(exc, ClientError) else None


def map_error(exc: ClientError | BotoCoreError) -> TranscriptionError:
    """Classify what botocore gave up on; a permanent error must never be retried anywhere."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        reason = exc.response.get("Reason")
        message = f"Amazon Transcribe answered {code or status}: {error.get('Message', '')}".rstrip(": ")
        if reason:
            message += f" ({reason})"
        if code in _RETRYABLE_CODES or "Throttl" in code or status == 429 or status >= 500:
            return RetryableTranscriptionError(message)
        # BadRequestException (bad audio, bad options), access denied, unknown vocabulary: waiting won't help.
        return PermanentTranscriptionError(message)
    if isinstance(exc, NoCredentialsError):
        return PermanentTranscriptionError("Amazon Transcribe needs AWS credentials; none were found")
    if isinstance(exc, ParamValidationError):
        return PermanentTranscriptionError(f"Amazon Transcribe request refused by the client: {exc}")
    return RetryableTranscriptionError(f"could not reach Amazon Transcribe: {exc}")


class _Token(NamedTuple):
    start: float
    end: float
    text: str
    speaker: str | None


def engine_result(response: Mapping[str, Any], *, redacted: bool) -> EngineResult:
    """The chunk's text and segments (split at speaker turns, sentence ends and long pauses).

    With redaction only ``RedactedResults`` is read: a missing redacted transcript is an error, never
    a reason to fall back to ``Results``.
    """
    body = response.get("TranscriptResponse")
    if body is None:
        raise RetryableTranscriptionError("Amazon Transcribe sent a response without a transcript")
    results = body.get("RedactedResults" if redacted else "Results")
    if results is None:
        raise RetryableTranscriptionError(
            "Amazon Transcribe sent a response without the "
            + ("redacted " if redacted else "")
            + "transcript"
        )
    tokens = _tokens(results.get("Items") or ())
    text = str(results.get("Transcript") or "").strip()
    if not text:
        text = " ".join(t.text for t in tokens)
    return EngineResult(text=text, segments=_segments(tokens))


def _tokens(items: Iterable[Mapping[str, Any]]) -> list[_Token]:
    """Words with their times and speakers; punctuation joins the word before it."""
    speakers: dict[str, str] = {}
    tokens: list[_Token] = []
    for item in items:
        content = item.get("Content")
        if not content:
            continue
        start = item.get("StartTime")
        if tokens and (start is None or _is_punctuation(content)):
            tokens[-1] = tokens[-1]._replace(text=tokens[-1].text + content)
            continue
        if start is None:
            continue
        raw = item.get("SpeakerLabel")
        speaker = None
        if raw is not None:
            speaker = speakers.get(raw) or speakers.setdefault(raw, f"Speaker {len(speakers) + 1}")
        end = item.get("EndTime")
        tokens.append(
            _Token(
                float(start), max(float(start), float(end if end is not None else start)), content, speaker
            )
        )
    return tokens


def _is_punctuation(content: str) -> bool:
    if content[0].isalnum():
        return False
    return all(unicodedata.category(char).startswith("P") for char in content)


def _segments(tokens: Sequence[_Token]) -> tuple[Segment, ...]:
    segments: list[Segment] = []
    run: list[_Token] = []
    for token in tokens:
        if run and _breaks(run[-1], token):
            segments.append(_segment(run))
            run = []
        run.append(token)
    if run:
        segments.append(_segment(run))
    return tuple(segments)


def _breaks(previous: _Token, token: _Token) -> bool:
    return (
        token.speaker != previous.speaker
        or previous.text[-1] in _SENTENCE_END
        or token.start - previous.end >= SEGMENT_PAUSE_SECONDS
    )


def _segment(run: Sequence[_Token]) -> Segment:
    return Segment(
        start=run[0].start,
        end=run[-1].end,
        text=" ".join(t.text for t in run),
        speaker=run[0].speaker,
        words=tuple(Word(t.start, t.end, t.text) for t in run),
    )
