"""Where a chunk holds speech: a voice-activity detector on ffmpeg's frame measurements.

It runs wherever the workflow runs (ffmpeg is in the Lambda layer; onnxruntime for a neural detector
is not). The chunk is band-limited to the voice band and measured in 20 ms frames, two classic VAD
features per frame: the level and the spectral flatness. A frame is voiced when it is louder than an
absolute floor and either well above the recording's own noise floor (its quietest frames) or
harmonic (a low flatness: voiced speech is a pitch with its overtones, broadband noise is flat). So
digital silence and steady hiss, rain or air conditioning are not speech, even when loud. Short
pauses inside speech are bridged and clicks too short to be a syllable are dropped.

Harmonic sounds that are not speech (a tone, hum, music) count as speech: they are sent to the
engine, which finds no words in them (the offline decoder also drops windows Whisper's own no-speech
rule counts as silent).
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
_FLATNESS_KEY = "lavfi.aspectralstats.1.flatness"
# Frames quieter than this are never speech (about the level of a whisper recorded at a distance).
ABSOLUTE_FLOOR_DB = -55.0
# A frame is voiced this far above the recording's noise floor (its 10th-percentile frame level).
ABOVE_NOISE_DB = 12.0
NOISE_PERCENTILE = 0.10
# Spectral flatness below this is a harmonic sound (voiced speech measures about 0.02-0.3 even under
# noise; pink or white noise about 0.6).
HARMONIC_FLATNESS = 0.35
# Pauses shorter than this are part of the speech around them (breaths, stops between words).
BRIDGE_SECONDS = 0.3
# Voiced runs shorter than this are clicks or bumps, not words.
MIN_SPEECH_SECONDS = 0.12
# Pieces up to this long are cut to 16 kHz FLAC (see ``piece_suffix``).
FLAC_MAX_SECONDS = 600.0


@dataclass(frozen=True)
class SpeechRegion:
    """A stretch of speech in seconds from the start of the analysed file."""

    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Frame:
    """An analysis frame from ``start`` seconds: RMS level in dBFS (of the 20 ms around it) and
    spectral flatness (0 a pure tone, 1 white noise)."""

    start: float
    level: float
    flatness: float


def detect_speech(path: Path, ffmpeg: str) -> tuple[SpeechRegion, ...]:
    """The speech regions of the audio file at ``path``, in order; empty when nothing is spoken."""
    return speech_regions(measure_frames(path, ffmpeg))


def speech_seconds(regions: Sequence[SpeechRegion]) -> float:
    return round(sum(region.seconds for region in regions), 3)


def measure_frames(path: Path, ffmpeg: str) -> list[Frame]:
    """Level and flatness along the voice band (100 Hz to 7 kHz) of the file, in one ffmpeg pass."""
    frame = round(_SAMPLE_RATE * FRAME_SECONDS)
    graph = (
        f"aresample={_SAMPLE_RATE},highpass=f=100,lowpass=f=7000,asetnsamples=n={frame}:p=0,"
        "astats=metadata=1:reset=1:measure_perchannel=none:measure_overall=RMS_level,"
        "aspectralstats=win_size=256:measure=flatness,"
        "ametadata=mode=print:file=-"
    )
    argv = [ffmpeg, "-nostdin", "-v", "error", "-i", str(path), "-ac", "1", "-af", graph, "-f", "null", "-"]
    completed = subprocess.run(argv, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        reason = completed.stderr.strip().splitlines()[-1:] or ["unknown error"]
        raise FFmpegError(f"could not analyse {path.name} for speech: {reason[0]}")
    return _parse_frames(completed.stdout)


def _parse_frames(printed: str) -> list[Frame]:
    """``ametadata`` prints ``frame:N pts:P pts_time:T``, then a ``key=value`` line per measurement."""
    frames: list[Frame] = []
    start, values = 0.0, dict[str, float]()
    for line in [*printed.splitlines(), "frame:end pts_time:0"]:
        if line.startswith("frame:"):
            if _LEVEL_KEY in values and _FLATNESS_KEY in values:
                frames.append(Frame(start, values[_LEVEL_KEY], values[_FLATNESS_KEY]))
            start, values = float(line.rpartition("pts_time:")[2]), {}
        else:
            key, _, value = line.partition("=")
            values[key] = _finite(value)
    return frames


def _finite(text: str) -> float:
    value = float(text)
    return value if math.isfinite(value) else -120.0


def speech_regions(frames: Sequence[Frame]) -> tuple[SpeechRegion, ...]:
    """Regions of voiced frames, with short pauses bridged and clicks dropped."""
    if not frames:
        return ()
    levels = sorted(frame.level for frame in frames)
    above_noise = levels[int(NOISE_PERCENTILE * (len(levels) - 1))] + ABOVE_NOISE_DB
    voiced = [
        frame.level > ABSOLUTE_FLOOR_DB and (frame.level > above_noise or frame.flatness < HARMONIC_FLATNESS)
        for frame in frames
    ]
    step = frames[1].start - frames[0].start if len(frames) > 1 else FRAME_SECONDS
    bridged: list[tuple[float, float]] = []
    for first, last in _voiced_runs(voiced):
        start, end = frames[first].start, frames[last - 1].start + step
        if bridged and start - bridged[-1][1] < BRIDGE_SECONDS:
            bridged[-1] = (bridged[-1][0], end)
        else:
            bridged.append((start, end))
    return tuple(
        SpeechRegion(round(start, 3), round(end, 3))
        for start, end in bridged
        if end - start >= MIN_SPEECH_SECONDS
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


@dataclass(frozen=True)
class Cut:
    """``start``..``end`` seconds of the analysed file, to be written to ``target``."""

    start: float
    end: float
    target: Path


def piece_suffix(seconds: float) -> str:
    """The file type a piece of ``seconds`` is cut to: FLAC when it fits a request, else mp3.

    FLAC at 16 kHz (the rate speech models work at) is lossless and encodes many times faster than
    mp3; it never exceeds the raw 32 kB/s, so up to ``FLAC_MAX_SECONDS`` it stays far under the API's
    25 MB request cap. A longer piece (a single region with no pause to cut at) is mp3 at 64 kbit/s,
    the chunks' own format, which fits wherever its chunk does.
    """
    return ".flac" if seconds <= FLAC_MAX_SECONDS else ".mp3"


def cut_pieces(path: Path, cuts: Sequence[Cut], ffmpeg: str) -> None:
    """Every cut of ``path`` written in one ffmpeg pass: the file is decoded once and each output
    trimmed from it exactly (sample-accurate ``atrim``), instead of one process per piece."""
    if not cuts:
        return
    labels = "".join(f"[s{number}]" for number in range(len(cuts)))
    graph = [f"[0:a]aresample={_SAMPLE_RATE},asplit={len(cuts)}{labels}"]
    outputs: list[str] = []
    for number, cut in enumerate(cuts):
        graph.append(
            f"[s{number}]atrim=start={cut.start:.3f}:end={cut.end:.3f},asetpts=PTS-STARTPTS[o{number}]"
        )
        outputs += ["-map", f"[o{number}]", "-ac", "1", *_piece_codec(cut), str(cut.target)]
    argv = [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(path), "-filter_complex", ";".join(graph)]
    completed = subprocess.run([*argv, *outputs], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        reason = completed.stderr.strip().splitlines()[-1:] or ["unknown error"]
        raise FFmpegError(f"could not cut {path.name} into {len(cuts)} pieces: {reason[0]}")


def _piece_codec(cut: Cut) -> list[str]:
    if cut.target.suffix == ".flac":
        return ["-c:a", "flac", "-f", "flac"]
    return ["-ar", "22050", "-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3"]
