"""From transcript segments to validated notes: plan parts, ask, check, combine.

A transcript that fits one request is one model call. A longer one is cut into parts by estimated
tokens (``planning``); each part gets its own notes, and the parts' notes are combined, in rounds if
even they do not fit one request. Every answer is validated; an invalid one is asked for once more,
with the reason, and a second invalid answer ends the attempt with ``InvalidNotesError``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from threading import Lock

from mediascribe.errors import InvalidNotesError, NotesError
from mediascribe.notes.models import Chapter, DraftNotes, Notes, parse_draft
from mediascribe.notes.planning import Line, estimate_tokens, numbered_lines, plan_parts
from mediascribe.notes.prompt import (
    SYSTEM_PROMPT,
    NotesRequest,
    combine_request,
    render_line,
    transcript_request,
)
from mediascribe.notes.providers import NotesModel, reply_data

logger = logging.getLogger(__name__)

DEFAULT_INPUT_TOKENS = 32_000
# Parts are independent requests; a few at once shorten a long transcript's wait without
# provoking the throttling a whole burst would.
PART_CONCURRENCY = 4


@dataclass(frozen=True)
class Segment:
    """The little of a transcript segment the notes need."""

    start: float
    text: str
    speaker: str | None = None


@dataclass
class _Calls:
    count: int = 0
    _lock: Lock = field(default_factory=Lock)

    def add(self) -> None:
        with self._lock:
            self.count += 1


def write_notes(
    segments: Iterable[Segment], model: NotesModel, *, max_input_tokens: int = DEFAULT_INPUT_TOKENS
) -> Notes:
    """Notes of the transcript; ``NotesError`` (or ``RetryableNotesError``) when there are none."""
    # What a request carries besides the data: the instructions, the schema, the framing.
    budget = max_input_tokens - estimate_tokens(SYSTEM_PROMPT) - 2_000
    if budget < 500:
        raise NotesError(f"NOTES_MAX_INPUT_TOKENS={max_input_tokens} leaves no room for the transcript")
    lines = numbered_lines(((s.start, s.text, s.speaker) for s in segments), budget // 4)
    if not lines:
        raise NotesError("the transcript has no text to write notes about")
    calls = _Calls()
    parts = plan_parts(lines, budget, render_line)
    drafts = _part_drafts(parts, model, calls)
    while len(drafts) > 1:
        drafts = _combine_round(drafts, model, calls, budget)
    draft, candidates = drafts[0]
    logger.info("notes written", extra={"parts": len(parts), "model_calls": calls.count})
    return _final_notes(draft, candidates, model, calls.count)


_Draft = tuple[DraftNotes, list[Line]]


def _part_drafts(parts: list[list[Line]], model: NotesModel, calls: _Calls) -> list[_Draft]:
    def one(numbered: tuple[int, list[Line]]) -> _Draft:
        number, part = numbered
        request = transcript_request(part, part=number, parts=len(parts))
        draft = _ask(model, request, calls, _line_check(part))
        return draft, _chapter_lines(draft, {line.number: line for line in part})

    if len(parts) == 1:
        return [one((1, parts[0]))]
    with ThreadPoolExecutor(max_workers=PART_CONCURRENCY) as pool:
        return list(pool.map(one, enumerate(parts, start=1)))


def _combine_round(drafts: list[_Draft], model: NotesModel, calls: _Calls, budget: int) -> list[_Draft]:
    """Merge consecutive drafts in groups that fit one request; the result has fewer drafts."""
    groups: list[list[_Draft]] = [[]]
    for draft in drafts:
        trial = groups[-1] + [draft]
        if groups[-1] and estimate_tokens(combine_request(trial).user) > budget:
            groups.append([draft])
        else:
            groups[-1] = trial
    if len(groups) == len(drafts):
        groups = [drafts[i : i + 2] for i in range(0, len(drafts), 2)]
    merged: list[_Draft] = []
    for group in groups:
        if len(group) == 1:
            merged.append(group[0])
            continue
        # Candidate chapters are renumbered 0..n-1 so the model can only pick among them.
        candidates = [line for _, lines in group for line in lines]
        renumbered = [Line(i, c.start, c.text) for i, c in enumerate(candidates)]
        parts: list[tuple[DraftNotes, Sequence[Line]]] = []
        offset = 0
        for part_notes, lines in group:
            parts.append((part_notes, renumbered[offset : offset + len(lines)]))
            offset += len(lines)
        combined = _ask(model, combine_request(parts), calls, _line_check(renumbered))
        merged.append((combined, _chapter_lines(combined, {line.number: line for line in renumbered})))
    return merged


def _ask(
    model: NotesModel, request: NotesRequest, calls: _Calls, check: Callable[[DraftNotes], None]
) -> DraftNotes:
    """One request, validated; one more with the reason if the answer is invalid."""
    try:
        return _checked(model, request, calls, check)
    except InvalidNotesError as first:
        logger.warning("notes answer rejected, asking once more", extra={"reason": first.message})
        return _checked(model, request.with_correction(first.message), calls, check)


def _checked(
    model: NotesModel, request: NotesRequest, calls: _Calls, check: Callable[[DraftNotes], None]
) -> DraftNotes:
    calls.add()
    draft = parse_draft(reply_data(model.complete(request)))
    check(draft)
    return draft


def _line_check(lines: Sequence[Line]) -> Callable[[DraftNotes], None]:
    known = {line.number for line in lines}

    def check(draft: DraftNotes) -> None:
        unknown = sorted({c.start_line for c in draft.chapters} - known)
        if unknown:
            raise InvalidNotesError(f"chapters refer to lines that do not exist: {unknown[:10]}")

    return check


def _chapter_lines(draft: DraftNotes, lines: dict[int, Line]) -> list[Line]:
    """The chapters as lines (start time from the transcript, title from the model), in time order."""
    chosen = sorted(
        ((lines[c.start_line].start, c.start_line, c.title) for c in draft.chapters), key=lambda c: c[:2]
    )
    result: list[Line] = []
    for start, number, title in chosen:
        if result and result[-1].start == start:
            continue  # two titles for one moment: keep the first
        result.append(Line(number, start, title))
    return result


def _final_notes(draft: DraftNotes, chapters: list[Line], model: NotesModel, calls: int) -> Notes:
    return Notes(
        language=draft.language,
        title=draft.title,
        summary=draft.summary,
        chapters=[Chapter(title=line.text, start_seconds=line.start) for line in chapters],
        action_items=list(draft.action_items),
        provider=model.provider,
        model=model.model,
        model_calls=calls,
    )
