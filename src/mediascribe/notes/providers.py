"""The two model services that write notes, behind one small interface.

- Amazon Bedrock, through the ``bedrock-runtime`` Converse API: the schema is given as the one tool
  the model must call (``toolChoice: any``), so the answer arrives as the tool's JSON input.
- OpenAI, through Chat Completions with a strict ``json_schema`` response format, using the same SDK
  and key as transcription.

Throttling and transient faults are retried by the SDKs themselves (botocore's standard mode, the
OpenAI client's ``max_retries``); what remains is mapped to ``RetryableNotesError`` or ``NotesError``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

import openai
from botocore.exceptions import BotoCoreError, ClientError

from mediascribe.errors import InvalidNotesError, NotesError, RetryableNotesError
from mediascribe.notes.models import NOTES_SCHEMA
from mediascribe.notes.prompt import TOOL_NAME, NotesRequest

# Enough for the largest valid notes (20 chapters, 20 action items, 150 words); a longer answer is
# cut off by the service and rejected as incomplete.
MAX_OUTPUT_TOKENS = 4000
DEFAULT_BEDROCK_MODEL = "amazon.nova-micro-v1:0"
DEFAULT_OPENAI_MODEL = "gpt-4.1-mini"

# The planner's estimate is high for the models it knows; a model with a smaller context needs a
# smaller budget.
_SMALLER_PARTS = "(lower NOTES_MAX_INPUT_TOKENS to the model's context)"
# Worth another try later. ModelErrorException (424) is the model failing while it processed the
# request ("The request failed due to an error while processing the model", Converse API reference),
# which the service itself answers with "The system encountered an unexpected error during processing.
# Try your request again." (https://repost.aws/questions/QU-05GF7SkSWi2UyepdXIWrg); a timeout
# (ModelTimeoutException, 408) and a model not yet ready (ModelNotReadyException, 429) pass as well.
_BEDROCK_RETRYABLE = {
    "ThrottlingException",
    "ServiceUnavailableException",
    "InternalServerException",
    "ModelErrorException",
    "ModelTimeoutException",
    "ModelNotReadyException",
    "ServiceQuotaExceededException",
}


@dataclass(frozen=True)
class ModelReply:
    """What a model answered: parsed JSON ``data``, or why there is none (``problem``, which never
    quotes the answer: it is logged and stored, and an answer may quote the transcript)."""

    data: Any = None
    problem: str | None = None


class NotesModel(Protocol):
    provider: str
    model: str

    def complete(self, request: NotesRequest) -> ModelReply: ...


class BedrockNotesModel:
    provider = "bedrock"

    def __init__(self, client: Any, model: str, *, max_output_tokens: int = MAX_OUTPUT_TOKENS) -> None:
        self._client = client
        self.model = model
        self._max_output_tokens = max_output_tokens

    def complete(self, request: NotesRequest) -> ModelReply:
        try:
            response = self._client.converse(
                modelId=self.model,
                system=[{"text": request.system}],
                messages=[{"role": "user", "content": [{"text": request.user}]}],
                inferenceConfig={"maxTokens": self._max_output_tokens, "temperature": 0.0},
                toolConfig={
                    "tools": [
                        {
                            "toolSpec": {
                                "name": TOOL_NAME,
                                "description": "Record the notes of the transcript.",
                                "inputSchema": {"json": NOTES_SCHEMA},
                            }
                        }
                    ],
                    "toolChoice": {"any": {}},
                },
            )
        except ClientError as exc:
            raise _bedrock_error(exc, self.model) from None
        except BotoCoreError as exc:
            raise RetryableNotesError(f"Amazon Bedrock is unreachable: {exc}") from None
        return _bedrock_reply(response)


def _bedrock_reply(response: dict[str, Any]) -> ModelReply:
    stop = response.get("stopReason")
    content = ((response.get("output") or {}).get("message") or {}).get("content") or []
    if stop == "max_tokens":
        return ModelReply(problem="the answer was cut off at the output limit")
    if stop in ("content_filtered", "guardrail_intervened"):
        return ModelReply(problem=f"the answer was blocked ({stop})")
    for block in content:
        tool_use = block.get("toolUse")
        if tool_use and tool_use.get("name") == TOOL_NAME:
            return ModelReply(data=tool_use.get("input"))
    # The answer's own words stay out of the reason: it is logged, and it may quote the transcript.
    kind = "with text" if any("text" in block for block in content) else "with nothing"
    return ModelReply(problem=f"the model answered {kind} instead of calling {TOOL_NAME}")


def _bedrock_error(exc: ClientError, model: str) -> NotesError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", ""))
    if code in _BEDROCK_RETRYABLE:
        return RetryableNotesError(f"Amazon Bedrock {code}: {message}")
    if code == "AccessDeniedException":
        return NotesError(f"no access to Bedrock model {model} (enable it for this account and region)")
    if code == "ValidationException" and "too long" in message:
        message += f" {_SMALLER_PARTS}"
    return NotesError(f"Amazon Bedrock {code}: {message}")


class OpenAINotesModel:
    provider = "openai"

    def __init__(
        self, client: openai.OpenAI, model: str, *, api_key: str, max_output_tokens: int = MAX_OUTPUT_TOKENS
    ) -> None:
        self._client = client
        self.model = model
        self._api_key = api_key
        self._max_output_tokens = max_output_tokens

    def __repr__(self) -> str:
        return f"OpenAINotesModel(model={self.model!r})"

    def complete(self, request: NotesRequest) -> ModelReply:
        try:
            response = self._client.chat.completions.create(
                model=self.model,
                messages=[
                    {"role": "system", "content": request.system},
                    {"role": "user", "content": request.user},
                ],
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": TOOL_NAME, "strict": True, "schema": NOTES_SCHEMA},
                },
                max_completion_tokens=self._max_output_tokens,
            )
        except openai.OpenAIError as exc:
            raise self._error(exc) from None
        return _openai_reply(response)

    def _error(self, exc: openai.OpenAIError) -> NotesError:
        # An upstream message can echo the key back; it must not reach a log or the job row.
        message = str(exc).replace(self._api_key, "[redacted]") if self._api_key else str(exc)
        status = getattr(exc, "status_code", None)
        code = getattr(exc, "code", None)
        if isinstance(exc, openai.APIConnectionError | openai.APITimeoutError):
            return RetryableNotesError(f"OpenAI is unreachable: {message}")
        if status in (408, 409, 429) or (isinstance(status, int) and status >= 500):
            if code == "insufficient_quota":
                return NotesError(f"OpenAI quota exhausted: {message}")
            return RetryableNotesError(f"OpenAI {status}: {message}")
        if code == "context_length_exceeded":
            message += f" {_SMALLER_PARTS}"
        return NotesError(f"OpenAI {status}: {message}")


def _openai_reply(response: Any) -> ModelReply:
    choice = response.choices[0]
    if choice.message.refusal:
        return ModelReply(problem="the model refused to write the notes")
    if choice.finish_reason == "length":
        return ModelReply(problem="the answer was cut off at the output limit")
    try:
        return ModelReply(data=json.loads(choice.message.content or ""))
    except json.JSONDecodeError:
        return ModelReply(problem="the answer is not valid JSON")


def reply_data(reply: ModelReply) -> Any:
    """The reply's JSON, or ``InvalidNotesError`` saying why there is none."""
    if reply.problem is not None:
        raise InvalidNotesError(reply.problem)
    return reply.data
