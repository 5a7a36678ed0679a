"""Transcribe chunk: one Map item. The transcript goes to S3; the state gets only its key."""

from __future__ import annotations

import asyncio
import logging

from mediascribe.errors import InvalidObjectKeyError
from mediascribe.storage import JobKeys
from mediascribe.transcription.engine import StoredAudio, StoredAudioEngine, TranscriptionEngine
from mediascribe.transcription.models import ChunkTranscript
from mediascribe.transcription.runner import speech_timing, transcribe_chunk
from mediascribe.transcription.stored import transcribe_stored_chunk
from mediascribe.workflow.contracts import ChunkEntry, ChunkRequest, ChunkResult
from mediascribe.workflow.runtime import Runtime
from mediascribe.workspace import job_workspace

logger = logging.getLogger(__name__)


def transcribe_one_chunk(runtime: Runtime, request: ChunkRequest) -> ChunkResult:
    job_id, index, chunk = request.job_id, request.index, request.chunk
    keys = runtime.store.job_keys(job_id)
    chunk_key = keys.chunk(index)
    if chunk.key != chunk_key:
        # The item must name this job's chunk for this position; anything else is a forged input.
        raise InvalidObjectKeyError(f"chunk {index} of job {job_id} must be {chunk_key!r}")
    result_key = keys.chunk_result(index)
    if runtime.store.exists(keys, result_key):
        # A retry after the step died between storing the transcript and returning: don't pay twice.
        logger.info("chunk already transcribed", extra={"chunk_index": index})
    else:
        _transcribe_to_s3(runtime, keys, index, chunk, result_key)
    runtime.jobs.chunk_finished(job_id, index)
    return ChunkResult(index=index, result_key=result_key)


def _transcribe_to_s3(
    runtime: Runtime, keys: JobKeys, index: int, chunk: ChunkEntry, result_key: str
) -> None:
    engine = runtime.engine()
    if isinstance(engine, StoredAudioEngine) and runtime.settings.transcription_audio_delivery == "s3":
        # The service reads the chunk (checked above to be this job's) from the bucket itself.
        audio = StoredAudio(runtime.store.bucket, chunk.key)
        transcript = asyncio.run(
            transcribe_stored_chunk(engine, index, audio, chunk.offset, duration_seconds=chunk.duration)
        )
    else:
        transcript = _transcribe_downloaded(runtime, engine, keys, index, chunk)
    runtime.store.put_json(keys, result_key, transcript.to_dict())


def _transcribe_downloaded(
    runtime: Runtime, engine: TranscriptionEngine, keys: JobKeys, index: int, chunk: ChunkEntry
) -> ChunkTranscript:
    with job_workspace(runtime.settings.temp_dir, keys.job_id) as workspace:
        path = runtime.store.download(chunk.key, workspace / f"chunk-{index:05d}.mp3")
        transcript = asyncio.run(
            transcribe_chunk(
                engine,
                index,
                path,
                chunk.offset,
                duration_seconds=chunk.duration,
                timing=speech_timing(runtime.settings),
            )
        )
        path.unlink()
    return transcript
