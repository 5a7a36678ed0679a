"""Caption cues a viewer can read: at most 7 s on screen and at most 2 lines of at most 42 characters.

Engines return segments of any length (a text-only model returns one per request, Whisper sometimes
runs a segment for 15 s). ``shape_cues`` cuts every segment into cues along its words, preferring a
cut after punctuation; a segment without word timings gets them estimated from the characters of
each word, spread over the segment (speaking time follows the number of letters closely enough to
place a cut). A cue never mixes two segments, so it never mixes two speakers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from mediascribe.transcription.models import Segment, Word

MAX_CUE_SECONDS = 7.0
MAX_LINE_CHARS = 42
MAX_LINES = 2
_PUNCTUATION = (".", "?", "!", ",", ";", ":", "…")


def speaker_prefix(speaker: str | None) -> str:
    """What ``.srt`` puts before the first line of a cue when the speaker changes."""
    return f"{speaker}: " if speaker else ""


def wrap(text: str, *, first_line_offset: int = 0) -> list[str]:
    """Greedy lines of at most ``MAX_LINE_CHARS`` (the first shortened by ``first_line_offset``);
    a word longer than a line is cut across lines."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        width = MAX_LINE_CHARS - (first_line_offset if not lines else 0)
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
            width = MAX_LINE_CHARS
        while len(word) > width:
            lines.append(word[:width])
            word = word[width:]
            width = MAX_LINE_CHARS
        current = word
    if current:
        lines.append(current)
    return lines


def estimated_words(segment: Segment) -> tuple[Word, ...]:
    """The segment's words with times spread over it in proportion to their length."""
    if segment.words:
        return segment.words
    texts = segment.text.split()
    weights = [len(text) + 1 for text in texts]
    total = sum(weights)
    span = max(segment.end - segment.start, 0.0)
    words: list[Word] = []
    elapsed = 0
    for text, weight in zip(texts, weights, strict=True):
        start = segment.start + span * elapsed / total
        elapsed += weight
        words.append(Word(round(start, 3), round(segment.start + span * elapsed / total, 3), text))
    return tuple(words)


def shape_cues(segments: Iterable[Segment]) -> list[Segment]:
    """Every segment cut into readable cues, in the order given."""
    cues: list[Segment] = []
    for segment in segments:
        cues.extend(_segment_cues(segment))
    return cues


def _segment_cues(segment: Segment) -> list[Segment]:
    words = list(estimated_words(segment))
    if not words:
        return []
    offset = len(speaker_prefix(segment.speaker))
    groups: list[list[Word]] = [[]]
    for word in words:
        current = groups[-1]
        if current and not _fits([*current, word], offset):
            carried = _carry_after_punctuation(current)
            if carried and not _fits([*carried, word], offset):
                current.extend(carried)
                carried = []
            groups.append(carried)
        groups[-1].append(word)
    return [_cue(segment, group) for group in groups if group]


def _carry_after_punctuation(words: list[Word]) -> list[Word]:
    """Cut ``words`` after its last punctuation past the middle; the words after it move to the next
    cue (returned, and removed from ``words``)."""
    for index in range(len(words) - 1, len(words) // 2 - 1, -1):
        if words[index].text.endswith(_PUNCTUATION) and index < len(words) - 1:
            carried = words[index + 1 :]
            del words[index + 1 :]
            return carried
    return []


def _fits(words: Sequence[Word], offset: int) -> bool:
    if len(words) > 1 and words[-1].end - words[0].start > MAX_CUE_SECONDS:
        return False
    return len(wrap(" ".join(w.text for w in words), first_line_offset=offset)) <= MAX_LINES


def _cue(segment: Segment, words: Sequence[Word]) -> Segment:
    start = words[0].start
    end = min(max(words[-1].end, start), start + MAX_CUE_SECONDS)
    return Segment(
        start,
        end,
        " ".join(w.text for w in words),
        segment.speaker,
        tuple(words) if segment.words else (),
    )


_WHITESPACE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """One line of text without runs of whitespace or a caption separator (``-->``)."""
    return _WHITESPACE.sub(" ", text).replace("-->", "->").strip()
