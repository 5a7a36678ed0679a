"""A local stand-in for Amazon Bedrock's Converse API (``bedrock-runtime``), on 127.0.0.1.

boto3 talks to it with ``endpoint_url`` (or ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``), so the real
client's serialisation, error parsing and retry mode run. It answers ``POST /model/{id}/converse``
with the real response shape and the real errors, in the shape the model gives each (status,
``x-amzn-ErrorType``, JSON body): ``ValidationException`` (400) for a request the Converse input shape
refuses (``support.service_model``: lengths, ranges, enums, patterns), a conversation that does not
start with the user, a ``maxTokens`` above the model's limit, an input longer than its context, or a
model id the Region does not serve; ``AccessDeniedException`` (403) for models the account has no
access to; and whatever a ``NotesScript`` turn scripts (``ThrottlingException``,
``ModelErrorException``, ``ModelTimeoutException``, ``ModelNotReadyException``...).

Under ``toolChoice`` ``any`` or ``tool`` the model answers with a tool use, never with text: an answer
that is not a JSON object comes back as the ``malformed_tool_use`` stop reason. Turns can also script
the stop reasons ``malformed_tool_use`` and ``model_context_window_exceeded``.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from mediascribe.local.service_model import ErrorAnswer, error_answer, refusal, service_model, validate
from support.http_stand_in import HttpStandIn
from support.notes_scripts import NotesScript, Turn, count_tokens


@dataclass(frozen=True)
class BedrockModel:
    context_tokens: int
    max_output_tokens: int


# Published limits of the models the tests use; inference profiles (us./eu./apac.) share them.
MODELS = {
    "amazon.nova-micro-v1:0": BedrockModel(128_000, 5_000),
    "amazon.nova-lite-v1:0": BedrockModel(300_000, 5_000),
}
# The Regions that serve each model by its bare id (single-Region, on demand); elsewhere it is reached
# only through an inference profile of the Region's geography. From the Amazon Bedrock User Guide,
# https://docs.aws.amazon.com/bedrock/latest/userguide/batch-inference-supported.html ("Regions
# supporting foundation model": Nova Micro and Nova Lite in us-east-1 and us-gov-west-1; their
# profiles in us-east-2, us-west-2, ap-*, eu-* besides), as read on 2026-12-08.
ON_DEMAND_REGIONS = {
    "amazon.nova-micro-v1:0": frozenset({"us-east-1", "us-gov-west-1"}),
    "amazon.nova-lite-v1:0": frozenset({"us-east-1", "us-gov-west-1"}),
}
CONVERSE = service_model("bedrock-runtime").operation_model("Converse")
_PATH = re.compile(r"^/model/(?P<model>[^/]+)/converse$")
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


class FakeBedrockServer(HttpStandIn):
    thread_name = "fake-bedrock"

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
        super().__init__()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    @property
    def endpoint_url(self) -> str:
        return self.url

    # -- answering --------------------------------------------------------------------------------

    def converse(self, model_id: str, body: dict[str, Any], region: str | None = None) -> ErrorAnswer:
        """The answer to one Converse request signed for ``region``."""
        refused = refusal(CONVERSE, validate(CONVERSE, {**body, "modelId": model_id}))
        if refused is not None:
            return refused
        base_id = _PROFILE.sub("", model_id)
        model = self.models.get(base_id)
        if model is None or not _profile_serves(model_id, region):
            return _error("ValidationException", "The provided model identifier is invalid.")
        if not _on_demand(model_id, base_id, region):
            return _error(
                "ValidationException",
                f"Invocation of model ID {model_id} with on-demand throughput isn't supported. Retry your "
                "request with the ID or ARN of an inference profile that contains this model.",
            )
        if base_id in self.denied:
            return _error(
                "AccessDeniedException", "You don't have access to the model with the specified model ID."
            )
        problem = _request_problem(body, model)
        if problem:
            return _error("ValidationException", problem)
        system = " ".join(block.get("text", "") for block in body.get("system") or [])
        user = " ".join(
            block.get("text", "")
            for message in body.get("messages") or []
            for block in message.get("content", [])
        )
        schema = json.dumps(body.get("toolConfig") or {})
        input_tokens = count_tokens(system) + count_tokens(user) + count_tokens(schema)
        if input_tokens > model.context_tokens:
            return _error("ValidationException", "Input is too long for requested model.")
        turn = self.script.answer(model_id, system, user)
        if turn.kind == "error":
            return _error(turn.code, turn.message, **_error_members(turn.code, model_id))
        document = json.dumps(_response(turn, body, input_tokens)).encode()
        return ErrorAnswer(200, {}, document)


def _on_demand(model_id: str, base_id: str, region: str | None) -> bool:
    """A bare model id is served in its on-demand Regions only."""
    if region is None or _PROFILE.match(model_id):
        return True
    return region in ON_DEMAND_REGIONS.get(base_id, frozenset())


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
    """What the service refuses beyond the input shape (which ``validate`` has checked)."""
    messages = body.get("messages") or [{}]
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
    for tool in (body.get("toolConfig") or {}).get("tools") or []:
        if ((tool.get("toolSpec") or {}).get("inputSchema") or {}).get("json", {}).get("type") != "object":
            return "The input schema of a tool must be a JSON schema of type object."
    return None


def _forces_tool(body: dict[str, Any]) -> bool:
    choice = (body.get("toolConfig") or {}).get("toolChoice") or {}
    return "any" in choice or "tool" in choice


def _tool_use(name: str, data: Any) -> dict[str, Any]:
    return {"toolUse": {"toolUseId": f"tooluse_{uuid.uuid4().hex[:22]}", "name": name, "input": data}}


def _object_in(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _response(turn: Turn, body: dict[str, Any], input_tokens: int) -> dict[str, Any]:
    tools = (body.get("toolConfig") or {}).get("tools") or []
    tool_names = [t["toolSpec"]["name"] for t in tools if "toolSpec" in t]
    chosen = ((body.get("toolConfig") or {}).get("toolChoice") or {}).get("tool", {}).get("name")
    tool = chosen or (tool_names[0] if tool_names else None)
    content: list[dict[str, Any]]
    if turn.kind == "malformed_tool_use":
        output_text, content, stop = turn.text, [], "malformed_tool_use"
    elif turn.kind == "context_window_exceeded":
        output_text, content, stop = turn.text, [], "model_context_window_exceeded"
    elif turn.kind == "truncated":
        output_text = turn.text or '{"title": "Weekly'
        content, stop = [{"text": output_text}], "max_tokens"
    else:
        data = turn.data if turn.kind == "notes" else None
        output_text = json.dumps(data) if data is not None else turn.text
        if data is not None and tool:
            content, stop = [_tool_use(tool, data)], "tool_use"
        elif _forces_tool(body) and tool:
            # A model made to call a tool answers with one; text that is no tool input is malformed.
            found = _object_in(output_text)
            if found is None:
                content, stop = [], "malformed_tool_use"
            else:
                content, stop = [_tool_use(tool, found)], "tool_use"
        else:
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


def _error(code: str, message: str, **members: Any) -> ErrorAnswer:
    return error_answer(CONVERSE, code, message, **members)


def _error_members(code: str, model_id: str) -> dict[str, Any]:
    """The members an error shape carries besides its message (ModelErrorException: the model's own
    status code and the resource)."""
    if code == "ModelErrorException":
        return {"originalStatusCode": 500, "resourceName": model_id}
    return {}


def _handler_for(server: FakeBedrockServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the per-request stderr lines."""

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            match = _PATH.match(urllib.parse.urlsplit(self.path).path)
            authorization = self.headers.get("Authorization", "")
            if match is None:
                answer = _plain(404, "UnknownOperationException", f"no route for {self.path}")
            elif not authorization.startswith("AWS4-HMAC-SHA256 "):
                answer = _plain(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
            else:
                try:
                    request = json.loads(body or b"{}")
                except json.JSONDecodeError:
                    answer = _error("SerializationException", "Malformed request body")
                else:
                    scope = _REGION.search(authorization)
                    model_id = urllib.parse.unquote(match.group("model"))
                    answer = server.converse(model_id, request, scope["region"] if scope else None)
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer.body)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer.body)

    return Handler


def _plain(status: int, code: str, message: str) -> ErrorAnswer:
    """An answer from in front of the service (routing, signature), not from an operation."""
    return ErrorAnswer(status, {"x-amzn-ErrorType": code}, json.dumps({"message": message}).encode())
