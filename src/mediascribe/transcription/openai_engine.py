"""The OpenAI transcription engine: the official SDK's ``AsyncOpenAI`` client.

What each request carries comes from the model's catalog entry, so a model is never sent a format or
option it refuses. Retries are the SDK's own (exponential backoff with jitter, ``Retry-After``
honoured); what is left when they run out is mapped onto the two error classes the state machine
tells apart.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import threading
import weakref
from pathlib import Path
from typing import Any

import openai

from mediascribe.config import API_REQUEST_LIMIT_BYTES, Settings
from mediascribe.errors import PermanentTranscriptionError, RetryableTranscriptionError, TranscriptionError
from mediascribe.transcription.catalog import (
    ModelSpec,
    configured_openai_model,
    openai_model_spec,
    requested_languages,
)
from mediascribe.transcription.models import EngineResult, Segment
from mediascribe.transcription.uploads import ensure_uploadable

logger = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 409, 429})
# An exhausted quota also answers 429, but waiting does not refill it: someone has to pay first.
PERMANENT_ERROR_CODES = frozenset({"insufficient_quota"})


class OpenAIEngine:
    """Transcribes through ``audio.transcriptions.create``."""

    name = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        model: str = "gpt-transcribe",
        spec: ModelSpec | None = None,
        base_url: str | None = None,
        language: str | None = None,
        prompt: str | None = None,
        keywords: tuple[str, ...] = (),
        max_retries: int = 3,
        timeout_seconds: float = 300.0,
    ) -> None:
        """``language`` is one ISO-639-1 code or several separated by commas; ``spec`` defaults to
        the catalog's entry for ``model``."""
        self._api_key = api_key
        self._spec = spec or openai_model_spec(model)
        self._model = self._spec.name
        self._base_url = base_url
        self._languages = tuple(code.strip() for code in (language or "").split(",") if code.strip())
        self._prompt = prompt
        self._keywords = keywords
        self._max_retries = max_retries
        self._timeout_seconds = timeout_seconds
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = (
            weakref.WeakKeyDictionary()
        )
        self._clients_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, *, api_key: str) -> OpenAIEngine:
        return cls(
            api_key=api_key,
            spec=configured_openai_model(settings),
            base_url=settings.openai_base_url,
            language=",".join(requested_languages(settings)),
            prompt=settings.transcription_prompt,
            keywords=settings.transcription_keywords,
            max_retries=settings.openai_max_retries,
            timeout_seconds=settings.openai_timeout_seconds,
        )

    def __repr__(self) -> str:
        return f"OpenAIEngine(model={self._model!r}, base_url={self._base_url!r})"

    @property
    def model(self) -> str:
        return self._model

    @property
    def spec(self) -> ModelSpec:
        return self._spec

    @property
    def response_format(self) -> str:
        return self._spec.response_format

    def _client_for_running_loop(self) -> openai.AsyncOpenAI:
        """One client (one connection pool) per event loop.

        A warm Lambda runs each invocation in a fresh loop, and an httpx pool cannot outlive the loop
        that opened its connections, so each loop gets its own client. Locally several invocations
        run at once in threads, each in its own loop, on the same engine: one shared slot would have
        them replace each other's client, dropping the connections of requests still in flight.
        """
        loop = asyncio.get_running_loop()
        with self._clients_lock:
            client = self._clients.get(loop)
            if client is None:
                client = openai.AsyncOpenAI(
                    api_key=self._api_key,
                    base_url=self._base_url,
                    max_retries=self._max_retries,
                    timeout=self._timeout_seconds,
                )
                self._clients[loop] = client
            return client

    def request_options(self) -> dict[str, Any]:
        """The form fields of every request, limited to what the model takes."""
        spec = self._spec
        options: dict[str, Any] = {"model": self._model, "response_format": self.response_format}
        if self.response_format == "verbose_json":
            options["timestamp_granularities"] = ["segment"]
        if spec.requires_chunking_strategy:
            options["chunking_strategy"] = "auto"
        if len(self._languages) == 1:
            options["language"] = self._languages[0]
        elif self._languages and spec.accepts_languages:
            options["languages"] = list(self._languages)
        # Several languages and no ``languages`` option: the model detects the language itself.
        if self._keywords and spec.accepts_keywords:
            options["keywords"] = list(self._keywords)
        prompt = _prompt_with_keywords(self._prompt, () if spec.accepts_keywords else self._keywords)
        if prompt and spec.accepts_prompt:
            options["prompt"] = prompt
        return options

    async def transcribe_file(self, path: Path) -> EngineResult:
        path = Path(path)
        size = ensure_uploadable(path, API_REQUEST_LIMIT_BYTES)
        content = await asyncio.to_thread(path.read_bytes)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        client = self._client_for_running_loop()
        log_fields = {"model": self._model, "file": path.name, "size_bytes": size}
        logger.debug("sending audio to the transcription API", extra=log_fields)
        try:
            response = await client.audio.transcriptions.create(
                file=(path.name, content, content_type), **self.request_options()
            )
        except openai.OpenAIError as exc:
            error = _map_error(exc)
            logger.warning(
                "transcription request failed",
                extra={**log_fields, "error": type(error).__name__, "status": _status_of(exc)},
            )
            if self._api_key and self._api_key in str(error):
                # The message quotes the response, which a gateway may fill with the key it refused; the
                # error becomes a job message, an execution cause and log lines, so the key goes, and so
                # does the chained SDK exception that quotes it too.
                raise type(error)(str(error).replace(self._api_key, "[redacted]")) from None
            raise error from exc
        return _engine_result(response)


def _prompt_with_keywords(prompt: str | None, keywords: tuple[str, ...]) -> str | None:
    """Fold keywords into the prompt for models that take a prompt but no keyword list: Whisper-style
    models follow the spelling of words that appear in the prompt."""
    if not keywords:
        return prompt
    glossary = f"Glossary: {', '.join(keywords)}."
    return f"{prompt} {glossary}" if prompt else glossary


def _status_of(exc: openai.OpenAIError) -> int | None:
    return exc.status_code if isinstance(exc, openai.APIStatusError) else None


def _map_error(exc: openai.OpenAIError) -> TranscriptionError:
    """Classify what the SDK gave up on; a permanent error must never be retried anywhere."""
    if isinstance(exc, openai.APITimeoutError):
        return RetryableTranscriptionError(f"transcription request timed out: {exc}")
    if isinstance(exc, openai.APIConnectionError):
        return RetryableTranscriptionError(f"could not reach the transcription API: {exc}")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        message = f"transcription API answered {status}: {exc.message}"
        if exc.code in PERMANENT_ERROR_CODES:
            return PermanentTranscriptionError(message)
        if status in RETRYABLE_STATUS or status >= 500:
            return RetryableTranscriptionError(message)
        return PermanentTranscriptionError(message)
    if isinstance(exc, openai.APIResponseValidationError):
        return RetryableTranscriptionError(f"transcription API sent an unexpected response: {exc}")
    return PermanentTranscriptionError(f"transcription request was refused by the client: {exc}")


def _engine_result(response: Any) -> EngineResult:
    """Accept the verbose (segments + duration) and plain (text only) response shapes."""
    if isinstance(response, str):
        return EngineResult(text=response.strip())
    segments = tuple(
        Segment(
            start=float(s.start),
            end=float(s.end),
            text=s.text.strip(),
            speaker=getattr(s, "speaker", None) or None,
        )
        for s in getattr(response, "segments", None) or ()
    )
    text = getattr(response, "text", None)
    if not isinstance(text, str):
        raise RetryableTranscriptionError("transcription API sent a response without text")
    duration = getattr(response, "duration", None)
    return EngineResult(
        text=text.strip(),
        segments=segments,
        duration_seconds=None if duration is None else float(duration),
    )
