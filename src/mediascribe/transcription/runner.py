"""Transcribing chunks: one (the workflow's Map item) or many at once with bounded concurrency."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from mediascribe.config import Settings
from mediascribe.errors import ChunkVerificationError, ConfigurationError
from mediascribe.media.binaries import resolve_binaries
from mediascribe.transcription.catalog import model_spec
from mediascribe.transcription.chunk_result import finished_chunk
from mediascribe.transcription.cues import shape_cues
from mediascribe.transcription.engine import TranscriptionEngine
from mediascribe.transcription.models import ChunkTranscript, EngineResult, Segment
from mediascribe.transcription.speech import (
    Cut,
    SpeechRegion,
    cut_pieces,
    detect_speech,
    piece_suffix,
    speech_seconds,
)
from mediascribe.transcription.timing import Piece, on_speech, plan_pieces, segments_from_text

T = TypeVar("T")
WHOLE_CHUNK_SLACK_SECONDS = 1.0

logger = logging.getLogger(__name__)


class ChunkFile(Protocol):
    """The fields of ``mediascribe.media.chunks.AudioChunk`` this module reads."""

    @property
    def index(self) -> int: ...

    @property
    def path(self) -> Path: ...

    @property
    def start_seconds(self) -> float: ...

    @property
    def duration_seconds(self) -> float: ...


@dataclass(frozen=True)
class SpeechTiming:
    """How a chunk's speech is found and timed (see ``transcription.timing``).

    With ``engine_timestamps`` the chunk goes to the engine whole and its own segment and word times
    are kept (moved onto the speech). Without, the chunk's speech goes as pieces of at most
    ``max_piece_seconds`` (at most ``max_concurrent_pieces`` in flight) and each piece's text is timed
    from its speech regions: exact at every pause, where API segment times start up to a second early.
    A chunk of the default 600 s makes about 22 pieces, so 24 in flight send them all at once: the
    chunk then waits for its longest piece, not for rounds of them.
    """

    ffmpeg: str
    engine_timestamps: bool
    max_piece_seconds: float = 30.0
    max_concurrent_pieces: int = 24


def speech_timing(settings: Settings) -> SpeechTiming:
    """The timing for the configured model.

    Engines with word timings (offline, Amazon) and speaker-labelling models keep their own times
    (pieces would lose the words, or renumber the speakers per piece). OpenAI's segment times start up
    to a second early (measured in ``bench/bench_caption_timing.py``), and a request costs the same
    per audio second whatever its length, so OpenAI models get pieces.
    """
    spec = model_spec(settings)
    whole = spec.returns_timestamps and (spec.engine != "openai" or spec.returns_speakers)
    return SpeechTiming(ffmpeg=resolve_binaries(settings).ffmpeg, engine_timestamps=whole)


async def transcribe_chunk(
    engine: TranscriptionEngine,
    index: int,
    path: Path,
    offset_seconds: float,
    *,
    duration_seconds: float | None = None,
    timing: SpeechTiming | None = None,
) -> ChunkTranscript:
    """Transcribe one chunk file at ``offset_seconds`` into the source.

    ``duration_seconds`` is the chunk's length as the media step measured it; without it the
    engine's own figure is used (text-only models report none, and their captions then span up to
    the next chunk). With ``timing`` the chunk's speech is found first: a chunk without speech is
    never sent to the engine, and the segments are placed on the speech and cut into cues.
    """
    result: EngineResult | None
    if timing is None:
        result = await engine.transcribe_file(Path(path))
        text, segments, speech = result.text.strip(), result.segments, None
        sent = Sent(1, _whole_seconds(duration_seconds, result))
    else:
        regions = await asyncio.to_thread(detect_speech, Path(path), timing.ffmpeg)
        speech = speech_seconds(regions)
        text, segments, result, sent = await _timed_transcription(
            engine, Path(path), regions, timing, duration_seconds
        )
    return finished_chunk(
        engine_name=engine.name,
        model=engine.model,
        index=index,
        text=text,
        segments=segments,
        measured_seconds=duration_seconds,
        reported_seconds=result.duration_seconds if result is not None else None,
        offset_seconds=offset_seconds,
        speech_seconds=speech,
        requests=sent.requests,
        sent_seconds=sent.seconds,
    )


@dataclass(frozen=True)
class Sent:
    """The engine requests a chunk took and the seconds of audio they carried."""

    requests: int
    seconds: float


def _whole_seconds(duration: float | None, result: EngineResult) -> float:
    """The length of a chunk sent whole: the media step's measurement, else the engine's figure."""
    if duration is not None:
        return duration
    return result.duration_seconds or 0.0


async def _timed_transcription(
    engine: TranscriptionEngine,
    path: Path,
    regions: Sequence[SpeechRegion],
    timing: SpeechTiming,
    duration: float | None,
) -> tuple[str, tuple[Segment, ...], EngineResult | None, Sent]:
    """Text, cue-shaped segments on the speech, the engine's whole-chunk result if it had one, and
    what was sent."""
    if not regions:
        return "", (), None, Sent(0, 0.0)
    if timing.engine_timestamps:
        result = await engine.transcribe_file(path)
        segments = list(result.segments)
        if not segments and result.text.strip():
            segments = segments_from_text(result.text, regions)
        cues = on_speech(shape_cues(on_speech(segments, regions)), regions)
        sent = Sent(1, _whole_seconds(duration, result))
        return " ".join(cue.text for cue in cues), tuple(cues), result, sent
    end = duration if duration is not None else regions[-1].end
    pieces = plan_pieces(regions, end, max_seconds=timing.max_piece_seconds)
    segments, sent = await _transcribe_pieces(engine, path, pieces, timing, end)
    cues = on_speech(shape_cues(segments), regions)
    return " ".join(cue.text for cue in cues), tuple(cues), None, sent


async def _transcribe_pieces(
    engine: TranscriptionEngine, path: Path, pieces: Sequence[Piece], timing: SpeechTiming, duration: float
) -> tuple[list[Segment], Sent]:
    """Each piece as its own request (bounded concurrency), its text spread over its regions.

    All pieces are cut first, in one ffmpeg pass, each into a folder of its own under the chunk's
    file stem, so every request looks like the chunk it came from; a single piece that leaves out
    less than ``WHOLE_CHUNK_SLACK_SECONDS`` of the chunk is sent as the chunk file itself (cutting
    would save too little to pay for it).
    """
    semaphore = asyncio.Semaphore(timing.max_concurrent_pieces)
    whole = sends_whole(pieces, duration)

    async def one(piece: Piece, audio: Path) -> list[Segment]:
        async with semaphore:
            result = await engine.transcribe_file(audio)
        relative = [SpeechRegion(r.start - piece.start, r.end - piece.start) for r in piece.regions]
        return segments_from_text(result.text, relative, offset=piece.start)

    with tempfile.TemporaryDirectory(prefix="pieces-", dir=path.parent) as folder:
        files = [path] if whole else _piece_files(path, pieces, Path(folder))
        if not whole:
            cuts = [Cut(piece.start, piece.end, file) for piece, file in zip(pieces, files, strict=True)]
            await asyncio.to_thread(cut_pieces, path, cuts, timing.ffmpeg)
        results = await _first_failure_raised(
            [one(piece, file) for piece, file in zip(pieces, files, strict=True)]
        )
    return [segment for segments in results for segment in segments], _pieces_sent(pieces, duration)


def sends_whole(pieces: Sequence[Piece], duration: float) -> bool:
    """A single piece that leaves out less than ``WHOLE_CHUNK_SLACK_SECONDS`` is the chunk itself."""
    return len(pieces) == 1 and duration - (pieces[0].end - pieces[0].start) < WHOLE_CHUNK_SLACK_SECONDS


def _pieces_sent(pieces: Sequence[Piece], duration: float) -> Sent:
    seconds = duration if sends_whole(pieces, duration) else sum(p.end - p.start for p in pieces)
    return Sent(len(pieces), round(seconds, 3))


def planned_sent(regions: Sequence[SpeechRegion], duration: float, timing: SpeechTiming) -> Sent:
    """What the chunk step sends for a chunk of ``duration`` with these speech regions: nothing
    without speech, the whole chunk to an engine that keeps its own times, else its pieces."""
    if not regions:
        return Sent(0, 0.0)
    if timing.engine_timestamps:
        return Sent(1, duration)
    return _pieces_sent(plan_pieces(regions, duration, max_seconds=timing.max_piece_seconds), duration)


def _piece_files(path: Path, pieces: Sequence[Piece], folder: Path) -> list[Path]:
    """Where each piece is cut to: ``<folder>/piece-<n>/<chunk stem><suffix>``."""
    files = []
    for number, piece in enumerate(pieces):
        target = folder / f"piece-{number:04d}" / (path.stem + piece_suffix(piece.end - piece.start))
        target.parent.mkdir()
        files.append(target)
    return files


async def transcribe_chunks(
    engine: TranscriptionEngine,
    chunks: Sequence[ChunkFile],
    max_concurrency: int,
    *,
    timing: SpeechTiming | None = None,
) -> list[ChunkTranscript]:
    """Transcribe all chunks concurrently (at most ``max_concurrency`` in flight), ordered by index.

    The first failure cancels the chunks still running and is raised as itself (not wrapped in an
    ``ExceptionGroup``) so callers and the state machine see the typed error; there is never a
    partial result.
    """
    if max_concurrency < 1:
        raise ConfigurationError("max_concurrency must be at least 1")
    indexes = [chunk.index for chunk in chunks]
    if len(set(indexes)) != len(indexes):
        raise ChunkVerificationError(f"duplicate chunk indexes in {sorted(indexes)}")
    semaphore = asyncio.Semaphore(max_concurrency)

    async def one(chunk: ChunkFile) -> ChunkTranscript:
        async with semaphore:
            return await transcribe_chunk(
                engine,
                chunk.index,
                chunk.path,
                chunk.start_seconds,
                duration_seconds=chunk.duration_seconds,
                timing=timing,
            )

    try:
        results = await _first_failure_raised([one(chunk) for chunk in chunks])
    except Exception as first:
        logger.warning(
            "chunk transcription failed; remaining chunks cancelled",
            extra={"error": type(first).__name__, "chunks": len(chunks)},
        )
        raise
    return sorted(results, key=lambda t: t.index)


async def _first_failure_raised(coroutines: Sequence[Coroutine[Any, Any, T]]) -> list[T]:
    """Run all at once; the first failure cancels the rest and is raised as itself (not wrapped in
    an ``ExceptionGroup``), so callers and the state machine see the typed error."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(coroutine) for coroutine in coroutines]
    except BaseExceptionGroup as failures:
        raise _first_leaf(failures) from None
    return [task.result() for task in tasks]


def _first_leaf(group: BaseExceptionGroup) -> BaseException:
    """The error that made the group cancel the rest (the group lists errors in arrival order)."""
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first
