"""The notes' shapes: what the model must return (a draft) and what is stored and shown.

The draft refers to chapters by transcript line number, never by time: start times are then taken
from the transcript's own segments, so the model cannot invent one. Every text field is capped so
stored notes stay small whatever the model produces.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mediascribe.errors import InvalidNotesError

MAX_TITLE_CHARS = 80
SUMMARY_TARGET_WORDS = 150
# "About 150 words": some slack so a 160-word summary is not thrown away.
MAX_SUMMARY_WORDS = 180
MAX_SUMMARY_CHARS = 1500
MAX_CHAPTERS = 20
MAX_CHAPTER_TITLE_CHARS = 100
MAX_ACTION_ITEMS = 20
MAX_TASK_CHARS = 300
MAX_OWNER_CHARS = 80
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class DraftChapter(_Strict):
    title: str = Field(min_length=1, max_length=MAX_CHAPTER_TITLE_CHARS)
    start_line: int = Field(ge=0)


class ActionItem(_Strict):
    task: str = Field(min_length=1, max_length=MAX_TASK_CHARS)
    owner: str | None = Field(max_length=MAX_OWNER_CHARS)

    @field_validator("owner")
    @classmethod
    def _blank_owner_is_none(cls, owner: str | None) -> str | None:
        return owner or None


class DraftNotes(_Strict):
    """Exactly the JSON the model is asked for (see ``NOTES_SCHEMA``)."""

    language: str = Field(pattern=LANGUAGE_PATTERN)
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    summary: str = Field(min_length=1, max_length=MAX_SUMMARY_CHARS)
    chapters: list[DraftChapter] = Field(max_length=MAX_CHAPTERS)
    action_items: list[ActionItem] = Field(max_length=MAX_ACTION_ITEMS)

    @field_validator("summary")
    @classmethod
    def _summary_words(cls, summary: str) -> str:
        words = len(summary.split())
        if words > MAX_SUMMARY_WORDS:
            raise ValueError(f"summary has {words} words, at most {MAX_SUMMARY_WORDS} are allowed")
        return summary

    @field_validator("title")
    @classmethod
    def _one_line(cls, title: str) -> str:
        if "\n" in title:
            raise ValueError("title must be a single line")
        return title


class Chapter(_Strict):
    title: str
    start_seconds: float = Field(ge=0)


class Notes(_Strict):
    """Validated notes as stored in ``assets.notes`` and returned in the status document."""

    language: str
    title: str
    summary: str
    chapters: list[Chapter]
    action_items: list[ActionItem]
    provider: str
    model: str
    model_calls: int

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_document(cls, document: Any) -> Notes | None:
        """The notes of a status document's ``notes`` entry, or ``None`` unless they were written."""
        if not isinstance(document, dict) or document.get("status") != "completed":
            return None
        return cls.model_validate({key: value for key, value in document.items() if key != "status"})


def parse_draft(data: Any) -> DraftNotes:
    """Validate the model's answer; the error lists every problem so a retry can fix them all."""
    try:
        return DraftNotes.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'answer'}: {error['msg']}" for error in exc.errors()
        )
        raise InvalidNotesError(f"the notes do not match the schema: {problems}") from None


def _string(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


# The schema sent to the model. It uses only keywords every provider's strict mode accepts (every
# property required, no additional properties); the limits are stated in the descriptions and
# enforced by ``DraftNotes``.
NOTES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["language", "title", "summary", "chapters", "action_items"],
    "properties": {
        "language": _string("ISO 639-1 code of the transcript's language, for example en or de"),
        "title": _string(f"A title for the recording, at most {MAX_TITLE_CHARS} characters, one line"),
        "summary": _string(f"What was said, about {SUMMARY_TARGET_WORDS} words at most"),
        "chapters": {
            "type": "array",
            "description": f"The recording's main sections in order, at most {MAX_CHAPTERS}",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["title", "start_line"],
                "properties": {
                    "title": _string(f"Chapter title, at most {MAX_CHAPTER_TITLE_CHARS} characters"),
                    "start_line": {
                        "type": "integer",
                        "description": "The number N of the transcript line [LN] where the chapter begins",
                    },
                },
            },
        },
        "action_items": {
            "type": "array",
            "description": f"Tasks someone agreed or was asked to do, at most {MAX_ACTION_ITEMS}",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["task", "owner"],
                "properties": {
                    "task": _string(f"The task, at most {MAX_TASK_CHARS} characters"),
                    "owner": {
                        "type": ["string", "null"],
                        "description": "Who does it, when the transcript names them; otherwise null",
                    },
                },
            },
        },
    },
}
