"""A stand-in language model for notes, shared by the Bedrock and OpenAI stand-ins.

It answers from what it is sent, deterministically: notes whose chapters point at real line numbers
of the request, a title from the first line, action items from lines that say someone "will" do
something. Tests queue ``Turn``s to get what real models sometimes produce instead: invalid JSON,
an over-long title, a refusal, throttling, an over-long input.
"""

from __future__ import annotations

import math
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

LINE = re.compile(r"^\[L(\d+) (\d\d):(\d\d):(\d\d)\](?: ([^:\]]{1,40}):)? (.*)$")
_OWNER = re.compile(r"\b([A-Z][a-z]+) will ([^.!?]+[.!?]?)")
# A stand-in tokenizer: English text averages about 4 characters per token.
CHARS_PER_TOKEN = 4


def count_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass(frozen=True)
class Turn:
    """One scripted answer. ``kind``: notes | text | refusal | truncated | error, and for Bedrock the
    stop reasons malformed_tool_use | context_window_exceeded."""

    kind: str
    data: dict[str, Any] | None = None
    text: str = ""
    status: int = 200
    code: str = ""
    message: str = ""


def notes_turn(**overrides: Any) -> Turn:
    """Valid notes (for the request), with fields replaced by ``overrides``."""
    return Turn("notes", data=overrides)


def invalid_json_turn() -> Turn:
    return Turn("text", text='{"title": "Weekly sync", "summary": "We talked about the release",')


def long_title_turn() -> Turn:
    return notes_turn(title="A title that goes on and on " * 6)


def refusal_turn() -> Turn:
    return Turn("refusal", text="I'm sorry, but I can't help with that request.")


def throttle_turn() -> Turn:
    return Turn("error", status=429, code="ThrottlingException", message="Too many requests, please wait.")


@dataclass(frozen=True)
class SeenRequest:
    model: str
    system: str
    user: str


@dataclass
class NotesScript:
    turns: deque[Turn] = field(default_factory=deque)
    requests: list[SeenRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, *turns: Turn) -> None:
        with self._lock:
            self.turns.extend(turns)

    def answer(self, model: str, system: str, user: str) -> Turn:
        """The next scripted turn (notes turns are completed from the request), else default notes."""
        with self._lock:
            self.requests.append(SeenRequest(model, system, user))
            turn = self.turns.popleft() if self.turns else Turn("notes", data={})
        if turn.kind == "notes":
            return Turn("notes", data={**default_notes(user), **(turn.data or {})})
        return turn

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self.requests)


def data_lines(user: str) -> list[tuple[int, float, str]]:
    """(number, seconds, text) of every numbered line the request carries."""
    found = []
    for raw in user.splitlines():
        match = LINE.match(raw.strip())
        if match:
            number, hours, minutes, seconds, _speaker, text = match.groups()
            found.append((int(number), int(hours) * 3600 + int(minutes) * 60 + float(seconds), text))
    return found


def default_notes(user: str) -> dict[str, Any]:
    lines = data_lines(user)
    if not lines:
        return {
            "language": "en",
            "title": "Untitled",
            "summary": "Nothing was said.",
            "chapters": [],
            "action_items": [],
        }
    words = " ".join(text for _, _, text in lines).split()
    picks = sorted({lines[0][0], lines[len(lines) // 2][0], lines[-1][0]})
    chapters = [{"title": _title_of(lines, n), "start_line": n} for n in picks]
    actions: list[dict[str, Any]] = []
    for _, _, text in lines:
        for match in _OWNER.finditer(text):
            if len(actions) < 5:
                actions.append({"task": match.group(2)[:200], "owner": match.group(1)})
    return {
        "language": "en",
        "title": " ".join(lines[0][2].split()[:8])[:80] or "Untitled",
        "summary": " ".join(words[:60]),
        "chapters": chapters,
        "action_items": actions,
    }


def _title_of(lines: list[tuple[int, float, str]], number: int) -> str:
    text = next(t for n, _, t in lines if n == number)
    return " ".join(text.split()[:6])[:90] or "Chapter"
