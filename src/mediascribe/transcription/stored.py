"""Transcribing a chunk that the engine reads from S3 itself: nothing is downloaded into the function."""

from __future__ import annotations

from mediascribe.transcription.chunk_result import finished_chunk
from mediascribe.transcription.cues import shape_cues
from mediascribe.transcription.engine import StoredAudio, StoredAudioEngine
from mediascribe.transcription.models import ChunkTranscript


async def transcribe_stored_chunk(
    engine: StoredAudioEngine,
    index: int,
    audio: StoredAudio,
    offset_seconds: float,
    *,
    duration_seconds: float | None = None,
) -> ChunkTranscript:
    """The chunk at ``audio`` as cue-shaped segments with the engine's own word times and speakers.

    The engine's word times are what the cues are cut along (there is no local audio to find the
    speech in), and its segments span only words, so ``speech_seconds`` is their total length.
    """
    result = await engine.transcribe_stored(audio)
    cues = tuple(shape_cues(result.segments))
    text = " ".join(cue.text for cue in cues) if cues else result.text.strip()
    speech = round(sum(s.end - s.start for s in result.segments), 3)
    return finished_chunk(
        engine_name=engine.name,
        model=engine.model,
        index=index,
        text=text,
        segments=cues,
        measured_seconds=duration_seconds,
        reported_seconds=result.duration_seconds,
        offset_seconds=offset_seconds,
        speech_seconds=speech,
        requests=1,
        sent_seconds=duration_seconds if duration_seconds is not None else result.duration_seconds or 0.0,
    )
