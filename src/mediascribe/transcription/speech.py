"""Where a chunk holds speech: an energy voice-activity detector on ffmpeg's frame levels.

It runs wherever the workflow runs (ffmpeg is in the Lambda layer; onnxruntime for a neural detector
is not). The chunk is band-limited to the voice band and measured in 20 ms frames; the threshold
adapts to the recording's own noise floor (its quietest frames), so steady background noise such as
hum, hiss or air conditioning is not speech, and digital silence never is. Short pauses inside speech
are bridged and clicks too short to be a syllable are dropped.
"""

from __future__ import annotations

import math
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mediascribe.errors import FFmpegError

FRAME_SECONDS = 0.02
_SAMPLE_RATE = 16000
_LEVEL_KEY = "lavfi.astats.Overall.RMS_level"
# Frames quieter than this are never speech (about the level of a whisper recorded at a distance).
ABSOLUTE_FLOOR_DB = -55.0
# A frame is voiced this far above the recording's noise floor (its 10th-percentile frame level).
ABOVE_NOISE_DB = 12.0
NOISE_PERCENTILE = 0.10
# Pauses shorter than this are part of the speech around them (breaths, stops between words).
BRIDGE_SECONDS = 0.3
# Voiced runs shorter than this are clicks or bumps, not words.
MIN_SPEECH_SECONDS = 0.12


@dataclass(frozen=True)
class SpeechRegion:
    """A stretch of speech in seconds from the start of the analysed file."""

    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def detect_speech(path: Path, ffmpeg: str) -> tuple[SpeechRegion, ...]:
    """The speech regions of the audio file at ``path``, in order; empty when nothing is spoken."""
    return speech_regions(frame_levels(path, ffmpeg))


def speech_seconds(regions: Sequence[SpeechRegion]) -> float:
    return round(sum(region.seconds for region in regions), 3)


def frame_levels(path: Path, ffmpeg: str) -> list[float]:
    """RMS level (dBFS) of each 20 ms frame of the voice band (100 Hz to 7 kHz), in one ffmpeg pass."""
    frame = round(_SAMPLE_RATE * FRAME_SECONDS)
    graph = (
        f"aresample={_SAMPLE_RATE},highpass=f=100,lowpass=f=7000,asetnsamples=n={frame}:p=0,"
        "astats=metadata=1:reset=1:measure_perchannel=none:measure_overall=RMS_level,"
        f"ametadata=mode=print:key={_LEVEL_KEY}:file=-"
    )
    argv = [ffmpeg, "-nostdin", "-v", "error", "-i", str(path), "-ac", "1", "-af", graph, "-f", "null", "-"]
    completed = subprocess.run(argv, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        reason = completed.stderr.strip().splitlines()[-1:] or ["unknown error"]
        raise FFmpegError(f"could not analyse {path.name} for speech: {reason[0]}")
    return [_level(line) for line in completed.stdout.splitlines() if line.startswith(_LEVEL_KEY)]


def _level(line: str) -> float:
    value = float(line.partition("=")[2])
    return value if math.isfinite(value) else -120.0


def speech_regions(levels: Sequence[float]) -> tuple[SpeechRegion, ...]:
    """Regions of frames above the adaptive threshold, with short pauses bridged and clicks dropped."""
    if not levels:
        return ()
    ordered = sorted(levels)
    noise_floor = ordered[int(NOISE_PERCENTILE * (len(ordered) - 1))]
    threshold = max(ABSOLUTE_FLOOR_DB, noise_floor + ABOVE_NOISE_DB)
    runs = _voiced_runs([level > threshold for level in levels])
    bridged: list[tuple[int, int]] = []
    for start, end in runs:
        if bridged and (start - bridged[-1][1]) * FRAME_SECONDS < BRIDGE_SECONDS:
            bridged[-1] = (bridged[-1][0], end)
        else:
            bridged.append((start, end))
    return tuple(
        SpeechRegion(round(start * FRAME_SECONDS, 3), round(end * FRAME_SECONDS, 3))
        for start, end in bridged
        if (end - start) * FRAME_SECONDS >= MIN_SPEECH_SECONDS
    )


def _voiced_runs(voiced: Sequence[bool]) -> list[tuple[int, int]]:
    """(first frame, frame after the last) of each run of voiced frames."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, is_voiced in enumerate(voiced):
        if is_voiced and start is None:
            start = index
        elif not is_voiced and start is not None:
            runs.append((start, index))
            start = None
    if start is not None:
        runs.append((start, len(voiced)))
    return runs


def cut_audio(path: Path, start: float, end: float, target: Path, ffmpeg: str) -> Path:
    """``start``..``end`` of ``path`` as 16 kHz mono wav at ``target`` (exact: decoded, not copied)."""
    argv = [
        ffmpeg, "-nostdin", "-v", "error", "-y", "-ss", f"{start:.3f}", "-t", f"{end - start:.3f}",
        "-i", str(path), "-ac", "1", "-ar", str(_SAMPLE_RATE), "-c:a", "pcm_s16le", str(target),
    ]  # fmt: skip
    completed = subprocess.run(argv, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        reason = completed.stderr.strip().splitlines()[-1:] or ["unknown error"]
        raise FFmpegError(f"could not cut {path.name} at {start:.2f}-{end:.2f} s: {reason[0]}")
    return target
