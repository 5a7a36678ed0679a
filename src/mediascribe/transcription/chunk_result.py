"""The end of every chunk transcription, whichever way the audio reached the engine."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from mediascribe.transcription.models import ChunkTranscript, Segment

logger = logging.getLogger(__name__)


def finished_chunk(
    *,
    engine_name: str,
    model: str,
    index: int,
    text: str,
    segments: Sequence[Segment],
    measured_seconds: float | None,
    reported_seconds: float | None,
    offset_seconds: float,
    speech_seconds: float | None,
    requests: int,
    sent_seconds: float,
) -> ChunkTranscript:
    """The chunk's transcript, logged once with what an operator looks for (never the text itself).

    The chunk's length is the media step's measurement when there is one, since the offsets were
    computed from it; the engine's own figure only stands in for it.
    """
    logger.info(
        "chunk transcribed",
        extra={
            "chunk_index": index,
            "engine": engine_name,
            "chars": len(text),
            "speech_seconds": speech_seconds,
            "requests": requests,
            "sent_seconds": sent_seconds,
        },
    )
    return ChunkTranscript(
        index=index,
        text=text,
        segments=tuple(segments),
        duration_seconds=measured_seconds if measured_seconds is not None else reported_seconds,
        offset_seconds=offset_seconds,
        engine=engine_name,
        model=model,
        speech_seconds=speech_seconds,
        requests=requests,
        sent_seconds=sent_seconds,
    )
