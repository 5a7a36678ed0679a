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
    """Group the regions into pieces of at most ``max_seconds`` of audio, cut at the longest pauses.

    A single region longer than ``max_seconds`` stays whole (it has no pause to cut at).
    """
    groups = _split_at_pauses(list(regions), max_seconds)
    pieces = []
    for position, group in enumerate(groups):
        before = groups[position - 1][-1].end if position else 0.0
        after = groups[position + 1][0].start if position + 1 < len(groups) else duration
        start = max(0.0, group[0].start - min(PIECE_PADDING_SECONDS, (group[0].start - before) / 2))
        end = min(duration, group[-1].end + min(PIECE_PADDING_SECONDS, (after - group[-1].end) / 2))
        pieces.append(Piece(round(start, 3), round(max(end, group[-1].end), 3), tuple(group)))
    return pieces


def _split_at_pauses(regions: list[SpeechRegion], max_seconds: float) -> list[list[SpeechRegion]]:
    if not regions:
        return []
    if len(regions) == 1 or regions[-1].end - regions[0].start <= max_seconds:
        return [regions]
    pauses = [regions[i + 1].start - regions[i].end for i in range(len(regions) - 1)]
    cut = max(range(len(pauses)), key=lambda i: pauses[i]) + 1
    return _split_at_pauses(regions[:cut], max_seconds) + _split_at_pauses(regions[cut:], max_seconds)


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
