"""A local stand-in for the transcription endpoint of the OpenAI API, built on the standard library only.

The real ``openai`` client talks to it over HTTP on 127.0.0.1, so tests exercise the SDK's own
multipart encoding, retry loop, ``Retry-After`` handling and timeouts instead of patched methods.
Each request is answered by the next scripted ``Reply`` (or a callable), else by a normal
transcription whose text comes from ``text_for`` (by default derived from the uploaded file name), or
from the real offline Whisper model run on the upload (``offline_model=True``), which hears what the
audio holds and, like the hosted models, can hallucinate words on silence.

Unscripted requests meet the real API's rules (``API_MODELS``): the request size cap, the file
formats, each model's duration cap and response formats, and the options each model takes, refused
with the real status and error text. The audio's duration is measured with ffprobe; latency can grow
with it (``latency_per_audio_second``), as the real service's does.

    with FakeTranscriptionServer(replies=[Reply(status=429), Reply(status=429)]) as server:
        client = AsyncOpenAI(api_key="test", base_url=server.base_url)
"""

from __future__ import annotations

import json
import math
import random
import re
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from support.media_factory import ffprobe_path
from support.notes_scripts import NotesScript, Turn, count_tokens

TRANSCRIPTIONS_PATH = "/v1/audio/transcriptions"
# The API's own request cap, multipart overhead included.
MAX_REQUEST_BYTES = 26_214_400
FILE_FORMATS = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
MIN_AUDIO_SECONDS = 0.1
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class ApiModel:
    """What the hosted API does per model; kept apart from mediascribe's catalog on purpose, so a
    mistake in the catalog meets a refusal here instead of being mirrored."""

    max_seconds: float | None
    formats: frozenset[str]
    options: frozenset[str]
    needs_chunking_strategy: bool = False


_COMMON = frozenset({"language", "temperature", "stream"})
_JSON_TEXT = frozenset({"json", "text"})
_GPT4O = ApiModel(1500.0, _JSON_TEXT, _COMMON | {"prompt", "include", "chunking_strategy"})
API_MODELS: dict[str, ApiModel] = {
    "whisper-1": ApiModel(
        None,
        frozenset({"json", "text", "srt", "vtt", "verbose_json"}),
        _COMMON | {"prompt", "timestamp_granularities"},
    ),
    "gpt-4o-transcribe": _GPT4O,
    "gpt-4o-mini-transcribe": _GPT4O,
    "gpt-4o-mini-transcribe-2025-12-15": _GPT4O,
    "gpt-4o-transcribe-diarize": ApiModel(
        1400.0,
        frozenset({"json", "text", "diarized_json"}),
        _COMMON | {"chunking_strategy", "known_speaker_names", "known_speaker_references"},
        needs_chunking_strategy=True,
    ),
    "gpt-transcribe": ApiModel(
        1400.0, _JSON_TEXT, _COMMON | {"prompt", "keywords", "languages", "chunking_strategy"}
    ),
}


@dataclass(frozen=True)
class Reply:
    """How to answer one request. The default is a normal, successful transcription."""

    status: int = 200
    body: Mapping[str, Any] | str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    retry_after: str | None = None
    delay_seconds: float = 0.0
    drop_connection: bool = False
    hang: bool = False


@dataclass(frozen=True)
class RecordedRequest:
    """What the server saw; the Authorization header is reduced to whether it matched."""

    number: int
    path: str
    fields: dict[str, str]
    filename: str | None
    file_bytes: bytes
    file_content_type: str | None
    authorized: bool
    received_at: float
    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    audio_seconds: float | None = None

    @property
    def model(self) -> str | None:
        return self.fields.get("model")

    @property
    def response_format(self) -> str:
        return self.fields.get("response_format", "json")

    @property
    def file_size(self) -> int:
        return len(self.file_bytes)


ReplySource = Iterable[Reply] | Callable[[RecordedRequest], Reply | None]


def measured_duration(request: RecordedRequest) -> float:
    """The upload's real duration (uploads that are not audio are refused before any answer)."""
    if request.audio_seconds is None:
        raise ValueError(f"{request.filename} is not audio; the request should have been refused")
    return request.audio_seconds


# The stand-in's own scratch files carry this prefix, so audits of the workflow's files can tell them apart.
SCRATCH_PREFIX = "fake-openai-"


def probe_seconds(data: bytes, filename: str) -> float | None:
    """The duration ffprobe reads from ``data``, or None when it is not audio ffprobe can read."""
    suffix = "." + filename.rsplit(".", 1)[-1] if "." in filename else ""
    with tempfile.NamedTemporaryFile(prefix=SCRATCH_PREFIX, suffix=suffix) as handle:
        handle.write(data)
        handle.flush()
        probe = subprocess.run(
            [
                ffprobe_path(),
                "-v",
                "error",
                "-show_entries",
                "format=duration",
                "-of",
                "csv=p=0",
                handle.name,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    try:
        return float(probe.stdout.strip())
    except ValueError:
        return None


_offline_lock = threading.Lock()


def offline_transcription(data: bytes, filename: str) -> tuple[str, list[dict[str, Any]], float]:
    """Text, Whisper-shaped segments and duration from the real offline model, without any VAD.

    The hosted models hear silence and noise the same way, so a stand-in built on the real decoder
    is no kinder to a silent chunk than the service is.
    """
    from mediascribe.transcription.local_model import load_model, packaged_model

    model = load_model(packaged_model()[0])
    suffix = "." + filename.rsplit(".", 1)[-1] if "." in filename else ""
    with tempfile.NamedTemporaryFile(prefix=SCRATCH_PREFIX, suffix=suffix) as handle, _offline_lock:
        handle.write(data)
        handle.flush()
        pieces, info = model.transcribe(handle.name, beam_size=5, vad_filter=False)
        segments = [
            _segment_dict(i, float(p.start), float(p.end), p.text, no_speech_prob=float(p.no_speech_prob))
            for i, p in enumerate(pieces)
        ]
    text = " ".join(seg["text"].strip() for seg in segments if seg["text"].strip())
    return text, segments, float(info.duration)


def text_from_filename(request: RecordedRequest) -> str:
    """Default transcript text: names the uploaded file, so tests can check ordering."""
    return f"Transcript of {request.filename}."


def text_from_marker(request: RecordedRequest) -> str:
    """Transcript text written after the audio, on a line starting ``TEXT:`` (tests' chunk files)."""
    marker = request.file_bytes.find(b"TEXT:")
    if marker < 0:
        return text_from_filename(request)
    return request.file_bytes[marker + 5 :].split(b"\n", 1)[0].decode("utf-8").strip()


class FakeTranscriptionServer:
    """Threaded HTTP server answering ``POST /v1/audio/transcriptions`` like the real API.

    ``requests`` lists every request seen; ``max_in_flight`` is the most it handled at once, which
    shows whether a client really sent chunks concurrently; ``request_seconds`` holds how long each
    transcription request took from its arrival to its answer, ``statuses`` the status of each answer.
    """

    def __init__(
        self,
        *,
        replies: ReplySource | None = None,
        latency: float | tuple[float, float] = 0.0,
        text_for: Callable[[RecordedRequest], str] = text_from_filename,
        duration_for: Callable[[RecordedRequest], float] = measured_duration,
        api_key: str | None = None,
        hang_seconds: float = 30.0,
        seed: int | None = None,
        latency_per_audio_second: float = 0.0,
        offline_model: bool = False,
        extra_models: Mapping[str, ApiModel] | None = None,
    ) -> None:
        """``latency_per_audio_second`` adds that many seconds per second of uploaded audio.
        ``offline_model`` answers with what the real offline Whisper model hears in the upload.
        Uploads that are not decodable audio are refused, as the API does. ``extra_models`` serves more
        model names, as a self-hosted OpenAI-compatible server does."""
        self._callable = replies if callable(replies) else None
        self._queue: deque[Reply] = deque() if callable(replies) or replies is None else deque(replies)
        self._latency = latency
        self._text_for = text_for
        self._duration_for = duration_for
        self._api_key = api_key
        self._hang_seconds = hang_seconds
        self._random = random.Random(seed)
        self._per_audio_second = latency_per_audio_second
        self._offline_model = offline_model
        self.models: dict[str, ApiModel] = API_MODELS | dict(extra_models or {})
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.requests: list[RecordedRequest] = []
        self._in_flight = 0
        self.max_in_flight = 0
        self.request_seconds: list[float] = []
        self.statuses: list[int] = []
        # Chat Completions (notes) are answered by their own section at the end of this module.
        self.chat = ChatCompletions()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeTranscriptionServer:
        handler = _handler_for(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeTranscriptionServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        host, port = cast(tuple[str, int], self._httpd.server_address[:2])
        return f"http://{host}:{port}/v1"

    # -- scripting and inspection ------------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next requests (after those already queued)."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    # -- request handling (called from handler threads) --------------------------------------------

    def _record(self, **values: Any) -> RecordedRequest:
        with self._lock:
            request = RecordedRequest(number=len(self.requests) + 1, **values)
            self.requests.append(request)
            return request

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _next_reply(self, request: RecordedRequest) -> Reply:
        if self._callable is not None:
            return self._callable(request) or Reply()
        with self._lock:
            return self._queue.popleft() if self._queue else Reply()

    def _latency_seconds(self) -> float:
        if isinstance(self._latency, tuple):
            low, high = self._latency
            with self._lock:
                return self._random.uniform(low, high)
        return self._latency

    def _wait(self, seconds: float) -> None:
        """Sleep, but wake up when the server stops so threads never outlive a test for long."""
        if seconds > 0:
            self._stopping.wait(seconds)

    def _success_body(self, request: RecordedRequest) -> tuple[str, bytes]:
        if self._offline_model:
            text, segments, duration = offline_transcription(request.file_bytes, request.filename or "")
        else:
            text, duration = self._text_for(request), self._duration_for(request)
            segments = _segments(text, duration)
        fmt = request.response_format
        if fmt == "text":
            return "text/plain; charset=utf-8", text.encode()
        if fmt == "verbose_json":
            payload: dict[str, Any] = {
                "task": "transcribe",
                "language": "english",
                "duration": duration,
                "text": text,
                "segments": segments,
                "usage": {"type": "duration", "seconds": math.ceil(duration)},
            }
        elif fmt == "diarized_json":
            payload = {
                "task": "transcribe",
                "duration": duration,
                "text": text,
                "segments": [
                    {
                        "type": "transcript.text.segment",
                        "id": f"seg_{seg['id']}",
                        "start": seg["start"],
                        "end": seg["end"],
                        "text": seg["text"].strip(),
                        "speaker": "A",
                    }
                    for seg in segments
                ],
                "usage": _usage(request.model or "", text, duration),
            }
        else:
            payload = {"text": text, "usage": _usage(request.model or "", text, duration)}
        return "application/json", json.dumps(payload).encode()

    def _validation_error(self, request: RecordedRequest, body_size: int) -> Reply | None:
        """The first rule of the real API this request breaks, answered as the API answers it."""
        if body_size > MAX_REQUEST_BYTES:
            message = f"Maximum content size limit ({MAX_REQUEST_BYTES}) exceeded ({body_size} bytes read)"
            return _error_reply(413, message, "server_error")
        if request.filename is None or not request.file_bytes:
            return _error_reply(400, "Missing required parameter: 'file'.", "invalid_request_error")
        if not request.model:
            return _error_reply(400, "Missing required parameter: 'model'.", "invalid_request_error")
        spec = self.models.get(request.model)
        if spec is None:
            return _error_reply(
                404,
                f"The model `{request.model}` does not exist or you do not have access to it.",
                "invalid_request_error",
                code="model_not_found",
            )
        extension = request.filename.rsplit(".", 1)[-1].lower() if "." in request.filename else ""
        if extension not in FILE_FORMATS:
            formats = ", ".join(f"'{f}'" for f in FILE_FORMATS)
            return _error_reply(
                400,
                f"Invalid file format. Supported formats: [{formats}]",
                "invalid_request_error",
                param="file",
                code="invalid_value",
            )
        return _option_error(request, spec) or self._audio_error(request, spec)

    def _audio_error(self, request: RecordedRequest, spec: ApiModel) -> Reply | None:
        seconds = request.audio_seconds
        if seconds is None:
            return _error_reply(
                400,
                "Audio file might be corrupted or unsupported",
                "invalid_request_error",
                param="file",
                code="invalid_value",
            )
        if seconds < MIN_AUDIO_SECONDS:
            return _error_reply(
                400,
                f"audio duration {seconds} seconds is shorter than {MIN_AUDIO_SECONDS} seconds which is "
                "the minimum for this model",
                "invalid_request_error",
                code="invalid_value",
            )
        if spec.max_seconds is not None and seconds > spec.max_seconds:
            return _error_reply(
                400,
                f"audio duration {seconds} seconds is longer than {spec.max_seconds:g} seconds which is "
                "the maximum for this model",
                "invalid_request_error",
                code="invalid_value",
            )
        return None


def _option_error(request: RecordedRequest, spec: ApiModel) -> Reply | None:
    """Refuse a response format or option the model does not take."""
    fmt = request.response_format
    if fmt not in spec.formats:
        allowed = " or ".join(f"'{f}'" for f in sorted(spec.formats & {"json", "text"}))
        return _error_reply(
            400,
            f"response_format '{fmt}' is not compatible with model '{request.model}'. Use {allowed} instead.",
            "invalid_request_error",
            param="response_format",
            code="unsupported_value",
        )
    sent = {name.removesuffix("[]") for name in (*request.fields, *request.lists)} - {
        "model",
        "response_format",
    }
    for option in sorted(sent - spec.options):
        return _error_reply(
            400,
            f"{option} is not supported with model '{request.model}'.",
            "invalid_request_error",
            param=option,
            code="unsupported_parameter",
        )
    if "timestamp_granularities" in sent and fmt != "verbose_json":
        return _error_reply(
            400,
            "timestamp_granularities requires response_format to be verbose_json.",
            "invalid_request_error",
            param="timestamp_granularities",
            code="invalid_value",
        )
    if spec.needs_chunking_strategy and "chunking_strategy" not in sent:
        return _error_reply(
            400,
            "chunking_strategy is required for diarization models",
            "invalid_request_error",
            param="chunking_strategy",
            code="invalid_value",
        )
    return None


def _segments(text: str, duration: float) -> list[dict[str, Any]]:
    """Split the text into sentences spread evenly over the duration, shaped like Whisper's output."""
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    if not sentences:
        return []
    step = duration / len(sentences)
    return [_segment_dict(i, i * step, (i + 1) * step, sentence) for i, sentence in enumerate(sentences)]


def _segment_dict(
    index: int, start: float, end: float, text: str, *, no_speech_prob: float = 0.01
) -> dict[str, Any]:
    return {
        "id": index,
        "seek": 0,
        "start": round(start, 3),
        "end": round(end, 3),
        "text": f" {text.strip()}",
        "tokens": [],
        "temperature": 0.0,
        "avg_logprob": -0.2,
        "compression_ratio": 1.1,
        "no_speech_prob": no_speech_prob,
    }


def _usage(model: str, text: str, duration: float) -> dict[str, Any]:
    if model.startswith("whisper"):
        return {"type": "duration", "seconds": math.ceil(duration)}
    output = max(1, len(text.split()))
    audio = max(1, int(duration * 10))
    return {
        "type": "tokens",
        "input_tokens": audio,
        "output_tokens": output,
        "total_tokens": audio + output,
        "input_token_details": {"audio_tokens": audio, "text_tokens": 0},
    }


def _error_reply(
    status: int,
    message: str,
    error_type: str,
    *,
    param: str | None = None,
    code: str | None = None,
    **extra: Any,
) -> Reply:
    body = {"error": {"message": message, "type": error_type, "param": param, "code": code}}
    return Reply(status=status, body=body, **extra)


def error_reply(status: int, *, retry_after: str | None = None, delay_seconds: float = 0.0) -> Reply:
    """A reply with the real API's error envelope for ``status``."""
    phrase = HTTPStatus(status).phrase
    return _error_reply(
        status, f"fake {status} {phrase}", "fake_error", retry_after=retry_after, delay_seconds=delay_seconds
    )


@dataclass
class _Form:
    fields: dict[str, str] = field(default_factory=dict)
    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    filename: str | None = None
    file_bytes: bytes = b""
    file_type: str | None = None


def _parse_multipart(content_type: str, body: bytes) -> _Form:
    """Split a multipart/form-data body exactly on its boundary (binary-safe).

    Repeated names (the SDK sends a list as ``name[]`` parts) are collected in ``lists``; ``fields``
    keeps the last value of each name.
    """
    params = dict(part.strip().split("=", 1) for part in content_type.split(";")[1:] if "=" in part)
    boundary = params.get("boundary", "").strip('"').encode()
    form = _Form()
    if not boundary:
        return form
    fields = form.fields
    for raw_part in body.split(b"--" + boundary)[1:]:
        if raw_part.startswith(b"--"):
            break
        head, _, content = raw_part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disposition = {
            key.strip(): value.strip().strip('"')
            for key, _, value in (p.partition("=") for p in headers.get("content-disposition", "").split(";"))
        }
        name = disposition.get("name", "")
        if "filename" in disposition:
            form.filename, form.file_bytes = disposition["filename"], content
            form.file_type = headers.get("content-type")
        elif name:
            fields[name] = content.decode("utf-8")
            form.lists[name] = (*form.lists.get(name, ()), fields[name])
    form.lists = {
        name: values for name, values in form.lists.items() if name.endswith("[]") or len(values) > 1
    }
    return form


def _handler_for(server: FakeTranscriptionServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the per-request stderr lines."""

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = bytearray()
                while True:
                    size = int(self.rfile.readline().strip().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        return bytes(data)
                    data += self.rfile.read(size)
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length", "0")))

        def do_POST(self) -> None:
            if self.path == CHAT_COMPLETIONS_PATH:
                _answer_chat(self, server.chat, server._api_key)
                return
            server._enter()
            started = time.monotonic()
            try:
                self._handle()
            finally:
                server._leave()
                with server._lock:
                    server.request_seconds.append(time.monotonic() - started)

        def _handle(self) -> None:
            body = self._read_body()
            form = _parse_multipart(self.headers.get("Content-Type", ""), body)
            expected = f"Bearer {server._api_key}" if server._api_key else None
            request = server._record(
                path=self.path,
                fields=form.fields,
                lists=form.lists,
                filename=form.filename,
                file_bytes=form.file_bytes,
                file_content_type=form.file_type,
                authorized=expected is None or self.headers.get("Authorization") == expected,
                received_at=time.monotonic(),
                audio_seconds=probe_seconds(form.file_bytes, form.filename or "")
                if form.file_bytes
                else None,
            )
            reply = server._next_reply(request)
            audio_latency = server._per_audio_second * (request.audio_seconds or 0.0)
            server._wait(server._latency_seconds() + audio_latency + reply.delay_seconds)
            if reply.hang:
                server._wait(server._hang_seconds)
            if reply.drop_connection or reply.hang or server._stopping.is_set():
                self.close_connection = True
                return
            if self.path != TRANSCRIPTIONS_PATH:
                reply = _error_reply(404, f"Invalid URL (POST {self.path})", "invalid_request_error")
            elif not request.authorized:
                reply = _error_reply(401, "Incorrect API key provided.", "invalid_request_error")
            elif reply.status == 200 and reply.body is None:
                reply = server._validation_error(request, len(body)) or reply
            self._send(reply, request)

        def _send(self, reply: Reply, request: RecordedRequest) -> None:
            if reply.status == 200 and reply.body is None:
                content_type, payload = server._success_body(request)
            elif isinstance(reply.body, str):
                content_type, payload = "text/plain; charset=utf-8", reply.body.encode()
            else:
                content_type, payload = "application/json", json.dumps(reply.body or {}).encode()
            with server._lock:
                server.statuses.append(reply.status)
            self.send_response(reply.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            if reply.retry_after is not None:
                self.send_header("Retry-After", reply.retry_after)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


# === Chat Completions, for notes ==================================================================
# ``POST /v1/chat/completions`` with a strict ``json_schema`` response format, as the notes step
# sends it. Answers come from a ``NotesScript`` (``server.chat.script``); the real API's rules are
# enforced: a known model, its context and output limits, a strict schema (every object closed, every
# property required), the API key, and the real error envelope and codes.


@dataclass(frozen=True)
class ChatModel:
    context_tokens: int
    max_output_tokens: int


CHAT_COMPLETIONS_PATH = "/v1/chat/completions"
CHAT_MODELS: dict[str, ChatModel] = {
    "gpt-4.1-mini": ChatModel(1_047_576, 32_768),
    "gpt-4.1-nano": ChatModel(1_047_576, 32_768),
    "gpt-4o-mini": ChatModel(128_000, 16_384),
}


class ChatCompletions:
    def __init__(
        self, script: NotesScript | None = None, models: Mapping[str, ChatModel] | None = None
    ) -> None:
        self.script = script or NotesScript()
        self.models = dict(CHAT_MODELS if models is None else models)

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        model = self.models.get(str(body.get("model")))
        if model is None:
            return _chat_error(
                404,
                f"The model `{body.get('model')}` does not exist or you do not have access to it.",
                "invalid_request_error",
                "model_not_found",
            )
        problem = _chat_request_problem(body, model)
        if problem is not None:
            return problem
        messages = body["messages"]
        system = " ".join(m["content"] for m in messages if m.get("role") in ("system", "developer"))
        user = " ".join(m["content"] for m in messages if m.get("role") == "user")
        prompt_tokens = (
            count_tokens(system) + count_tokens(user) + count_tokens(json.dumps(body.get("response_format")))
        )
        if prompt_tokens > model.context_tokens:
            return _chat_error(
                400,
                f"This model's maximum context length is {model.context_tokens} tokens. However, your "
                f"messages resulted in {prompt_tokens} tokens. Please reduce the length of the messages.",
                "invalid_request_error",
                "context_length_exceeded",
                param="messages",
            )
        turn = self.script.answer(str(body["model"]), system, user)
        if turn.kind == "error":
            code = "rate_limit_exceeded" if turn.status == 429 else "server_error"
            return _chat_error(turn.status, turn.message, "requests", code, headers={"retry-after": "0"})
        return 200, _chat_completion(str(body["model"]), turn, prompt_tokens), {}


def _chat_request_problem(
    body: dict[str, Any], model: ChatModel
) -> tuple[int, dict[str, Any], dict[str, str]] | None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return _chat_error(400, "Missing required parameter: 'messages'.", "invalid_request_error", None)
    limit = body.get("max_completion_tokens")
    if isinstance(limit, int) and limit > model.max_output_tokens:
        return _chat_error(
            400,
            f"max_tokens is too large: {limit}. This model supports at most {model.max_output_tokens} "
            f"completion tokens, whereas you provided {limit}.",
            "invalid_request_error",
            "invalid_value",
            param="max_tokens",
        )
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema") or {}
        if spec.get("strict"):
            problem = _strict_schema_problem(spec.get("schema") or {}, ())
            if problem:
                return _chat_error(
                    400,
                    f"Invalid schema for response_format '{spec.get('name')}': {problem}",
                    "invalid_request_error",
                    None,
                    param="response_format",
                )
    return None


def _strict_schema_problem(schema: Mapping[str, Any], context: tuple[str, ...]) -> str | None:
    """Structured Outputs' strict mode: every object closed and every property required."""
    if schema.get("type") == "object":
        if schema.get("additionalProperties") is not False:
            return f"In context={context}, 'additionalProperties' is required to be supplied and to be false."
        properties = schema.get("properties") or {}
        missing = [name for name in properties if name not in (schema.get("required") or [])]
        if missing:
            return (
                f"In context={context}, 'required' is required to be supplied and to be an array including "
                f"every key in properties. Missing '{missing[0]}'."
            )
        for name, child in properties.items():
            problem = _strict_schema_problem(child, (*context, "properties", name))
            if problem:
                return problem
    if schema.get("type") == "array" and isinstance(schema.get("items"), Mapping):
        return _strict_schema_problem(schema["items"], (*context, "items"))
    return None


def _chat_completion(model: str, turn: Turn, prompt_tokens: int) -> dict[str, Any]:
    content: str | None
    refusal = None
    finish = "stop"
    if turn.kind == "notes":
        content = json.dumps(turn.data)
    elif turn.kind == "refusal":
        content, refusal = None, turn.text
    elif turn.kind == "truncated":
        content, finish = turn.text or '{"language": "en", "title": "Weekly', "length"
    else:
        content = turn.text
    completion_tokens = count_tokens(content or refusal or "")
    return {
        "id": f"chatcmpl-{random.getrandbits(64):016x}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal, "annotations": []},
                "logprobs": None,
                "finish_reason": finish,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _chat_error(
    status: int,
    message: str,
    error_type: str,
    code: str | None,
    *,
    param: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    body = {"error": {"message": message, "type": error_type, "param": param, "code": code}}
    return status, body, dict(headers or {})


def _answer_chat(handler: BaseHTTPRequestHandler, chat: ChatCompletions, api_key: str | None) -> None:
    raw = handler.rfile.read(int(handler.headers.get("Content-Length", "0")))
    if api_key and handler.headers.get("Authorization") != f"Bearer {api_key}":
        status, body, headers = _chat_error(
            401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
        )
    else:
        try:
            status, body, headers = chat.answer(json.loads(raw or b"{}"))
        except json.JSONDecodeError:
            status, body, headers = _chat_error(
                400, "We could not parse the JSON body of your request.", "invalid_request_error", None
            )
    payload = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(payload)))
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(payload)
