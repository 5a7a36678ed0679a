"""A local stand-in for the transcription endpoint of the OpenAI API, built on the standard library only.

The real ``openai`` client talks to it over HTTP on 127.0.0.1, so tests exercise the SDK's own
multipart encoding, retry loop, ``Retry-After`` handling and timeouts instead of patched methods.
Each request is answered by the next scripted ``Reply`` (or a callable), else by a normal
transcription whose text comes from ``text_for`` (by default derived from the uploaded file name).

    with FakeTranscriptionServer(replies=[Reply(status=429), Reply(status=429)]) as server:
        client = AsyncOpenAI(api_key="test", base_url=server.base_url)
"""

from __future__ import annotations

import json
import math
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TRANSCRIPTIONS_PATH = "/v1/audio/transcriptions"
# The real API answers only ``json``/``text`` for these model families.
JSON_ONLY_PREFIXES = ("gpt-4o-", "gpt-transcribe")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


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


def text_from_filename(request: RecordedRequest) -> str:
    """Default transcript text: names the uploaded file, so tests can check ordering."""
    return f"Transcript of {request.filename}."


def text_from_marker(request: RecordedRequest) -> str:
    """Transcript text embedded in the upload after ``TEXT:`` (generated stand-in audio files)."""
    marker = request.file_bytes.find(b"TEXT:")
    if marker < 0:
        return text_from_filename(request)
    return request.file_bytes[marker + 5 :].split(b"\n", 1)[0].decode("utf-8").strip()


class FakeTranscriptionServer:
    """Threaded HTTP server answering ``POST /v1/audio/transcriptions`` like the real API.

    ``requests`` lists every request seen; ``max_in_flight`` is the most it handled at once, which
    shows whether a client really sent chunks concurrently.
    """

    def __init__(
        self,
        *,
        replies: ReplySource | None = None,
        latency: float | tuple[float, float] = 0.0,
        text_for: Callable[[RecordedRequest], str] = text_from_filename,
        duration_for: Callable[[RecordedRequest], float] = lambda _request: 10.0,
        api_key: str | None = None,
        hang_seconds: float = 30.0,
        seed: int | None = None,
    ) -> None:
        self._callable = replies if callable(replies) else None
        self._queue: deque[Reply] = deque() if callable(replies) or replies is None else deque(replies)
        self._latency = latency
        self._text_for = text_for
        self._duration_for = duration_for
        self._api_key = api_key
        self._hang_seconds = hang_seconds
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.requests: list[RecordedRequest] = []
        self._in_flight = 0
        self.max_in_flight = 0
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
        host, port = self._httpd.server_address[:2]
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
        text = self._text_for(request)
        duration = self._duration_for(request)
        fmt = request.response_format
        if fmt == "text":
            return "text/plain; charset=utf-8", text.encode()
        if fmt == "verbose_json":
            payload: dict[str, Any] = {
                "task": "transcribe",
                "language": "english",
                "duration": duration,
                "text": text,
                "segments": _segments(text, duration),
                "usage": {"type": "duration", "seconds": math.ceil(duration)},
            }
        else:
            payload = {"text": text, "usage": _usage(request.model or "", text, duration)}
        return "application/json", json.dumps(payload).encode()

    def _validation_error(self, request: RecordedRequest) -> Reply | None:
        if request.filename is None or not request.file_bytes:
            return _error_reply(400, "Missing required parameter: 'file'.", "invalid_request_error")
        if not request.model:
            return _error_reply(400, "Missing required parameter: 'model'.", "invalid_request_error")
        if request.model.startswith(JSON_ONLY_PREFIXES) and request.response_format not in ("json", "text"):
            return _error_reply(
                400,
                f"response_format '{request.response_format}' is not compatible with "
                f"model '{request.model}'.",
                "invalid_request_error",
            )
        return None


def _segments(text: str, duration: float) -> list[dict[str, Any]]:
    """Split the text into sentences spread evenly over the duration, shaped like Whisper's output."""
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    if not sentences:
        return []
    step = duration / len(sentences)
    return [
        {
            "id": i,
            "seek": 0,
            "start": round(i * step, 3),
            "end": round((i + 1) * step, 3),
            "text": f" {sentence}",
            "tokens": [],
            "temperature": 0.0,
            "avg_logprob": -0.2,
            "compression_ratio": 1.1,
            "no_speech_prob": 0.01,
        }
        for i, sentence in enumerate(sentences)
    ]


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


def _error_reply(status: int, message: str, error_type: str, **extra: Any) -> Reply:
    body = {"error": {"message": message, "type": error_type, "param": None, "code": None}}
    return Reply(status=status, body=body, **extra)


def error_reply(status: int, *, retry_after: str | None = None, delay_seconds: float = 0.0) -> Reply:
    """A reply with the real API's error envelope for ``status``."""
    phrase = HTTPStatus(status).phrase
    return _error_reply(
        status, f"fake {status} {phrase}", "fake_error", retry_after=retry_after, delay_seconds=delay_seconds
    )


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], str | None, bytes, str | None]:
    """Split a multipart/form-data body exactly on its boundary (binary-safe)."""
    params = dict(part.strip().split("=", 1) for part in content_type.split(";")[1:] if "=" in part)
    boundary = params.get("boundary", "").strip('"').encode()
    if not boundary:
        return {}, None, b"", None
    fields: dict[str, str] = {}
    filename = file_type = None
    file_bytes = b""
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
            filename, file_bytes, file_type = disposition["filename"], content, headers.get("content-type")
        elif name:
            fields[name] = content.decode("utf-8")
    return fields, filename, file_bytes, file_type


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
            server._enter()
            try:
                self._handle()
            finally:
                server._leave()

        def _handle(self) -> None:
            body = self._read_body()
            fields, filename, file_bytes, file_type = _parse_multipart(
                self.headers.get("Content-Type", ""), body
            )
            expected = f"Bearer {server._api_key}" if server._api_key else None
            request = server._record(
                path=self.path,
                fields=fields,
                filename=filename,
                file_bytes=file_bytes,
                file_content_type=file_type,
                authorized=expected is None or self.headers.get("Authorization") == expected,
                received_at=time.monotonic(),
            )
            reply = server._next_reply(request)
            server._wait(server._latency_seconds() + reply.delay_seconds)
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
                reply = server._validation_error(request) or reply
            self._send(reply, request)

        def _send(self, reply: Reply, request: RecordedRequest) -> None:
            if reply.status == 200 and reply.body is None:
                content_type, payload = server._success_body(request)
            elif isinstance(reply.body, str):
                content_type, payload = "text/plain; charset=utf-8", reply.body.encode()
            else:
                content_type, payload = "application/json", json.dumps(reply.body or {}).encode()
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
