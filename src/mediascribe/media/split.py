"""Splitting media into API-sized mp3 chunks: convert (or extract a video's audio), then cut.

Everything happens inside the job's workspace (``<temp_dir>/<job_id>/``). Chunk files live in its
``chunks/`` folder and exist only while a caller holds an enclosing ``job_workspace`` for the same job
(the prepare step does, to upload them); intermediate files are removed as soon as the call ends.
mp3 input is cut by stream copy at frame boundaries; anything else is encoded first (``encode``).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ffmpeg

from mediascribe.config import Settings
from mediascribe.errors import (
    ChunkVerificationError,
    ConfigurationError,
    MediaTooLongError,
    NoAudioStreamError,
    SourceObjectMissingError,
    UnsupportedMediaError,
)
from mediascribe.ids import safe_basename
from mediascribe.media.binaries import resolve_binaries
from mediascribe.media.chunks import AudioChunk, chunk_name
from mediascribe.media.cut_planning import (
    chunk_seconds_budget,
    chunk_seconds_for,
    estimated_chunk_count,
    plan_cuts,
    silence_finder,
)
from mediascribe.media.encode import encode_mp3, is_mp3
from mediascribe.media.probe import MediaInfo, MediaType, probe_media
from mediascribe.media.process import probe_json, run_tool
from mediascribe.workspace import job_workspace

logger = logging.getLogger(__name__)

MIN_CHUNK_SIZE_BYTES = 16 * 1024
DURATION_TOLERANCE_SECONDS = 0.1
# A chunk that still comes out too big is re-cut this many times with a proportionally shorter budget.
MAX_SPLIT_ATTEMPTS = 3
SIZE_MARGIN_RETRY = 0.97
PROBE_CONCURRENCY = 4


async def split_audio_file(
    source: Path,
    max_chunk_size_bytes: int,
    filename: str,
    job_id: str,
    *,
    settings: Settings,
    model_max_seconds: float | None = None,
) -> list[AudioChunk]:
    """Chunks ``<filename>_audio_<i>.mp3`` of at most ``max_chunk_size_bytes`` each, in order.

    No chunk is longer than ``settings.chunk_target_seconds``, nor than the transcription model's
    duration cap ``model_max_seconds`` less a safety margin.

    ``source`` is streamed by ffmpeg, never loaded; ``filename`` is the name people know the file by
    (used in chunk names and in errors). Non-mp3 audio, and the audio track of a video, is encoded
    first; a video without audio raises NoAudioStreamError.
    """
    # The upper bound is the engine's (see ``catalog.chunk_byte_limit``); below this, headers dominate.
    if max_chunk_size_bytes < MIN_CHUNK_SIZE_BYTES:
        raise ConfigurationError(f"max_chunk_size_bytes must be at least {MIN_CHUNK_SIZE_BYTES}")
    base = safe_basename(filename)
    with job_workspace(settings.temp_dir, job_id) as workspace, _scratch_dir(workspace) as scratch:
        input_path = _existing_file(source, filename)
        logger.info("processing media", extra={"path": str(input_path), "file": filename, "job_id": job_id})
        info = await probe_media(input_path, settings=settings, filename=filename)
        _require_audio(info, filename)
        _guard_duration(info, settings, filename)
        mp3 = input_path
        if not is_mp3(info):
            mp3 = scratch / "audio.mp3"
            await encode_mp3(input_path, mp3, settings, filename=filename)
        return await _split_mp3(
            mp3,
            max_chunk_size_bytes,
            base,
            workspace / "chunks",
            scratch,
            settings,
            filename,
            model_max_seconds,
        )


# The seed's name for the same call: encoding maps a video's first audio track like any audio file's.
extract_audio_from_video_and_split = split_audio_file


@contextmanager
def _scratch_dir(workspace: Path) -> Iterator[Path]:
    """A private folder for one call's intermediates, removed when the call ends however it ends."""
    scratch = workspace / f"scratch-{uuid.uuid4().hex[:12]}"
    scratch.mkdir()
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _existing_file(source: Path, filename: str) -> Path:
    path = Path(source).resolve()
    if not path.is_file():
        raise SourceObjectMissingError(filename, "the file does not exist")
    return path


def _require_audio(info: MediaInfo, filename: str) -> None:
    if info.has_audio:
        return
    if info.media_type is MediaType.VIDEO:
        raise NoAudioStreamError(filename, "the video has no audio stream")
    raise UnsupportedMediaError(
        filename, f"{info.media_type} content has nothing to transcribe", str(info.media_type)
    )


def _guard_duration(info: MediaInfo, settings: Settings, filename: str) -> None:
    if info.duration_seconds and info.duration_seconds > settings.max_duration_seconds:
        raise MediaTooLongError(
            filename,
            f"{info.duration_seconds:.0f} s is longer than the configured maximum "
            f"({settings.max_duration_seconds:.0f} s)",
        )


async def _split_mp3(
    mp3: Path,
    limit: int,
    base: str,
    chunk_dir: Path,
    scratch: Path,
    settings: Settings,
    filename: str,
    model_max_seconds: float | None,
) -> list[AudioChunk]:
    binaries = resolve_binaries(settings)
    description = await probe_json(binaries.ffprobe, str(mp3), filename=filename)
    duration = float(description["format"]["duration"])
    bytes_per_second = _audio_bytes_per_second(description, mp3, duration)
    chunk_seconds = chunk_seconds_budget(
        duration,
        chunk_seconds_for(limit, bytes_per_second),
        target_seconds=settings.chunk_target_seconds,
        model_max_seconds=model_max_seconds,
    )
    find_silence = silence_finder(binaries.ffmpeg, str(mp3), filename=filename)

    for attempt in range(1, MAX_SPLIT_ATTEMPTS + 1):
        if estimated_chunk_count(duration, chunk_seconds) > settings.max_chunks:
            raise MediaTooLongError(
                filename, f"it would need more than the configured maximum of {settings.max_chunks} chunks"
            )
        cuts = await plan_cuts(duration, chunk_seconds, find_silence)
        segments = await _segment(mp3, cuts, scratch / f"attempt-{attempt}", binaries.ffmpeg, filename)
        largest = max(path.stat().st_size for path in segments)
        if largest <= limit:
            chunks = await _publish(segments, base, chunk_dir, binaries.ffprobe, filename)
            _verify_chunks(chunks, limit, duration, model_max_seconds)
            return chunks
        logger.warning(
            "a chunk came out over the limit; cutting shorter",
            extra={"largest": largest, "limit": limit, "attempt": attempt},
        )
        chunk_seconds *= limit * SIZE_MARGIN_RETRY / largest
    raise ChunkVerificationError(f"{filename}: could not keep chunks under {limit} bytes")


def _audio_bytes_per_second(description: dict[str, Any], mp3: Path, duration: float) -> float:
    """The audio byte rate: the stream's bit rate when known, so tags and cover art do not count."""
    streams = [s for s in description.get("streams", []) if s.get("codec_type") == "audio"]
    bit_rate = streams[0].get("bit_rate") if streams else None
    if bit_rate and str(bit_rate).isdigit() and int(bit_rate) > 0:
        return int(bit_rate) / 8
    return mp3.stat().st_size / duration


async def _segment(
    mp3: Path, cuts: list[float], out_dir: Path, ffmpeg_binary: str, filename: str
) -> list[Path]:
    """Stream-copy ``mp3`` into pieces at ``cuts`` (each piece starts at the first frame at/after a cut)."""
    out_dir.mkdir()  # noqa: ASYNC240 - one directory entry, not worth a thread
    options: dict[str, object] = {"map": "0:a:0", "c": "copy", "map_metadata": -1}
    if cuts:
        options |= {"f": "segment", "segment_times": ",".join(f"{c:.3f}" for c in cuts)}
        target = str(out_dir / "part-%05d.mp3")
    else:
        target = str(out_dir / "part-00000.mp3")
    argv = (
        ffmpeg.input(str(mp3))
        .output(target, **options)
        .global_args("-hide_banner", "-nostats")
        .overwrite_output()
        .compile(cmd=ffmpeg_binary)
    )
    await run_tool(argv, filename=filename)
    return sorted(out_dir.glob("part-*.mp3"))  # noqa: ASYNC240 - lists a handful of names


async def _publish(
    segments: list[Path], base: str, chunk_dir: Path, ffprobe: str, filename: str
) -> list[AudioChunk]:
    """Move the pieces to their final names and read each one's real duration."""
    chunk_dir.mkdir(exist_ok=True)  # noqa: ASYNC240 - one directory entry
    limiter = asyncio.Semaphore(PROBE_CONCURRENCY)

    async def duration_of(path: Path) -> float:
        async with limiter:
            description = await probe_json(ffprobe, str(path), filename=filename)
        return float(description["format"]["duration"])

    durations = await asyncio.gather(*(duration_of(path) for path in segments))
    chunks = []
    start = 0.0
    for index, (segment, duration) in enumerate(zip(segments, durations, strict=True)):
        name = chunk_name(base, index)
        path = chunk_dir / name
        segment.replace(path)
        logger.info("wrote chunk", extra={"path": str(path), "index": index, "duration": duration})
        chunks.append(AudioChunk(index, path, name, path.stat().st_size, round(start, 6), duration))
        start += duration
    return chunks


def _verify_chunks(
    chunks: list[AudioChunk], limit: int, source_duration: float, model_max_seconds: float | None
) -> None:
    """Refuse a split that lost audio or broke the size or duration limit before anyone uploads it."""
    if not chunks:
        raise ChunkVerificationError("splitting produced no chunks")
    for chunk in chunks:
        if not chunk.path.is_file():
            raise ChunkVerificationError(f"chunk {chunk.name} is missing")
        if chunk.path.stat().st_size > limit:
            raise ChunkVerificationError(f"chunk {chunk.name} is {chunk.size_bytes} bytes, over {limit}")
        if model_max_seconds is not None and chunk.duration_seconds > model_max_seconds:
            raise ChunkVerificationError(
                f"chunk {chunk.name} lasts {chunk.duration_seconds:.1f} s, "
                f"over the model's {model_max_seconds:.0f} s"
            )
    total = sum(chunk.duration_seconds for chunk in chunks)
    if abs(total - source_duration) > DURATION_TOLERANCE_SECONDS:
        raise ChunkVerificationError(
            f"chunks add up to {total:.3f} s but the source lasts {source_duration:.3f} s"
        )
