"""Where to cut an mp3 so that every chunk fits the size limit and, when possible, no word is split.

A chunk's length is the smallest of three budgets: the request size limit (a chunk's size is about
bitrate x duration, so bytes become seconds), the model's duration cap less a safety margin, and the
target length that spreads a typical file evenly over parallel requests. Cuts are planned one after
another: each is placed in the last silence inside a short window just before the budget runs out, or
exactly at the budget when that window holds no silence. A cut keeps quiet on both sides of it where
the silence allows, because Whisper garbles a word that ends a fraction of a second before a cut.
Only those windows are decoded, never the whole file, so planning costs the same for a 10-minute and
a 10-hour recording.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Awaitable, Callable

import ffmpeg

from mediascribe.media.process import run_tool

logger = logging.getLogger(__name__)

# Aim under the limit: the segment muxer cuts at the next mp3 frame (~26 ms) after the planned time,
# each chunk gets its own ID3 and Xing header, and VBR sources vary around their average bitrate.
SIZE_MARGIN = 0.96
HEADER_ALLOWANCE_BYTES = 4096
SILENCE_THRESHOLD = "-35dB"
MIN_SILENCE_SECONDS = 0.3
MAX_WINDOW_SECONDS = 8.0
# silencedetect closes a silence still running at the end of its input there; an end this close to
# the window end (decoding ends on an audio frame) means the silence runs on past it.
WINDOW_END_TOLERANCE = 0.05
WINDOW_SHARE = 0.25
# The API measures duration by decoding; a chunk planned this far under a model's cap never reaches
# it, whatever frame padding or rounding the two measurements disagree by.
DURATION_CAP_SHARE = 0.98
# The target may be passed by this share rather than leave a stub: an hour of audio is 3600.03 s.
TARGET_SLACK = 1.02

_SILENCE_START = re.compile(r"silence_start: (-?\d+(?:\.\d+)?)")
_SILENCE_END = re.compile(r"silence_end: (-?\d+(?:\.\d+)?)")

SilenceFinder = Callable[[float, float], Awaitable[float | None]]


def chunk_seconds_for(limit_bytes: int, bytes_per_second: float) -> float:
    """The longest chunk duration that should stay under ``limit_bytes`` at the given byte rate."""
    usable = limit_bytes * SIZE_MARGIN - HEADER_ALLOWANCE_BYTES
    if usable <= 0 or bytes_per_second <= 0:
        raise ValueError(f"a {limit_bytes}-byte limit leaves no room for audio")
    return usable / bytes_per_second


def chunk_seconds_budget(
    duration_seconds: float, bytes_seconds: float, *, target_seconds: float, model_max_seconds: float | None
) -> float:
    """The longest chunk to plan for a recording of ``duration_seconds``.

    The byte budget (``bytes_seconds``, from ``chunk_seconds_for``) and the model's cap less its margin
    are hard limits. The target is a length to aim at: when it decides, the recording is spread
    evenly over as many chunks as the target asks for, plus one silence window of slack so that cuts
    moved back into silences add no chunk (a short last chunk would cost a whole extra round of
    requests and a boundary).
    """
    hard = bytes_seconds
    if model_max_seconds is not None:
        hard = min(hard, model_max_seconds * DURATION_CAP_SHARE)
    if target_seconds >= hard:
        return hard
    step = duration_seconds / estimated_chunk_count(duration_seconds, target_seconds * TARGET_SLACK)
    return min(hard, step + silence_window(step))


def silence_window(chunk_seconds: float) -> float:
    """How far before a boundary a cut may move to land in a silence."""
    return min(MAX_WINDOW_SECONDS, chunk_seconds * WINDOW_SHARE)


def estimated_chunk_count(duration_seconds: float, chunk_seconds: float) -> int:
    return max(1, math.ceil(duration_seconds / chunk_seconds))


async def plan_cuts(
    duration_seconds: float, chunk_seconds: float, find_silence: SilenceFinder
) -> list[float]:
    """Cut times (seconds from the start) so that no chunk is longer than ``chunk_seconds``."""
    cuts: list[float] = []
    position = 0.0
    window = silence_window(chunk_seconds)
    while duration_seconds - position > chunk_seconds:
        boundary = position + chunk_seconds
        silence = await find_silence(boundary - window, window)
        cut = silence if silence is not None and position < silence <= boundary else boundary
        logger.debug("planned cut", extra={"cut": cut, "in_silence": cut != boundary})
        cuts.append(cut)
        position = cut
    return cuts


def silence_finder(ffmpeg_binary: str, path: str, *, filename: str) -> SilenceFinder:
    """A finder that runs ``silencedetect`` on one window of ``path`` and returns a cut time in it."""

    async def find(window_start: float, window_seconds: float) -> float | None:
        argv = (
            ffmpeg.input(path, ss=f"{window_start:.3f}", t=f"{window_seconds:.3f}")
            .filter("silencedetect", n=SILENCE_THRESHOLD, d=MIN_SILENCE_SECONDS)
            .output("-", format="null")
            .global_args("-hide_banner", "-nostats")
            .compile(cmd=ffmpeg_binary)
        )
        _, stderr = await run_tool(argv, filename=filename)
        relative = last_silence_cut(stderr, window_seconds)
        return None if relative is None else window_start + relative

    return find


def last_silence_cut(stderr: str, window_seconds: float) -> float | None:
    """Where to cut in the latest silence silencedetect reported, relative to the window start.

    A silence that ends inside the window is cut in its middle, leaving quiet on both sides. A silence
    still running when the window ends (no ``silence_end``, or one at the window end) covers the
    boundary itself: the cut goes at the window end, so all of the silence seen (at least
    ``MIN_SILENCE_SECONDS``) stays before it and the next chunk starts in silence. Its middle would
    sit as little as 0.15 s after the last word.
    """
    starts = [float(v) for v in _SILENCE_START.findall(stderr)]
    if not starts:
        return None
    ends = [float(v) for v in _SILENCE_END.findall(stderr)]
    start = max(0.0, starts[-1])
    if len(ends) < len(starts) or ends[-1] >= window_seconds - WINDOW_END_TOLERANCE:
        return window_seconds if window_seconds > start else None
    return (start + ends[-1]) / 2 if ends[-1] > start else None
