"""Placing recognised text on the timeline with the speech regions a detector found.

Two cases. A text-only model answers one text per request, so a chunk is sent as pieces cut at
pauses (``plan_pieces``) and each piece's text is spread over its speech regions
(``segments_from_text``): every region then starts a segment exactly where its voice starts. A model
with timestamps keeps its own segments, but they often begin in the silence before the words and
sometimes hold words invented in silence, so ``on_speech`` drops segments that cover no speech and
moves starts to the voice onset.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mediascribe.transcription.models import Segment, Word
from mediascribe.transcription.speech import SpeechRegion

# A request's audio reaches this far into the silence around its speech (at most half the pause), so
# the model hears each word whole.
PIECE_PADDING_SECONDS = 0.25
# Grouping regions into pieces: each piece costs one request; a cut in a pause shorter than a good
# one (a sentence break) costs up to SHORT_PAUSE_COST more, and a piece short of the longest allowed
# up to SHORT_PIECE_COST more. Both are below a request's cost, so an extra piece is only taken when
# it avoids more than a request's worth of cuts inside sentences.
PIECE_COST = 1.0
GOOD_PAUSE_SECONDS = 1.0
SHORT_PAUSE_COST = 0.5
SHORT_PIECE_COST = 0.25
# A segment start this close after a voice onset is moved back onto it.
SNAP_BACK_SECONDS = 0.3
# Spreading a piece's text over its regions prefers a cut after a sentence (or clause) end when the
# cut by speaking time alone would land within this many seconds of it.
SENTENCE_PULL_SECONDS = 1.5
CLAUSE_PULL_SECONDS = 0.6
_SENTENCE_ENDS = (".", "?", "!", "…")
_CLAUSE_ENDS = (",", ";", ":")


@dataclass(frozen=True)
class Piece:
    """Part of a chunk sent as one request: the audio from ``start`` to ``end`` holding ``regions``."""

    start: float
    end: float
    regions: tuple[SpeechRegion, ...]


def plan_pieces(regions: Sequence[SpeechRegion], duration: float, *, max_seconds: float) -> list[Piece]:
    """Group the regions into as few pieces of at most ``max_seconds`` of audio as possible.

    Every request costs a call against the rate limit and a short piece gives the model little
    context, so the fewest pieces win; among groupings with that many pieces the cuts go at long
    pauses and the pieces are of even length (no short remnant at the end). A single region longer
    than ``max_seconds`` stays whole (it has no pause to cut at).
    """
    groups = _group_regions(list(regions), max_seconds)
    pieces = []
    for position, group in enumerate(groups):
        before = groups[position - 1][-1].end if position else 0.0
        after = groups[position + 1][0].start if position + 1 < len(groups) else duration
        start = max(0.0, group[0].start - min(PIECE_PADDING_SECONDS, (group[0].start - before) / 2))
        end = min(duration, group[-1].end + min(PIECE_PADDING_SECONDS, (after - group[-1].end) / 2))
        pieces.append(Piece(round(start, 3), round(max(end, group[-1].end), 3), tuple(group)))
    return pieces


def _group_regions(regions: list[SpeechRegion], max_seconds: float) -> list[list[SpeechRegion]]:
    """The grouping of least cost (``_piece_cost`` summed), found by dynamic programming.

    ``best[end]`` is the cheapest grouping of the first ``end`` regions, as (cost, first region of
    its last piece); a piece may only reach back as far as ``max_seconds`` allows.
    """
    best: list[tuple[float, int]] = [(0.0, 0)]
    for end in range(1, len(regions) + 1):
        options = []
        for first in range(end - 1, -1, -1):
            if first < end - 1 and regions[end - 1].end - regions[first].start > max_seconds:
                break
            options.append((best[first][0] + _piece_cost(regions, first, end, max_seconds), first))
        best.append(min(options))
    groups = []
    end = len(regions)
    while end:
        first = best[end][1]
        groups.append(regions[first:end])
        end = first
    return groups[::-1]


def _piece_cost(regions: Sequence[SpeechRegion], first: int, end: int, max_seconds: float) -> float:
    """What sending ``regions[first:end]`` as one piece costs: one request, plus the cut before it
    when that falls in a short pause, plus how far it falls short of ``max_seconds`` (squared, so
    two middling pieces cost less than a full one and a remnant)."""
    cost = PIECE_COST
    if first:
        pause = regions[first].start - regions[first - 1].end
        cost += SHORT_PAUSE_COST * max(0.0, 1.0 - pause / GOOD_PAUSE_SECONDS)
    shortfall = max(0.0, 1.0 - (regions[end - 1].end - regions[first].start) / max_seconds)
    return cost + SHORT_PIECE_COST * shortfall**2


def segments_from_text(text: str, regions: Sequence[SpeechRegion], offset: float = 0.0) -> list[Segment]:
    """One segment per region holding the words spoken in it, the text spread by speaking time.

    Each word is given a share of the regions' total speech time in proportion to its letters; the
    cut between two regions goes where that estimate crosses the pause, pulled to a sentence or
    clause end nearby. ``offset`` is added to every time (a piece's regions are chunk-relative).
    """
    words = text.split()
    if not words or not regions:
        return []
    weights = [len(word) + 1 for word in words]
    total_weight = sum(weights)
    speech = sum(region.seconds for region in regions)
    # Speaking time at which each word starts (index n: the end of the last word).
    starts = [0.0]
    for weight in weights:
        starts.append(starts[-1] + speech * weight / total_weight)
    cuts = [0]
    elapsed = 0.0
    for region in regions[:-1]:
        elapsed += region.seconds
        cuts.append(_best_cut(words, starts, elapsed, cuts[-1]))
    cuts.append(len(words))
    segments = []
    for region, first, last in zip(regions, cuts, cuts[1:], strict=False):
        if last > first:
            segments.append(
                Segment(
                    round(region.start + offset, 3),
                    round(region.end + offset, 3),
                    " ".join(words[first:last]),
                )
            )
    return segments


def _best_cut(words: Sequence[str], starts: Sequence[float], boundary: float, earliest: int) -> int:
    """The word index (at least ``earliest``) before which the text moves to the next region."""

    def cost(index: int) -> float:
        pull = 0.0
        if index > 0 and words[index - 1].endswith(_SENTENCE_ENDS):
            pull = SENTENCE_PULL_SECONDS
        elif index > 0 and words[index - 1].endswith(_CLAUSE_ENDS):
            pull = CLAUSE_PULL_SECONDS
        return abs(starts[index] - boundary) - pull

    return min(range(earliest, len(words) + 1), key=cost)


def on_speech(segments: Iterable[Segment], regions: Sequence[SpeechRegion]) -> list[Segment]:
    """Segments that overlap speech, each starting at the voice onset it covers.

    A segment starting in a pause starts at the next onset instead; one starting just after an
    onset starts on it. A segment over no speech at all is dropped: its words were made up.
    """
    kept = []
    for segment in segments:
        overlapping = [r for r in regions if r.start < segment.end and r.end > segment.start]
        if not overlapping:
            continue
        first = overlapping[0]
        start = segment.start
        if start - first.start <= SNAP_BACK_SECONDS:
            start = first.start
        end = max(segment.end, start + 0.3)
        words = tuple(_clamped(word, start) for word in segment.words)
        kept.append(Segment(start, end, segment.text, segment.speaker, words))
    return kept


def _clamped(word: Word, start: float) -> Word:
    return word if word.start >= start else Word(start, max(word.end, start), word.text)
