"""Notes through each provider's real SDK and protocol, against stand-ins with scripted answers."""

from __future__ import annotations

import openai
import pytest
from botocore.exceptions import ClientError

from mediascribe.errors import InvalidNotesError, NotesError, RetryableNotesError
from mediascribe.notes.models import MAX_TITLE_CHARS
from mediascribe.notes.writer import Segment, write_notes
from support.fake_bedrock import BedrockModel, FakeBedrockServer
from support.fake_openai import ChatModel
from support.notes_clients import API_KEY, bedrock_model, openai_model
from support.notes_scripts import (
    Turn,
    invalid_json_turn,
    long_title_turn,
    notes_turn,
    refusal_turn,
    throttle_turn,
)

MEETING = [
    Segment(0.0, "Welcome to the weekly planning meeting of the data team.", "Speaker 1"),
    Segment(7.5, "First the release: it slipped by a week because of the login bug.", "Speaker 1"),
    Segment(15.2, "Maria will fix the login bug by Friday.", "Speaker 2"),
    Segment(24.0, "Next topic is hiring, we have two open positions.", "Speaker 1"),
    Segment(31.7, "Tom will post the job ads tomorrow.", "Speaker 2"),
]


def test_bedrock_notes_take_chapter_times_from_segments(bedrock_server: FakeBedrockServer) -> None:
    bedrock_server.script.script(
        notes_turn(chapters=[{"title": "Hiring", "start_line": 3}, {"title": "Release", "start_line": 1}])
    )
    notes = write_notes(MEETING, bedrock_model(bedrock_server))
    assert [(c.title, c.start_seconds) for c in notes.chapters] == [("Release", 7.5), ("Hiring", 24.0)]
    assert {(a.owner, a.task) for a in notes.action_items} == {
        ("Maria", "fix the login bug by Friday."),
        ("Tom", "post the job ads tomorrow."),
    }
    assert (notes.provider, notes.model, notes.model_calls) == ("bedrock", "amazon.nova-micro-v1:0", 1)
    request = bedrock_server.script.requests[0]
    assert "[L2 00:00:15] Speaker 2: Maria will fix the login bug by Friday." in request.user


@pytest.mark.parametrize(
    ("first", "fragment"),
    [
        (invalid_json_turn(), "instead of calling record_notes"),
        (long_title_turn(), f"at most {MAX_TITLE_CHARS} characters"),
        (notes_turn(chapters=[{"title": "Nowhere", "start_line": 99}]), "lines that do not exist"),
        (notes_turn(summary="word " * 400), "summary"),
        (Turn("truncated"), "cut off"),
    ],
)
def test_an_invalid_answer_is_asked_for_once_more_with_the_reason(
    bedrock_server: FakeBedrockServer, first: Turn, fragment: str
) -> None:
    bedrock_server.script.script(first)
    notes = write_notes(MEETING, bedrock_model(bedrock_server))
    assert notes.model_calls == 2
    assert len(notes.title) <= MAX_TITLE_CHARS
    retry = bedrock_server.script.requests[1].user
    assert "Your previous answer was rejected" in retry
    assert fragment in retry


def test_two_invalid_answers_end_the_attempt(bedrock_server: FakeBedrockServer) -> None:
    bedrock_server.script.script(long_title_turn(), long_title_turn())
    with pytest.raises(InvalidNotesError, match="title"):
        write_notes(MEETING, bedrock_model(bedrock_server))
    assert bedrock_server.script.calls == 2


def test_throttling_is_retried_by_the_sdk_then_reported_as_retryable(
    bedrock_server: FakeBedrockServer,
) -> None:
    # botocore's max_attempts counts retries: 1 means two requests.
    bedrock_server.script.script(throttle_turn())
    assert write_notes(MEETING, bedrock_model(bedrock_server, retries=1)).title
    assert bedrock_server.script.calls == 2
    bedrock_server.script.script(throttle_turn(), throttle_turn())
    with pytest.raises(RetryableNotesError, match="ThrottlingException"):
        write_notes(MEETING, bedrock_model(bedrock_server, retries=1))
    assert bedrock_server.script.calls == 4


def test_input_over_the_models_context_is_a_permanent_validation_error() -> None:
    small = {"amazon.nova-micro-v1:0": BedrockModel(context_tokens=1_500, max_output_tokens=5_000)}
    with (
        FakeBedrockServer(models=small) as server,
        pytest.raises(NotesError, match=r"Input is too long.*lower NOTES_MAX_INPUT_TOKENS") as raised,
    ):
        write_notes(MEETING * 20, bedrock_model(server))
    assert not isinstance(raised.value, RetryableNotesError)


def test_an_inference_profile_works_from_a_region_of_its_geography_only() -> None:
    with FakeBedrockServer() as server:
        ireland = {"region": "eu-west-1"}
        assert write_notes(MEETING, bedrock_model(server, model="eu.amazon.nova-micro-v1:0", **ireland)).title
        with pytest.raises(NotesError, match="model identifier is invalid"):
            write_notes(MEETING, bedrock_model(server, model="us.amazon.nova-micro-v1:0", **ireland))


def test_a_bare_model_id_is_served_on_demand_only_in_the_regions_aws_lists() -> None:
    """Nova Micro runs on demand in us-east-1; from eu-west-1 it is reached through the eu. profile
    only (the old stand-in served the bare id from any Region)."""
    with FakeBedrockServer() as server:
        assert write_notes(MEETING, bedrock_model(server, region="us-east-1")).title
        with pytest.raises(NotesError, match="on-demand throughput isn't supported") as raised:
            write_notes(MEETING, bedrock_model(server, region="eu-west-1"))
        assert not isinstance(raised.value, RetryableNotesError)


def test_unknown_or_denied_models_say_so() -> None:
    with FakeBedrockServer(denied=frozenset({"amazon.nova-micro-v1:0"})) as server:
        with pytest.raises(NotesError, match="no access to Bedrock model"):
            write_notes(MEETING, bedrock_model(server))
        with pytest.raises(NotesError, match="model identifier is invalid"):
            write_notes(MEETING, bedrock_model(server, model="amazon.nova-nano-v9:0"))


def test_openai_notes_use_a_strict_schema_and_survive_a_refusal(openai_server) -> None:
    openai_server.chat.script.script(refusal_turn())
    notes = write_notes(MEETING, openai_model(openai_server))
    assert (notes.provider, notes.model_calls) == ("openai", 2)
    assert "the model refused" in openai_server.chat.script.requests[1].user
    # The reason never quotes the answer: it is logged, and an answer can quote the transcript.
    assert "I'm sorry" not in openai_server.chat.script.requests[1].user


def test_openai_errors_are_mapped_and_the_key_never_shows(openai_server) -> None:
    openai_server.chat.script.script(throttle_turn(), throttle_turn())
    with pytest.raises(RetryableNotesError, match="429") as raised:
        write_notes(MEETING, openai_model(openai_server, retries=1))
    assert API_KEY not in str(raised.value)
    openai_server.chat.script.script(invalid_json_turn(), invalid_json_turn())
    with pytest.raises(InvalidNotesError, match="not valid JSON"):
        write_notes(MEETING, openai_model(openai_server))
    with pytest.raises(NotesError, match="404"):
        write_notes(MEETING, openai_model(openai_server, model="gpt-nonexistent"))


def test_the_openai_stand_in_refuses_a_schema_strict_mode_would_refuse(openai_server) -> None:
    client = openai.OpenAI(api_key=API_KEY, base_url=openai_server.base_url, max_retries=0)
    loose = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}

    with pytest.raises(openai.BadRequestError, match="additionalProperties"):
        client.chat.completions.create(
            model="gpt-4.1-mini",
            messages=[{"role": "user", "content": "hi"}],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "n", "strict": True, "schema": loose},
            },
        )


def test_a_long_transcript_is_summarised_in_parts_then_combined(bedrock_server: FakeBedrockServer) -> None:
    sentence = "We reviewed the quarterly numbers in detail and agreed on next steps. "
    segments = [Segment(i * 30.0, sentence * 4) for i in range(240)]  # two hours, ~68,000 characters
    notes = write_notes(segments, bedrock_model(bedrock_server), max_input_tokens=8_000)
    requests = bedrock_server.script.requests
    parts = [r for r in requests if "<transcript>" in r.user]
    combines = [r for r in requests if "<part_notes>" in r.user]
    assert len(parts) >= 3 and len(combines) >= 1
    assert notes.model_calls == len(requests)
    starts = {s.start for s in segments}
    assert notes.chapters and all(c.start_seconds in starts for c in notes.chapters)
    assert [c.start_seconds for c in notes.chapters] == sorted(c.start_seconds for c in notes.chapters)
    # Every line of the transcript reached the model exactly once.
    seen = [line for r in parts for line in r.user.splitlines() if line.startswith("[L")]
    assert len(seen) == len(segments)


def test_an_empty_transcript_has_no_notes(bedrock_server: FakeBedrockServer) -> None:
    with pytest.raises(NotesError, match="no text"):
        write_notes([Segment(0.0, "   ")], bedrock_model(bedrock_server))
    assert bedrock_server.script.calls == 0


def test_the_bedrock_stand_in_enforces_the_models_output_limit(bedrock_server: FakeBedrockServer) -> None:
    client = bedrock_model(bedrock_server)._client
    with pytest.raises(client.exceptions.ValidationException, match="exceeds the model limit of 5000"):
        client.converse(modelId="amazon.nova-micro-v1:0", messages=HELLO, inferenceConfig={"maxTokens": 8000})


HELLO = [{"role": "user", "content": [{"text": "hi"}]}]
RECORD = {"toolSpec": {"name": "record_notes", "inputSchema": {"json": {"type": "object"}}}}


@pytest.mark.parametrize(
    ("request_fields", "message"),
    [
        (
            {"inferenceConfig": {"temperature": 2.0}},
            "1 validation error detected: Value '2.0' at 'inferenceConfig.temperature' failed to "
            "satisfy constraint: Member must have value less than or equal to 1",
        ),
        (
            {"toolConfig": {"tools": [{"toolSpec": {**RECORD["toolSpec"], "name": "record notes"}}]}},
            "1 validation error detected: Value 'record notes' at "
            "'toolConfig.tools.1.member.toolSpec.name' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+",
        ),
        (
            {"messages": [{"role": "robot", "content": [{"text": "hi"}]}]},
            "1 validation error detected: Value 'robot' at 'messages.1.member.role' failed to satisfy "
            "constraint: Member must satisfy enum value set: [user, assistant, system]",
        ),
    ],
)
def test_the_bedrock_stand_in_holds_requests_to_the_converse_model(
    bedrock_server: FakeBedrockServer, request_fields: dict[str, object], message: str
) -> None:
    """Maxima, patterns and enums, which botocore sends unchecked (the old stand-in accepted these)."""
    client = bedrock_model(bedrock_server)._client
    with pytest.raises(client.exceptions.ValidationException) as raised:
        client.converse(**{"modelId": "amazon.nova-micro-v1:0", "messages": HELLO, **request_fields})
    assert raised.value.response["Error"]["Message"] == message
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert bedrock_server.script.calls == 0


def test_a_model_made_to_call_a_tool_never_answers_with_text(bedrock_server: FakeBedrockServer) -> None:
    """Under toolChoice any, words that are no tool input come back as a malformed tool use (the old
    stand-in answered them as text with end_turn)."""
    client = bedrock_model(bedrock_server)._client
    bedrock_server.script.script(Turn("text", text="Here are your notes: ..."), Turn("text", text='{"a": 1}'))
    forced = {"tools": [RECORD], "toolChoice": {"any": {}}}
    words = client.converse(modelId="amazon.nova-micro-v1:0", messages=HELLO, toolConfig=forced)
    assert words["stopReason"] == "malformed_tool_use"
    assert not any("text" in block for block in words["output"]["message"]["content"])
    named = {"tools": [RECORD], "toolChoice": {"tool": {"name": "record_notes"}}}
    json_text = client.converse(modelId="amazon.nova-micro-v1:0", messages=HELLO, toolConfig=named)
    assert json_text["stopReason"] == "tool_use"
    assert json_text["output"]["message"]["content"][0]["toolUse"]["input"] == {"a": 1}


@pytest.mark.parametrize(
    ("kind", "stop_reason"),
    [
        ("malformed_tool_use", "malformed_tool_use"),
        ("context_window_exceeded", "model_context_window_exceeded"),
    ],
)
def test_a_stop_without_notes_is_asked_for_once_more(
    bedrock_server: FakeBedrockServer, kind: str, stop_reason: str
) -> None:
    client = bedrock_model(bedrock_server)._client
    bedrock_server.script.script(Turn(kind))
    answer = client.converse(modelId="amazon.nova-micro-v1:0", messages=HELLO)
    assert answer["stopReason"] == stop_reason
    bedrock_server.script.script(Turn(kind))
    notes = write_notes(MEETING, bedrock_model(bedrock_server))
    assert notes.model_calls == 2
    assert "instead of calling record_notes" in bedrock_server.script.requests[-1].user


MODEL_ERROR = "The system encountered an unexpected error during processing. Try your request again."


@pytest.mark.parametrize(
    ("code", "status", "sdk_retries"),
    [
        ("ModelErrorException", 424, False),
        ("ModelTimeoutException", 408, False),
        ("ModelNotReadyException", 429, True),
    ],
)
def test_model_errors_arrive_in_their_shape_and_are_worth_another_try(
    bedrock_server: FakeBedrockServer, code: str, status: int, sdk_retries: bool
) -> None:
    """ModelErrorException is a failure of the model while processing the request, which AWS answers
    with "Try your request again"; a timeout and a model not yet ready pass too. All three leave the
    job retryable (ModelErrorException used to end it for good)."""
    client = bedrock_model(bedrock_server, retries=0)._client
    bedrock_server.script.script(Turn("error", code=code, message=MODEL_ERROR))
    with pytest.raises(ClientError) as raised:
        client.converse(modelId="amazon.nova-micro-v1:0", messages=HELLO)
    response = raised.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    if code == "ModelErrorException":
        assert (response["originalStatusCode"], response["resourceName"]) == (500, "amazon.nova-micro-v1:0")
    calls = bedrock_server.script.calls
    bedrock_server.script.script(*[Turn("error", code=code, message=MODEL_ERROR)] * 2)
    with pytest.raises(RetryableNotesError, match=code):
        write_notes(MEETING, bedrock_model(bedrock_server, retries=1))
    # botocore's standard mode retries what the model marks retryable (ModelNotReadyException) itself.
    assert bedrock_server.script.calls - calls == (2 if sdk_retries else 1)


def test_input_over_an_openai_models_context_says_what_to_lower(openai_server) -> None:
    openai_server.chat.models["gpt-4.1-mini"] = ChatModel(context_tokens=1_500, max_output_tokens=32_768)
    with pytest.raises(NotesError, match=r"maximum context length is 1500 tokens.*NOTES_MAX_INPUT_TOKENS"):
        write_notes(MEETING * 20, openai_model(openai_server))
    assert openai_server.chat.script.calls == 0
