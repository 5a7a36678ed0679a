"""Output formats of a transcript: SRT, WebVTT, JSON and plain text.

Segments arrive sorted and non-overlapping from assembly; this module only renders them, making sure
every cue is valid for players and ``ffmpeg`` (no blank lines or ``-->`` inside a cue, end after start).
"""

from __future__ import annotations

import json
import re

from mediascribe.transcription.models import Segment, Transcript

_WHITESPACE = re.compile(r"\s+")


def to_text(transcript: Transcript) -> str:
    return transcript.text + "\n" if transcript.text else ""


def to_json(transcript: Transcript) -> str:
    return json.dumps(transcript.to_dict(), ensure_ascii=False, indent=2) + "\n"


def to_srt(transcript: Transcript) -> str:
    blocks = [
        f"{number}\n{_timestamp(start, ',')} --> {_timestamp(end, ',')}\n{text}\n"
        for number, (start, end, text) in enumerate(_cues(transcript.segments), start=1)
    ]
    return "\n".join(blocks)


def to_vtt(transcript: Transcript) -> str:
    blocks = [
        f"{_timestamp(start, '.')} --> {_timestamp(end, '.')}\n{text}\n"
        for start, end, text in _cues(transcript.segments)
    ]
    return "\n".join(["WEBVTT\n", *blocks])


def _cues(segments: tuple[Segment, ...]) -> list[tuple[int, int, str]]:
    """(start ms, end ms, single-line text) per non-empty segment; zero-length cues get 1 ms."""
    cues = []
    for segment in segments:
        text = _WHITESPACE.sub(" ", segment.text).replace("-->", "->").strip()
        if not text:
            continue
        start = round(segment.start * 1000)
        end = max(round(segment.end * 1000), start + 1)
        cues.append((start, end, text))
    return cues


def _timestamp(milliseconds: int, separator: str) -> str:
    seconds, ms = divmod(milliseconds, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{ms:03d}"
