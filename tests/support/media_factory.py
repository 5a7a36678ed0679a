"""Real media files for tests and benchmarks, generated with the bundled static ffmpeg and lavfi.

Every generator writes ``path`` and returns it. The container is chosen from ``fmt`` (a key of
``AUDIO_FORMATS``/``VIDEO_FORMATS``) or, when ``fmt`` is None, from the path's suffix, so a file can be
deliberately mislabeled: ``make_audio(tmp / "x.mp3", 5, fmt="m4a")`` is AAC named ``.mp3``.
"""

from __future__ import annotations

import json
import random
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mediascribe.config import Settings
from mediascribe.media.binaries import resolve_binaries

# fmt -> (muxer, codec arguments)
AUDIO_FORMATS: dict[str, tuple[str, list[str]]] = {
    "mp3": ("mp3", ["-c:a", "libmp3lame", "-b:a", "64k"]),
    "wav": ("wav", ["-c:a", "pcm_s16le"]),
    "m4a": ("ipod", ["-c:a", "aac", "-b:a", "64k"]),
    "aac": ("adts", ["-c:a", "aac", "-b:a", "64k"]),
    "ogg": ("ogg", ["-c:a", "libvorbis", "-q:a", "2"]),
    "opus": ("opus", ["-c:a", "libopus", "-b:a", "32k"]),
    "flac": ("flac", ["-c:a", "flac"]),
}
VIDEO_FORMATS: dict[str, tuple[str, list[str], list[str]]] = {
    # fmt -> (muxer, video codec arguments, audio codec arguments)
    "mp4": ("mp4", ["-c:v", "libx264", "-preset", "ultrafast"], ["-c:a", "aac", "-b:a", "64k"]),
    "mov": ("mov", ["-c:v", "libx264", "-preset", "ultrafast"], ["-c:a", "aac", "-b:a", "64k"]),
    "mkv": ("matroska", ["-c:v", "libx264", "-preset", "ultrafast"], ["-c:a", "libmp3lame", "-b:a", "64k"]),
    "webm": ("webm", ["-c:v", "libvpx", "-deadline", "realtime", "-b:v", "100k"], ["-c:a", "libopus"]),
}


def ffmpeg_path() -> str:
    return resolve_binaries(Settings()).ffmpeg


def ffprobe_path() -> str:
    return resolve_binaries(Settings()).ffprobe


def run_ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def _fmt(path: Path, fmt: str | None) -> str:
    return fmt or path.suffix.lstrip(".").lower()


def _silence_filter(gaps: Sequence[tuple[float, float]]) -> str:
    """A volume filter muting each (start, duration) gap, so silencedetect finds exactly those."""
    if not gaps:
        return "anull"
    spans = "+".join(f"between(t,{start},{start + length})" for start, length in gaps)
    return f"volume=0:enable='{spans}'"


def make_audio(
    path: Path,
    seconds: float,
    *,
    fmt: str | None = None,
    gaps: Sequence[tuple[float, float]] = (),
    frequency: int = 440,
    noise: bool = False,
    sample_rate: int = 22050,
    channels: int = 1,
    bitrate: str | None = None,
    vbr_quality: int | None = None,
) -> Path:
    """A tone (or pink noise) of ``seconds``, silent during each (start, duration) in ``gaps``.

    ``vbr_quality`` (0 best .. 9) makes a variable-bitrate mp3: silence then costs far fewer bytes
    per second than noise, which defeats any size estimate from the average bitrate.
    """
    muxer, codec = AUDIO_FORMATS[_fmt(path, fmt)]
    if bitrate:
        codec = [*codec[:2], "-b:a", bitrate]
    elif vbr_quality is not None:
        codec = [*codec[:2], "-q:a", str(vbr_quality)]
    source = (
        f"anoisesrc=d={seconds}:c=pink:r={sample_rate}:a=0.3:seed=7"
        if noise
        else f"sine=f={frequency}:d={seconds}:r={sample_rate}"
    )
    run_ffmpeg(
        "-f", "lavfi", "-i", source,
        "-af", _silence_filter(gaps), "-ac", str(channels), *codec, "-f", muxer, str(path),
    )  # fmt: skip
    return path


def make_silence(path: Path, seconds: float, *, fmt: str | None = None) -> Path:
    muxer, codec = AUDIO_FORMATS[_fmt(path, fmt)]
    run_ffmpeg(
        "-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-t", str(seconds), *codec, "-f", muxer, str(path)
    )  # fmt: skip
    return path


def make_speech_like(
    path: Path, seconds: float, *, bitrate: str = "128k", channels: int = 2, sample_rate: int = 44100
) -> Path:
    """Pitch-changing tone bursts of 3.5 s separated by 0.5 s of silence: the rhythm of speech.

    Benchmarks use it for long recordings; the regular pauses give the silence-aware cut planner
    something to find near every boundary.
    """
    expression = "sin(2*PI*(220+60*mod(floor(t/4),5))*t)*0.5*gte(mod(t,4),0.5)"
    run_ffmpeg(
        "-f", "lavfi", "-i", f"aevalsrc=exprs='{expression}':s={sample_rate}:d={seconds}",
        "-ac", str(channels), "-c:a", "libmp3lame", "-b:a", bitrate, "-f", "mp3", str(path),
    )  # fmt: skip
    return path


def make_video(
    path: Path, seconds: float, *, audio: bool = True, fmt: str | None = None, frequency: int = 440
) -> Path:
    """A small test-pattern video, with a tone track unless ``audio`` is False."""
    muxer, video_codec, audio_codec = VIDEO_FORMATS[_fmt(path, fmt)]
    inputs = ["-f", "lavfi", "-i", f"testsrc=size=96x64:rate=10:duration={seconds}"]
    if audio:
        inputs += ["-f", "lavfi", "-i", f"sine=f={frequency}:d={seconds}:r=22050"]
    codecs = [*video_codec, *(audio_codec if audio else [])]
    run_ffmpeg(*inputs, *codecs, "-pix_fmt", "yuv420p", "-f", muxer, str(path))
    return path


def make_image(path: Path, *, fmt: str = "png") -> Path:
    """A single still frame (png, mjpeg→jpeg, gif or webp) that ffprobe would call a video."""
    codec = {"png": "png", "jpeg": "mjpeg", "gif": "gif", "webp": "libwebp"}[fmt]
    muxer = {"png": "image2", "jpeg": "image2", "gif": "gif", "webp": "webp"}[fmt]
    run_ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=64x48:rate=1:duration=1", "-frames:v", "1",
        "-c:v", codec, "-update", "1", "-f", muxer, str(path),
    )  # fmt: skip
    return path


def make_audio_with_cover(path: Path, seconds: float) -> Path:
    """An mp3 whose ID3 tag carries album art: ffprobe lists the picture as a video stream."""
    cover = path.with_name(path.stem + "-cover.png")
    make_image(cover)
    run_ffmpeg(
        "-f", "lavfi", "-i", f"sine=f=440:d={seconds}:r=22050", "-i", str(cover),
        "-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame", "-b:a", "64k", "-c:v", "copy",
        "-disposition:v", "attached_pic", "-id3v2_version", "3", "-f", "mp3", str(path),
    )  # fmt: skip
    cover.unlink()
    return path


def make_text(path: Path, text: str = "Meeting notes\nNothing to hear here.\n") -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def make_garbage(path: Path, size: int = 64 * 1024, *, seed: int = 3) -> Path:
    """Random bytes that no demuxer recognises (seeded, so every run sees the same bytes)."""
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def make_truncated(source: Path, path: Path, *, keep: float = 0.5) -> Path:
    """The first ``keep`` share of ``source``: an upload cut short."""
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def describe(path: Path) -> dict[str, Any]:
    """ffprobe's format and streams JSON, for asserting on what a step produced."""
    argv = [ffprobe_path(), "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)]
    described: dict[str, Any] = json.loads(subprocess.run(argv, check=True, capture_output=True).stdout)
    return described


def duration_of(path: Path) -> float:
    return float(describe(path)["format"]["duration"])
