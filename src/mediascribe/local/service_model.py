"""Requests checked against a whole botocore service model, refused in the service's own words.

botocore's client checks required and unknown members, types and minima before it sends, but no
maxima, enums or patterns; the service checks them all. A local run checks what moto would take
without a word (its EventBridge, ``local.events``), and every test stand-in validates the parsed body
of each request here against its operation's input shape and answers the problems the way the
service does:

- constraint violations in the Coral validation message format, e.g. ``1 validation error detected:
  Value 'xx' at 'language' failed to satisfy constraint: Member must satisfy enum value set: [en, es]``
  (several are joined with ``; `` under ``N validation errors detected``), as the operation's
  validation error (``ValidationException`` where the model lists it, else ``BadRequestException``);
- a member the shape does not have, or a value of the wrong JSON type, as ``SerializationException``:
  the request cannot be read into the operation's input at all.

``error_answer`` builds any error of an operation as the protocol sends it: the model's HTTP status,
the ``x-amzn-ErrorType`` header and the JSON body (``__type`` for the ``json`` protocol, the error
shape's own message member name for both).

Member names in the messages are the Java property names Coral reports (``VocabularySettings`` is
``vocabularySettings``), list items are ``name.N.member`` counted from 1. A ``pattern`` must match the
whole value, as Java's ``Pattern.matches`` does in the service: DynamoDB refuses the table name
``"smart-dcb-messages"`` (quotes included) against ``[a-zA-Z0-9_.-]+``, which a search would find
inside it (https://github.com/aws/aws-cli/issues/790).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

SERIALIZATION_ERROR = "SerializationException"
# The operation's validation error: the first of these its model lists.
_VALIDATION_ERRORS = ("ValidationException", "BadRequestException")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: a broken constraint, or a body that does not fit the shape."""

    message: str
    serialization: bool = False


@dataclass(frozen=True)
class ErrorAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


@functools.cache
def service_model(name: str) -> ServiceModel:
    """botocore's model of a service (``rds-data``, ``transcribe``, ``bedrock-runtime``)."""
    return botocore.session.get_session().get_service_model(name)


def validate(operation: OperationModel, body: Mapping[str, Any]) -> list[Problem]:
    """Every problem of ``body`` against the operation's input: the parsed JSON of the request, with
    the members the protocol carries in the URI (Converse's ``modelId``) added by the caller."""
    shape = operation.input_shape
    if shape is None:
        return []
    problems: list[Problem] = []
    _check_structure(shape, dict(body), "", problems)
    return problems


def validation_message(problems: Sequence[Problem]) -> str:
    """The Coral message for constraint problems: ``N validation error(s) detected: ...; ...``."""
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(p.message for p in problems)


def refusal(operation: OperationModel, problems: Sequence[Problem]) -> ErrorAnswer | None:
    """The service's answer to a request with ``problems``, or None when there are none."""
    if not problems:
        return None
    unreadable = [p for p in problems if p.serialization]
    if unreadable:
        return error_answer(operation, SERIALIZATION_ERROR, unreadable[0].message)
    return error_answer(operation, validation_error(operation), validation_message(problems))


def validation_error(operation: OperationModel) -> str:
    listed = {shape.name for shape in operation.error_shapes}
    return next((name for name in _VALIDATION_ERRORS if name in listed), _VALIDATION_ERRORS[0])


def error_answer(operation: OperationModel, code: str, message: str, **members: Any) -> ErrorAnswer:
    """An error of ``operation`` as its protocol sends it; ``members`` are the shape's other fields."""
    shape = next((cast(StructureShape, s) for s in operation.error_shapes if s.name == code), None)
    status = int(shape.metadata.get("error", {}).get("httpStatusCode", 400)) if shape else 400
    message_member = next((m for m in (shape.members if shape else ()) if m.lower() == "message"), None)
    document: dict[str, Any] = dict(members)
    if message_member is not None or shape is None:
        document[message_member or _message_member(operation)] = message
    protocol = operation.service_model.protocol
    if protocol == "json" or operation.service_model.metadata.get("jsonVersion"):
        document = {"__type": code, **document}
    payload = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return ErrorAnswer(status, {"x-amzn-ErrorType": code}, payload)


def _message_member(operation: OperationModel) -> str:
    """How this service spells the message of errors the model does not list (``message``/``Message``)."""
    for shape in operation.error_shapes:
        for member in cast(StructureShape, shape).members:
            if member.lower() == "message":
                return str(member)
    return "message"


# --- walking the shape ---------------------------------------------------------------------------


def _property(member: str) -> str:
    """The Java property name Coral reports (``VocabularySettings`` is ``vocabularySettings``)."""
    return member[:1].lower() + member[1:]


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member


def _check(shape: Shape, value: Any, path: str, problems: list[Problem]) -> None:
    kind = shape.type_name
    if shape.metadata.get("document"):
        # A document (free-form JSON, such as a tool's input schema) takes any value.
        return
    if kind == "structure":
        _check_structure(cast(StructureShape, shape), value, path, problems)
    elif kind == "list":
        _check_list(cast(ListShape, shape), value, path, problems)
    elif kind == "map":
        _check_map(cast(MapShape, shape), value, path, problems)
    elif kind == "string":
        _check_string(shape, value, path, problems)
    elif kind == "blob":
        _check_blob(shape, value, path, problems)
    elif kind in ("integer", "long", "short", "byte"):
        _check_number(shape, value, path, problems, integral=True)
    elif kind in ("float", "double", "bigdecimal"):
        _check_number(shape, value, path, problems, integral=False)
    elif kind == "boolean" and not isinstance(value, bool):
        problems.append(_unreadable(value, "boolean", path))
    elif kind == "timestamp" and (isinstance(value, bool) or not isinstance(value, int | float | str)):
        problems.append(_unreadable(value, "timestamp", path))


def _check_structure(shape: StructureShape, value: Any, path: str, problems: list[Problem]) -> None:
    if not isinstance(value, dict):
        problems.append(_unreadable(value, "structure", path))
        return
    members = shape.members
    for name in value:
        if name not in members:
            where = f" at '{path}'" if path else ""
            problems.append(Problem(f'Unrecognized field "{name}"{where}', serialization=True))
    present = [name for name in members if value.get(name) is not None]
    if shape.metadata.get("union") and len(present) > 1:
        problems.append(_problem(value, path, "Member must have exactly one field set"))
    for name in shape.required_members:
        if value.get(name) is None:
            where = _join(path, _property(name))
            problems.append(
                Problem(f"Value null at '{where}' failed to satisfy constraint: Member must not be null")
            )
    for name in present:
        _check(members[name], value[name], _join(path, _property(name)), problems)


def _check_list(shape: ListShape, value: Any, path: str, problems: list[Problem]) -> None:
    if not isinstance(value, list):
        problems.append(_unreadable(value, "list", path))
        return
    _check_length(shape, value, len(value), path, problems)
    for index, item in enumerate(value, start=1):
        if item is None:
            continue
        _check(shape.member, item, f"{path}.{index}.member", problems)


def _check_map(shape: MapShape, value: Any, path: str, problems: list[Problem]) -> None:
    if not isinstance(value, dict):
        problems.append(_unreadable(value, "map", path))
        return
    _check_length(shape, value, len(value), path, problems)
    for part, items in (("keys", list(value)), ("value", list(value.values()))):
        found: list[Problem] = []
        target = shape.key if part == "keys" else shape.value
        for item in items:
            _check(target, item, path, found)
        constraints = sorted(
            {p.message.split("failed to satisfy constraint: ", 1)[-1] for p in found if not p.serialization}
        )
        problems.extend(p for p in found if p.serialization)
        if constraints:
            label = "Map keys" if part == "keys" else "Map value"
            problems.append(
                _problem(value, path, f"{label} must satisfy constraint: [{', '.join(constraints)}]")
            )


def _check_string(shape: Shape, value: Any, path: str, problems: list[Problem]) -> None:
    if not isinstance(value, str):
        problems.append(_unreadable(value, "string", path))
        return
    _check_length(shape, value, len(value), path, problems)
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        problems.append(_problem(value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]"))
    pattern = shape.metadata.get("pattern")
    if pattern and not compile_pattern(pattern).fullmatch(value):
        problems.append(_problem(value, path, f"Member must satisfy regular expression pattern: {pattern}"))


def _check_blob(shape: Shape, value: Any, path: str, problems: list[Problem]) -> None:
    """A blob travels as base64 text; its length constraints count the decoded bytes."""
    try:
        data = base64.b64decode(value, validate=True) if isinstance(value, str) else None
    except (binascii.Error, ValueError):
        data = None
    if data is None:
        problems.append(_unreadable(value, "blob", path))
        return
    # Coral quotes a blob as the ByteBuffer it was read into, not its bytes.
    _check_length(shape, _ByteBuffer(len(data)), len(data), path, problems)


@dataclass(frozen=True)
class _ByteBuffer:
    size: int

    def __str__(self) -> str:
        return f"java.nio.HeapByteBuffer[pos=0 lim={self.size} cap={self.size}]"


def _check_number(shape: Shape, value: Any, path: str, problems: list[Problem], *, integral: bool) -> None:
    wanted = int if integral else int | float
    if isinstance(value, bool) or not isinstance(value, wanted):
        problems.append(_unreadable(value, shape.type_name, path))
        return
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        problems.append(_problem(value, path, f"Member must have value greater than or equal to {low}"))
    if high is not None and value > high:
        problems.append(_problem(value, path, f"Member must have value less than or equal to {high}"))


def _check_length(shape: Shape, value: Any, length: int, path: str, problems: list[Problem]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and length < low:
        problems.append(_problem(value, path, f"Member must have length greater than or equal to {low}"))
    if high is not None and length > high:
        problems.append(_problem(value, path, f"Member must have length less than or equal to {high}"))


def _problem(value: Any, path: str, constraint: str) -> Problem:
    return Problem(f"Value {_render(value)} at '{path}' failed to satisfy constraint: {constraint}")


def _unreadable(value: Any, kind: str, path: str) -> Problem:
    return Problem(f"{_json_kind(value)} can not be converted to {kind} at '{path}'", serialization=True)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN_VALUE"
    if isinstance(value, int | float):
        return "NUMBER_VALUE"
    if isinstance(value, str):
        return "STRING_VALUE"
    if isinstance(value, list):
        return "START_ARRAY"
    if isinstance(value, dict):
        return "START_OBJECT"
    return "NULL_VALUE"


def _render(value: Any) -> str:
    """The value as Coral quotes it: Java's ``toString`` in single quotes."""
    return f"'{_java_text(value)}'"


def _java_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_java_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_java_text(item)}" for key, item in value.items()) + "}"
    return str(value)


# --- patterns ------------------------------------------------------------------------------------

# Java regex constructs Python's ``re`` reads differently or not at all: the POSIX classes (as the
# body of a character class) and the anchors.
_JAVA_CLASSES = {
    r"\p{Alpha}": "a-zA-Z",
    r"\p{Digit}": "0-9",
    r"\p{Alnum}": "a-zA-Z0-9",
    r"\p{Upper}": "A-Z",
    r"\p{Lower}": "a-z",
    r"\p{Punct}": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    r"\p{Print}": r"\x20-\x7E",
    r"\p{Graph}": r"\x21-\x7E",
    r"\p{Space}": r" \t\n\x0B\f\r",
    r"\p{ASCII}": r"\x00-\x7F",
}
_JAVA_ANCHORS = {r"\z": r"\Z", r"\Z": r"(?=\n?\Z)"}
_JAVA_TOKEN = re.compile(r"\\[pP]\{\w+\}|\\[zZ]|\\.|\[|\]")


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A model ``pattern`` (Java regex syntax) as a Python regex with the same meaning.

    Java's ``\\d``, ``\\s`` and ``\\w`` are ASCII-only, hence ``re.ASCII``; the POSIX classes
    (``\\p{Alpha}``...) and Java's ``\\z``/``\\Z`` are spelled out; Python 3.11 reads possessive
    quantifiers and atomic groups as Java does. A construct with no translation is refused rather
    than read with another meaning.
    """
    out: list[str] = []
    in_class = False
    position = 0
    for token in _JAVA_TOKEN.finditer(pattern):
        out.append(pattern[position : token.start()])
        position = token.end()
        text = token.group(0)
        if text in ("[", "]"):
            in_class = text == "["
            out.append(text)
        elif text in _JAVA_CLASSES:
            body = _JAVA_CLASSES[text]
            out.append(body if in_class else f"[{body}]")
        elif text in _JAVA_ANCHORS and not in_class:
            out.append(_JAVA_ANCHORS[text])
        elif text.startswith(r"\p{") or text.startswith(r"\P{"):
            raise ValueError(f"no translation for the Java class {text} in {pattern!r}")
        else:
            out.append(text)
    out.append(pattern[position:])
    return re.compile("".join(out), re.ASCII)
