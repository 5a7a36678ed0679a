"""How well captions follow the speech: the cue-start error of each spoken line.

For every line of generated speech (``speech_factory``), find the cue that shows the line's first
recognised word (the line's words and the cues' words are aligned with difflib, so recognition
errors do not break the match) and take the distance between that cue's start and the line's true
start. A line none of whose words were recognised is counted as missed.
"""

from __future__ import annotations

import difflib
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from mediascribe.transcription.cues import MAX_CUE_SECONDS, MAX_LINES, speaker_prefix, wrap
from mediascribe.transcription.models import Segment
from support.speech_factory import SpokenLine

_TOKEN = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class CaptionTiming:
    cues: int
    errors: tuple[float, ...]  # seconds, one per recognised line, sorted
    missed: int
    longest: float
    over_seconds: int
    over_lines: int

    @property
    def median(self) -> float | None:
        return statistics.median(self.errors) if self.errors else None

    @property
    def p90(self) -> float | None:
        if not self.errors:
            return None
        return self.errors[min(len(self.errors) - 1, int(0.9 * len(self.errors)))]


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def caption_timing(lines: Sequence[SpokenLine], cues: Sequence[Segment]) -> CaptionTiming:
    reference = [(n, t) for n, line in enumerate(lines) for t in tokens(line.text)]
    hypothesis = [(n, t) for n, cue in enumerate(cues) for t in tokens(cue.text)]
    matcher = difflib.SequenceMatcher(
        None, [t for _, t in reference], [t for _, t in hypothesis], autojunk=False
    )
    cue_of_first_word: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            cue_of_first_word.setdefault(reference[block.a + k][0], hypothesis[block.b + k][0])
    errors = sorted(
        abs(cues[cue_of_first_word[n]].start - line.start)
        for n, line in enumerate(lines)
        if n in cue_of_first_word
    )
    lengths = [cue.end - cue.start for cue in cues]
    return CaptionTiming(
        cues=len(cues),
        errors=tuple(errors),
        missed=len(lines) - len(errors),
        longest=max(lengths, default=0.0),
        over_seconds=sum(length > MAX_CUE_SECONDS + 1e-6 for length in lengths),
        over_lines=sum(
            len(wrap(cue.text, first_line_offset=len(speaker_prefix(cue.speaker)))) > MAX_LINES
            for cue in cues
        ),
    )
