"""The stand-ins' request validator, on the real botocore models of the three services they stand in
for: every constraint kind, the Coral message it produces, and the error each operation answers with."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from mediascribe.local.service_model import (
    Problem,
    compile_pattern,
    error_answer,
    refusal,
    service_model,
    validate,
    validation_error,
    validation_message,
)

EXECUTE = service_model("rds-data").operation_model("ExecuteStatement")
COMMIT = service_model("rds-data").operation_model("CommitTransaction")
TRANSCRIBE = service_model("transcribe").operation_model("TranscribeAudio")
CONVERSE = service_model("bedrock-runtime").operation_model("Converse")
CLUSTER = "arn:aws:rds:us-east-1:123456789012:cluster:mediascribe"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf"
STATEMENT = {"resourceArn": CLUSTER, "secretArn": SECRET, "sql": "SELECT 1"}
AUDIO = {"Media": {"MediaFileUri": "s3://bucket/chunk.mp3"}, "Language": "en"}
CHAT = {"modelId": "amazon.nova-micro-v1:0", "messages": [{"role": "user", "content": [{"text": "hi"}]}]}
TERMS = {"Language": "en", "Phrases": [{"Text": "mediascribe"}]}


def messages(operation: Any, body: dict[str, Any]) -> list[str]:
    return [problem.message for problem in validate(operation, body)]


def constraint(value: str, path: str, rule: str) -> str:
    return f"Value '{value}' at '{path}' failed to satisfy constraint: {rule}"


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        (EXECUTE, STATEMENT),
        (COMMIT, {**STATEMENT, "transactionId": "abc"} | {"sql": None}),
        (TRANSCRIBE, AUDIO),
        (CONVERSE, CHAT),
    ],
)
def test_a_valid_request_has_no_problems(operation: Any, body: dict[str, Any]) -> None:
    assert validate(operation, {k: v for k, v in body.items() if v is not None}) == []


def test_a_missing_required_member_is_null() -> None:
    assert messages(EXECUTE, {"resourceArn": CLUSTER, "secretArn": SECRET}) == [
        "Value null at 'sql' failed to satisfy constraint: Member must not be null"
    ]
    assert messages(TRANSCRIBE, {"Media": {}, "Language": "en"}) == []
    assert messages(CONVERSE, {"messages": CHAT["messages"]}) == [
        "Value null at 'modelId' failed to satisfy constraint: Member must not be null"
    ]


def test_an_unknown_member_makes_the_request_unreadable() -> None:
    problems = validate(COMMIT, {**STATEMENT, "transactionId": "abc", "database": "postgres"} | {"sql": "x"})
    assert {p.message for p in problems} == {'Unrecognized field "database"', 'Unrecognized field "sql"'}
    assert all(p.serialization for p in problems)
    nested = validate(TRANSCRIBE, {**AUDIO, "Media": {"MediaFileUri": "s3://b/k", "Url": "x"}})
    assert [p.message for p in nested] == ["Unrecognized field \"Url\" at 'media'"]


@pytest.mark.parametrize(
    ("operation", "body", "message"),
    [
        (EXECUTE, {**STATEMENT, "sql": 7}, "NUMBER_VALUE can not be converted to string at 'sql'"),
        (
            EXECUTE,
            {**STATEMENT, "includeResultMetadata": "yes"},
            "STRING_VALUE can not be converted to boolean at 'includeResultMetadata'",
        ),
        (
            EXECUTE,
            {**STATEMENT, "parameters": {"name": "x"}},
            "START_OBJECT can not be converted to list at 'parameters'",
        ),
        (
            TRANSCRIBE,
            {**AUDIO, "MaxSpeakerLabels": 2.5},
            "NUMBER_VALUE can not be converted to integer at 'maxSpeakerLabels'",
        ),
        (
            TRANSCRIBE,
            {**AUDIO, "MaxSpeakerLabels": True},
            "BOOLEAN_VALUE can not be converted to integer at 'maxSpeakerLabels'",
        ),
        (
            TRANSCRIBE,
            {**AUDIO, "Media": {"MediaBytes": "not base64!"}},
            "STRING_VALUE can not be converted to blob at 'media.mediaBytes'",
        ),
        (
            CONVERSE,
            {**CHAT, "inferenceConfig": []},
            "START_ARRAY can not be converted to structure at 'inferenceConfig'",
        ),
    ],
)
def test_a_value_of_the_wrong_type_makes_the_request_unreadable(
    operation: Any, body: dict[str, Any], message: str
) -> None:
    assert validate(operation, body) == [Problem(message, serialization=True)]


def test_string_lengths_are_held_to_both_bounds() -> None:
    assert messages(EXECUTE, {**STATEMENT, "secretArn": "arn:x"}) == [
        constraint("arn:x", "secretArn", "Member must have length greater than or equal to 11")
    ]
    long = "a" * 571
    assert messages(EXECUTE, {**STATEMENT, "resourceArn": long}) == [
        constraint(long, "resourceArn", "Member must have length less than or equal to 570")
    ]


def test_a_blob_is_measured_decoded_and_quoted_as_coral_quotes_it() -> None:
    """MediaBytes counts decoded bytes (25 MB), and Coral shows the ByteBuffer, not the bytes."""
    import base64

    empty = {**AUDIO, "Media": {"MediaBytes": base64.b64encode(b"").decode()}}
    assert messages(TRANSCRIBE, empty) == [
        constraint(
            "java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]",
            "media.mediaBytes",
            "Member must have length greater than or equal to 1",
        )
    ]


def test_list_lengths_are_held_to_both_bounds() -> None:
    assert messages(TRANSCRIBE, {**AUDIO, "VocabularySettings": []}) == [
        constraint("[]", "vocabularySettings", "Member must have length greater than or equal to 1")
    ]
    six = messages(TRANSCRIBE, {**AUDIO, "VocabularySettings": [TERMS] * 6})
    assert len(six) == 1
    assert six[0].startswith("Value '[{Language=en, Phrases=[{Text=mediascribe}]}, ")
    assert six[0].endswith(
        "at 'vocabularySettings' failed to satisfy constraint: "
        "Member must have length less than or equal to 5"
    )
    assert messages(TRANSCRIBE, {**AUDIO, "VocabularySettings": [TERMS] * 5}) == []


def test_integer_and_float_ranges_are_held_to_both_bounds() -> None:
    assert messages(TRANSCRIBE, {**AUDIO, "MaxSpeakerLabels": 1}) == [
        constraint("1", "maxSpeakerLabels", "Member must have value greater than or equal to 2")
    ]
    assert messages(TRANSCRIBE, {**AUDIO, "MaxSpeakerLabels": 31}) == [
        constraint("31", "maxSpeakerLabels", "Member must have value less than or equal to 30")
    ]
    assert messages(CONVERSE, {**CHAT, "inferenceConfig": {"temperature": -0.5, "topP": 1.5}}) == [
        constraint(
            "-0.5", "inferenceConfig.temperature", "Member must have value greater than or equal to 0"
        ),
        constraint("1.5", "inferenceConfig.topP", "Member must have value less than or equal to 1"),
    ]


def test_an_enum_lists_its_values() -> None:
    assert messages(TRANSCRIBE, {**AUDIO, "Language": "en-US"}) == [
        constraint(
            "en-US",
            "language",
            "Member must satisfy enum value set: [en, es, fr, it, de, ja, pt, ko, zh-CN, zh-TW, zh-HK]",
        )
    ]
    hinted = {**STATEMENT, "parameters": [{"name": "x", "value": {"stringValue": "1"}, "typeHint": "INT"}]}
    assert messages(EXECUTE, hinted) == [
        constraint(
            "INT",
            "parameters.1.member.typeHint",
            "Member must satisfy enum value set: [JSON, UUID, TIMESTAMP, DATE, TIME, DECIMAL]",
        )
    ]


@pytest.mark.parametrize(
    ("name", "valid"),
    [("terms", True), ("my.terms-2_b", True), ("my terms", False), ("terms!", False), ("", False)],
)
def test_a_pattern_must_match_the_whole_value(name: str, valid: bool) -> None:
    """``^[0-9a-zA-Z._-]+`` anchors only the start; the service still refuses ``terms!``."""
    found = messages(
        TRANSCRIBE, {**AUDIO, "VocabularySettings": [{"Language": "en", "VocabularyName": name}]}
    )
    path = "vocabularySettings.1.member.vocabularyName"
    pattern = constraint(name, path, "Member must satisfy regular expression pattern: ^[0-9a-zA-Z._-]+")
    assert (pattern not in found) is valid


@pytest.mark.parametrize(
    ("model_id", "valid"),
    [
        ("amazon.nova-micro-v1:0", True),
        ("eu.amazon.nova-micro-v1:0", True),
        ("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0", True),
        ("amazon nova", False),
    ],
)
def test_the_converse_model_id_pattern(model_id: str, valid: bool) -> None:
    assert (messages(CONVERSE, {**CHAT, "modelId": model_id}) == []) is valid


def test_a_map_reports_its_keys_and_values_together() -> None:
    found = messages(CONVERSE, {**CHAT, "requestMetadata": {"job id": "ok", "bad!": "v" * 257}})
    assert found == [
        "Value '{job id=ok, bad!=" + "v" * 257 + "}' at 'requestMetadata' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: "
        "[a-zA-Z0-9\\s:_@$#=/+,-.]{1,256}]",
        "Value '{job id=ok, bad!=" + "v" * 257 + "}' at 'requestMetadata' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must have length less than or equal to 256, "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9\\s:_@$#=/+,-.]{0,256}]",
    ]


def test_a_union_takes_one_member() -> None:
    both = {"name": "x", "value": {"stringValue": "1", "longValue": 1}}
    found = messages(EXECUTE, {**STATEMENT, "parameters": [both]})
    assert found == [
        constraint(
            "{stringValue=1, longValue=1}",
            "parameters.1.member.value",
            "Member must have exactly one field set",
        )
    ]


def test_every_pattern_of_the_three_models_translates() -> None:
    patterns = {
        shape.metadata["pattern"]
        for name in ("rds-data", "transcribe", "bedrock-runtime")
        for shape in map(service_model(name).shape_for, service_model(name).shape_names)
        if "pattern" in shape.metadata
    }
    assert len(patterns) > 30
    for pattern in patterns:
        assert isinstance(compile_pattern(pattern), re.Pattern)


def test_java_regex_constructs_keep_their_java_meaning() -> None:
    assert compile_pattern(r"\p{Alpha}+\d").fullmatch("abc1")
    assert not compile_pattern(r"\p{Alpha}+").fullmatch("äbc")
    assert compile_pattern(r"[\p{Alnum}_]+").fullmatch("a_1")
    assert not compile_pattern(r"\d").fullmatch("٣")  # Java's \d is ASCII
    assert not compile_pattern(r"\s").fullmatch("\u00a0")
    assert compile_pattern(r"ab\z").fullmatch("ab")
    assert compile_pattern(r"a++b").fullmatch("aab")
    with pytest.raises(ValueError, match="no translation"):
        compile_pattern(r"\p{IsLatin}+")


def test_problems_are_counted_and_joined_as_coral_joins_them() -> None:
    one = [Problem("A")]
    assert validation_message(one) == "1 validation error detected: A"
    assert validation_message([Problem("A"), Problem("B")]) == "2 validation errors detected: A; B"


def test_each_operation_refuses_with_its_own_validation_error_in_its_protocol() -> None:
    assert [validation_error(op) for op in (EXECUTE, TRANSCRIBE, CONVERSE)] == [
        "BadRequestException",
        "BadRequestException",
        "ValidationException",
    ]
    rest = refusal(EXECUTE, validate(EXECUTE, {**STATEMENT, "formatRecordsAs": "XML"}))
    assert rest is not None
    assert (rest.status, rest.headers) == (400, {"x-amzn-ErrorType": "BadRequestException"})
    assert json.loads(rest.body) == {
        "message": "1 validation error detected: "
        + constraint("XML", "formatRecordsAs", "Member must satisfy enum value set: [NONE, JSON]")
    }
    rpc = refusal(TRANSCRIBE, validate(TRANSCRIBE, {**AUDIO, "Language": "xx"}))
    assert rpc is not None
    assert set(json.loads(rpc.body)) == {"__type", "Message"}
    assert json.loads(rpc.body)["__type"] == "BadRequestException"
    unreadable = refusal(COMMIT, validate(COMMIT, {**STATEMENT, "transactionId": "t"}))
    assert unreadable is not None
    assert (unreadable.status, unreadable.headers["x-amzn-ErrorType"]) == (400, "SerializationException")
    assert refusal(EXECUTE, []) is None


def test_errors_take_the_status_and_members_the_model_gives_them() -> None:
    missing = error_answer(EXECUTE, "TransactionNotFoundException", "Transaction t is not found")
    assert (missing.status, json.loads(missing.body)) == (404, {"message": "Transaction t is not found"})
    timeout = error_answer(EXECUTE, "StatementTimeoutException", "timed out", dbConnectionId=7)
    assert (timeout.status, json.loads(timeout.body)) == (400, {"message": "timed out", "dbConnectionId": 7})
    model = error_answer(CONVERSE, "ModelErrorException", "boom", originalStatusCode=500, resourceName="m")
    assert model.status == 424
    assert json.loads(model.body) == {"message": "boom", "originalStatusCode": 500, "resourceName": "m"}
