"""Splitting a long transcript into parts that each fit one model request.

Tokens are estimated, not counted: no tokenizer is shipped for every provider's models, and none may
be downloaded at run time. The estimate is deliberately high for every tokenizer in use: one token
per 3 ASCII characters (English averages about 4) and two per other character (CJK characters take
1-2 tokens, accented letters are rarely more than one). An over-estimate only costs an extra part.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

ASCII_CHARS_PER_TOKEN = 3
TOKENS_PER_OTHER_CHAR = 2
# Sentence ends, also the ideographic full stop and the fullwidth ! and ?.
_SENTENCE_END = re.compile("(?<=[.!?\u3002\uff01\uff1f])\\s+")


def estimate_tokens(text: str) -> int:
    """A conservative token count for ``text`` (see the module docstring)."""
    ascii_chars = sum(1 for char in text if char.isascii())
    other_chars = len(text) - ascii_chars
    return math.ceil(ascii_chars / ASCII_CHARS_PER_TOKEN) + TOKENS_PER_OTHER_CHAR * other_chars


@dataclass(frozen=True)
class Line:
    """One numbered line the model sees; ``number`` is what a chapter refers to."""

    number: int
    start: float
    text: str
    speaker: str | None = None


def numbered_lines(segments: Iterable[tuple[float, str, str | None]], max_tokens: int) -> list[Line]:
    """Number the non-empty segments (start, text, speaker); a segment longer than ``max_tokens`` is
    split at sentence ends into several lines that all keep the segment's start time."""
    lines: list[Line] = []
    for start, text, speaker in segments:
        for piece in _pieces(" ".join(text.split()), max_tokens):
            lines.append(Line(len(lines), start, piece, speaker))
    return lines


def plan_parts(lines: Sequence[Line], budget_tokens: int, render: Callable[[Line], str]) -> list[list[Line]]:
    """Group consecutive lines into parts whose rendered text stays within ``budget_tokens``."""
    parts: list[list[Line]] = []
    current: list[Line] = []
    used = 0
    for line in lines:
        cost = estimate_tokens(render(line)) + 1
        if current and used + cost > budget_tokens:
            parts.append(current)
            current, used = [], 0
        current.append(line)
        used += cost
    if current:
        parts.append(current)
    return parts


def _pieces(text: str, max_tokens: int) -> list[str]:
    if not text:
        return []
    if estimate_tokens(text) <= max_tokens:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        for fragment in _hard_split(sentence, max_tokens):
            candidate = f"{current} {fragment}".strip()
            if current and estimate_tokens(candidate) > max_tokens:
                pieces.append(current)
                candidate = fragment
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def _hard_split(sentence: str, max_tokens: int) -> list[str]:
    """A "sentence" without punctuation can still be too long: cut it by characters."""
    if estimate_tokens(sentence) <= max_tokens:
        return [sentence]
    step = max(1, max_tokens // TOKENS_PER_OTHER_CHAR)
    return [sentence[i : i + step] for i in range(0, len(sentence), step)]
