"""A local stand-in for Amazon Bedrock's Converse API (``bedrock-runtime``), on 127.0.0.1.

boto3 talks to it with ``endpoint_url`` (or ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``), so the real
client's serialisation, error parsing and retry mode run. It answers ``POST /model/{id}/converse``
with the real response shape and the real errors: ``ThrottlingException`` (429),
``ValidationException`` (400) for an unknown model id, a malformed request, a ``maxTokens`` above the
model's limit or an input longer than its context, ``AccessDeniedException`` (403) for models the
account has no access to. Answers come from a ``NotesScript``.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from support.notes_scripts import NotesScript, Turn, count_tokens


@dataclass(frozen=True)
class BedrockModel:
    context_tokens: int
    max_output_tokens: int


# Published limits of the models the tests use; inference profiles (us./eu./apac.) share them.
MODELS = {
    "amazon.nova-micro-v1:0": BedrockModel(128_000, 5_000),
    "amazon.nova-lite-v1:0": BedrockModel(300_000, 5_000),
    "anthropic.claude-3-haiku-20240307-v1:0": BedrockModel(200_000, 4_096),
}
_PATH = re.compile(r"^/model/(?P<model>[^/]+)/converse$")
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_PROFILE = re.compile(r"^(us-gov|us|eu|apac|jp|au|ca|global)\.")
# The source Regions of each geography's profiles (by Region name prefix).
_GEOGRAPHY_REGIONS = {
    "us": ("us-east-", "us-west-"),
    "us-gov": ("us-gov-",),
    "eu": ("eu-",),
    "apac": ("ap-",),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-",),
}
_REGION = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/bedrock/aws4_request")


class FakeBedrockServer:
    def __init__(
        self,
        script: NotesScript | None = None,
        *,
        models: dict[str, BedrockModel] | None = None,
        denied: frozenset[str] = frozenset(),
    ) -> None:
        self.script = script or NotesScript()
        self.models = dict(MODELS if models is None else models)
        self.denied = denied
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> FakeBedrockServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-bedrock", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def endpoint_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # -- answering --------------------------------------------------------------------------------

    def converse(
        self, model_id: str, body: dict[str, Any], region: str | None = None
    ) -> tuple[int, dict[str, Any], str | None]:
        """(status, body, error type) for one Converse request signed for ``region``."""
        base_id = _PROFILE.sub("", model_id)
        model = self.models.get(base_id)
        if model is None or not _profile_serves(model_id, region):
            return _error(400, "ValidationException", "The provided model identifier is invalid.")
        if base_id in self.denied:
            return _error(
                403,
                "AccessDeniedException",
                "You don't have access to the model with the specified model ID.",
            )
        problem = _request_problem(body, model)
        if problem:
            return _error(400, "ValidationException", problem)
        system = " ".join(block.get("text", "") for block in body.get("system") or [])
        user = " ".join(
            block.get("text", "") for message in body["messages"] for block in message.get("content", [])
        )
        schema = json.dumps(body.get("toolConfig") or {})
        input_tokens = count_tokens(system) + count_tokens(user) + count_tokens(schema)
        if input_tokens > model.context_tokens:
            return _error(400, "ValidationException", "Input is too long for requested model.")
        turn = self.script.answer(model_id, system, user)
        return 200, _response(turn, body, input_tokens), None


def _profile_serves(model_id: str, region: str | None) -> bool:
    """An inference profile is called from a Region of its geography (``global`` from any)."""
    found = _PROFILE.match(model_id)
    if found is None or region is None:
        return True
    geography = found.group(1)
    if geography == "global":
        return True
    return any(region.startswith(prefix) for prefix in _GEOGRAPHY_REGIONS[geography])


def _request_problem(body: dict[str, Any], model: BedrockModel) -> str | None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "1 validation error detected: Value null at 'messages' failed to satisfy constraint"
    if messages[0].get("role") != "user":
        return (
            "A conversation must start with a user message. "
            "Try again with a conversation that starts with a user message."
        )
    max_tokens = (body.get("inferenceConfig") or {}).get("maxTokens")
    if isinstance(max_tokens, int) and max_tokens > model.max_output_tokens:
        return (
            f"The maximum tokens you requested exceeds the model limit of {model.max_output_tokens}. "
            f"Try again with a maximum tokens value that is lower than {model.max_output_tokens}."
        )
    tool_config = body.get("toolConfig")
    if tool_config is not None:
        tools = tool_config.get("tools") or []
        if not tools:
            return "The toolConfig field must be defined when using toolChoice."
        for tool in tools:
            spec = tool.get("toolSpec") or {}
            if not _TOOL_NAME.match(str(spec.get("name", ""))):
                return "The value at toolConfig.tools.0.toolSpec.name failed to satisfy constraint"
            if (spec.get("inputSchema") or {}).get("json", {}).get("type") != "object":
                return "The input schema of a tool must be a JSON schema of type object."
    return None


def _response(turn: Turn, body: dict[str, Any], input_tokens: int) -> dict[str, Any]:
    if turn.kind == "error":
        raise _ScriptedError(turn)
    tool_names = [t["toolSpec"]["name"] for t in (body.get("toolConfig") or {}).get("tools", [])]
    if turn.kind == "notes" and tool_names:
        content: list[dict[str, Any]] = [
            {
                "toolUse": {
                    "toolUseId": f"tooluse_{uuid.uuid4().hex[:22]}",
                    "name": tool_names[0],
                    "input": turn.data,
                }
            }
        ]
        stop = "tool_use"
        output_text = json.dumps(turn.data)
    elif turn.kind == "notes":
        output_text = json.dumps(turn.data)
        content, stop = [{"text": output_text}], "end_turn"
    elif turn.kind == "truncated":
        output_text = turn.text or '{"title": "Weekly'
        content, stop = [{"text": output_text}], "max_tokens"
    else:
        output_text = turn.text
        content, stop = [{"text": output_text}], "end_turn"
    output_tokens = count_tokens(output_text)
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": {
            "inputTokens": input_tokens,
            "outputTokens": output_tokens,
            "totalTokens": input_tokens + output_tokens,
        },
        "metrics": {"latencyMs": 5},
    }


class _ScriptedError(Exception):
    def __init__(self, turn: Turn) -> None:
        super().__init__(turn.message)
        self.turn = turn


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, Any], str]:
    return status, {"message": message}, code


def _handler_for(server: FakeBedrockServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the per-request stderr lines."""

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            match = _PATH.match(urllib.parse.urlsplit(self.path).path)
            if match is None:
                status, payload, code = (
                    404,
                    {"message": f"no route for {self.path}"},
                    "UnknownOperationException",
                )
            elif not self.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256 "):
                status, payload, code = (
                    403,
                    {"message": "Missing Authentication Token"},
                    "MissingAuthenticationTokenException",
                )
            else:
                try:
                    scope = _REGION.search(self.headers.get("Authorization", ""))
                    status, payload, code = server.converse(
                        urllib.parse.unquote(match.group("model")),
                        json.loads(body or b"{}"),
                        scope["region"] if scope else None,
                    )
                except _ScriptedError as exc:
                    status, payload, code = _error(exc.turn.status, exc.turn.code, exc.turn.message)
                except json.JSONDecodeError:
                    status, payload, code = _error(400, "SerializationException", "Malformed request body")
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            if code:
                self.send_header(
                    "x-amzn-ErrorType", f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/"
                )
            self.end_headers()
            self.wfile.write(data)

    return Handler
