"""Prepare audio: convert (or extract from video) to mp3, split into chunks, upload them.

The state receives one tiny entry per chunk (key, offset, duration, size), never audio, so even a
job with hundreds of chunks stays far below the 256 KB payload limit.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from mediascribe.media.chunks import AudioChunk
from mediascribe.media.split import split_audio_file
from mediascribe.storage import JobKeys
from mediascribe.transcription.catalog import chunk_byte_limit, model_spec
from mediascribe.transcription.speakers import planning_settings
from mediascribe.workflow.contracts import ChunkEntry, PrepareRequest, PrepareResult
from mediascribe.workflow.runtime import Runtime
from mediascribe.workflow.source import display_name, download_source
from mediascribe.workspace import job_workspace

logger = logging.getLogger(__name__)

PREPARED_PROGRESS = 20
UPLOAD_THREADS = 8


def prepare(runtime: Runtime, request: PrepareRequest) -> PrepareResult:
    settings = runtime.settings
    job_id = request.job_id
    keys = runtime.store.job_keys(job_id)
    filename = display_name(request.key)
    # The enclosing workspace keeps the chunk files alive until they are uploaded.
    with job_workspace(settings.temp_dir, job_id) as workspace:
        source = download_source(runtime.store, request.bucket, request.key, workspace)
        # Chunks are planned within the configured model's duration cap, so no request is refused for it.
        spec = model_spec(settings)
        chunks = asyncio.run(
            split_audio_file(
                source,
                chunk_byte_limit(settings, spec),
                filename,
                job_id,
                settings=planning_settings(settings, spec),
                model_max_seconds=spec.max_audio_seconds,
            )
        )
        # Results of an earlier attempt belong to its chunking; a re-run must not reuse them.
        runtime.store.delete_prefix(keys, keys.results_prefix)
        entries = _upload_chunks(runtime, keys, chunks)
    runtime.jobs.set_chunk_total(job_id, len(entries))
    runtime.jobs.update_progress(job_id, PREPARED_PROGRESS, "transcribing chunks")
    logger.info("audio prepared", extra={"chunk_count": len(entries)})
    return PrepareResult(chunk_count=len(entries), chunks=entries)


def _upload_chunks(runtime: Runtime, keys: JobKeys, chunks: list[AudioChunk]) -> list[ChunkEntry]:
    """Upload concurrently: hundreds of sequential PUTs would dominate the step for long files."""

    def upload(chunk: AudioChunk) -> ChunkEntry:
        key = runtime.store.upload_file(keys, keys.chunk(chunk.index), chunk.path, "audio/mpeg")
        return ChunkEntry(
            key=key,
            offset=round(chunk.start_seconds, 3),
            duration=round(chunk.duration_seconds, 3),
            size=chunk.size_bytes,
        )

    ordered = sorted(chunks, key=lambda chunk: chunk.index)
    with ThreadPoolExecutor(max_workers=UPLOAD_THREADS) as pool:
        return list(pool.map(upload, ordered))
