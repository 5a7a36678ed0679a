"""Output formats of a transcript: SRT, WebVTT, JSON and plain text.

Segments arrive sorted, non-overlapping and cue-shaped from assembly; this module only renders them,
making sure every cue is valid for players and ``ffmpeg`` (no blank lines or ``-->`` inside a cue, end
after start) and wrapped into at most two lines, with the speaker shown where the engine gave one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from mediascribe.transcription.cues import clean_text, speaker_prefix, wrap
from mediascribe.transcription.models import Segment, Transcript


@dataclass(frozen=True)
class _Cue:
    start_ms: int
    end_ms: int
    text: str
    speaker: str | None
    speaker_changed: bool


def to_text(transcript: Transcript) -> str:
    """The text; with speakers, one paragraph per speaker turn, each led by its speaker."""
    if not transcript.speakers:
        return transcript.text + "\n" if transcript.text else ""
    paragraphs: list[tuple[str | None, list[str]]] = []
    for segment in transcript.segments:
        if not paragraphs or paragraphs[-1][0] != segment.speaker:
            paragraphs.append((segment.speaker, []))
        paragraphs[-1][1].append(clean_text(segment.text))
    return "\n\n".join(speaker_prefix(speaker) + " ".join(texts) for speaker, texts in paragraphs) + "\n"


def to_json(transcript: Transcript) -> str:
    return json.dumps(transcript.to_dict(), ensure_ascii=False, indent=2) + "\n"


def to_srt(transcript: Transcript) -> str:
    """SubRip; a cue whose speaker differs from the previous cue's starts with ``Speaker N: ``."""
    blocks = []
    for number, cue in enumerate(_cues(transcript.segments), start=1):
        prefix = speaker_prefix(cue.speaker) if cue.speaker_changed else ""
        text = "\n".join(wrap(cue.text, first_line_offset=len(prefix)))
        blocks.append(
            f"{number}\n{_timestamp(cue.start_ms, ',')} --> {_timestamp(cue.end_ms, ',')}\n{prefix}{text}\n"
        )
    return "\n".join(blocks)


def to_vtt(transcript: Transcript) -> str:
    """WebVTT; cues with a speaker carry a voice tag (``<v Speaker 1>``)."""
    blocks = []
    for cue in _cues(transcript.segments):
        voice = f"<v {_escape(cue.speaker)}>" if cue.speaker else ""
        text = "\n".join(_escape(line) for line in wrap(cue.text))
        blocks.append(f"{_timestamp(cue.start_ms, '.')} --> {_timestamp(cue.end_ms, '.')}\n{voice}{text}\n")
    return "\n".join(["WEBVTT\n", *blocks])


def _cues(segments: tuple[Segment, ...]) -> Iterator[_Cue]:
    """Non-empty segments in milliseconds; zero-length cues get 1 ms."""
    previous: str | None = None
    for segment in segments:
        text = clean_text(segment.text)
        if not text:
            continue
        start = round(segment.start * 1000)
        end = max(round(segment.end * 1000), start + 1)
        yield _Cue(start, end, text, segment.speaker, segment.speaker != previous)
        previous = segment.speaker


def _escape(text: str) -> str:
    """WebVTT cue text: ``&``, ``<`` and ``>`` would start entities and tags."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _timestamp(milliseconds: int, separator: str) -> str:
    seconds, ms = divmod(milliseconds, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{ms:03d}"
