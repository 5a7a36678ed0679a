"""Transcribing chunks: one (the workflow's Map item) or many at once with bounded concurrency."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from mediascribe.errors import ChunkVerificationError, ConfigurationError
from mediascribe.transcription.engine import TranscriptionEngine
from mediascribe.transcription.models import ChunkTranscript

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


async def transcribe_chunk(
    engine: TranscriptionEngine,
    index: int,
    path: Path,
    offset_seconds: float,
    *,
    duration_seconds: float | None = None,
) -> ChunkTranscript:
    """Transcribe one chunk file at ``offset_seconds`` into the source.

    ``duration_seconds`` is the chunk's length as the media step measured it; without it the
    engine's own figure is used (text-only models report none, and their captions then span up to
    the next chunk).
    """
    result = await engine.transcribe_file(Path(path))
    logger.info(
        "chunk transcribed",
        extra={"chunk_index": index, "engine": engine.name, "chars": len(result.text)},
    )
    # The media step's measurement is what the offsets were computed from, so it wins when given.
    duration = duration_seconds if duration_seconds is not None else result.duration_seconds
    return ChunkTranscript(
        index=index,
        text=result.text.strip(),
        segments=result.segments,
        duration_seconds=duration,
        offset_seconds=offset_seconds,
        engine=engine.name,
        model=engine.model,
    )


async def transcribe_chunks(
    engine: TranscriptionEngine, chunks: Sequence[ChunkFile], max_concurrency: int
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
            )

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(chunk)) for chunk in chunks]
    except BaseExceptionGroup as failures:
        first = _first_leaf(failures)
        logger.warning(
            "chunk transcription failed; remaining chunks cancelled",
            extra={"error": type(first).__name__, "chunks": len(chunks)},
        )
        raise first from None
    return sorted((task.result() for task in tasks), key=lambda t: t.index)


def _first_leaf(group: BaseExceptionGroup) -> BaseException:
    """The error that made the group cancel the rest (the group lists errors in arrival order)."""
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first
