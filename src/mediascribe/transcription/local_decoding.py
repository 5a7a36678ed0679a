"""What the offline engine decodes: a chunk's speech, its pauses shortened, in pieces decoded together.

Whisper hears 30 s windows. Decoding several windows in one batch keeps both cores busy, and
without timestamps the decoder samples text tokens only, which is faster and (on tiny.en) more
accurate than timestamped decoding. The times then come from the project's own speech regions, as
for the text-only OpenAI models (``timing.segments_from_text``): every region starts a segment where
its voice starts.

Before the speech is grouped into windows the silence between regions is shortened to at most
``KEPT_PAUSE_SECONDS`` (half before the next region, half after the last one), so a window holds
speech rather than pauses; the groups are the cheapest ones ``timing.plan_pieces`` finds on that
shortened timeline.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

from mediascribe.transcription.speech import SpeechRegion
from mediascribe.transcription.timing import PIECE_PADDING_SECONDS, plan_pieces

# Whisper's window is 30 s; a piece is its regions plus up to a padding on either side.
WINDOW_SECONDS = 30.0
PIECE_SECONDS = WINDOW_SECONDS - 2 * PIECE_PADDING_SECONDS - 0.5
# A pause is kept up to this long: enough for the model to hear a sentence end.
KEPT_PAUSE_SECONDS = 2 * PIECE_PADDING_SECONDS
# Pieces decoded at once per core. On two cores a batch of 4 took no more CPU time than faster-whisper's
# default of 8 and about 300 MB less memory: every beam of every piece holds its own copy of the
# encoder's attention keys and values.
BATCH_PER_CORE = 2
MAX_BATCH_SIZE = 16


@dataclass(frozen=True)
class DecodePlan:
    """How one file is decoded.

    ``spans`` are the stretches of the file that are kept, in order (seconds on the file's timeline);
    concatenated they make the shortened audio. ``clips`` are the pieces in that shortened audio's
    time, one decoder window each, and ``pieces`` are the regions each clip holds, on the file's
    timeline, for timing its text.
    """

    spans: tuple[tuple[float, float], ...]
    clips: tuple[tuple[float, float], ...]
    pieces: tuple[tuple[SpeechRegion, ...], ...]


def plan_decoding(
    regions: Sequence[SpeechRegion], duration: float, *, max_seconds: float = PIECE_SECONDS
) -> DecodePlan:
    """The spans to keep and the pieces to decode for a file whose speech is ``regions``."""
    regions = [part for region in regions for part in _within(region, max_seconds)]
    spans: list[tuple[float, float]] = []
    shortened: list[SpeechRegion] = []
    position = 0.0
    for index, region in enumerate(regions):
        first, last = index == 0, index == len(regions) - 1
        before = _kept(region.start - (0.0 if first else regions[index - 1].end), shared=not first)
        after = _kept((duration if last else regions[index + 1].start) - region.end, shared=not last)
        start = position + before
        spans.append((round(region.start - before, 3), round(region.end + after, 3)))
        shortened.append(SpeechRegion(round(start, 3), round(start + region.seconds, 3)))
        position = start + region.seconds + after
    on_file = dict(zip(shortened, regions, strict=True))
    pieces = plan_pieces(shortened, position, max_seconds=max_seconds)
    return DecodePlan(
        spans=tuple(spans),
        clips=tuple((piece.start, piece.end) for piece in pieces),
        pieces=tuple(tuple(on_file[region] for region in piece.regions) for piece in pieces),
    )


def _kept(pause: float, *, shared: bool) -> float:
    """How much of a pause stays on one side of a region: half the kept pause where another region
    shares it, at most half of it either way."""
    limit = KEPT_PAUSE_SECONDS / 2
    return max(0.0, min(limit, pause / 2 if shared else pause))


def _within(region: SpeechRegion, max_seconds: float) -> list[SpeechRegion]:
    """The region, or equal parts of it where it is longer than a piece (speech without a pause)."""
    parts = math.ceil(region.seconds / max_seconds)
    if parts <= 1:
        return [region]
    step = region.seconds / parts
    return [
        SpeechRegion(round(region.start + n * step, 3), round(region.start + (n + 1) * step, 3))
        for n in range(parts)
    ]


def cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and taskset narrow)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def decoder_threads(configured: int | None) -> int:
    """``LOCAL_THREADS``, or one decoder thread per core."""
    return configured if configured is not None else cores()


def batch_size(configured: int | None) -> int:
    """``LOCAL_BATCH_SIZE``, or ``BATCH_PER_CORE`` pieces per core (at most ``MAX_BATCH_SIZE``)."""
    return configured if configured is not None else min(MAX_BATCH_SIZE, BATCH_PER_CORE * cores())
