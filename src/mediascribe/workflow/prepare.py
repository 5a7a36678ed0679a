"""Prepare audio: convert (or extract from video) to mp3, split into chunks, upload them.

The state receives one tiny entry per chunk (key, offset, duration, size), never audio, so even a
job with hundreds of chunks stays far below the 256 KB payload limit.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mediascribe.media.chunks import AudioChunk
from mediascribe.media.split import split_audio_file
from mediascribe.storage import JobKeys
from mediascribe.workflow.runtime import Runtime
from mediascribe.workflow.source import display_name, download_source
from mediascribe.workspace import job_workspace

logger = logging.getLogger(__name__)

PREPARED_PROGRESS = 20
UPLOAD_THREADS = 8


def prepare(runtime: Runtime, *, job_id: str, bucket: str, key: str, media_type: str) -> dict[str, Any]:
    settings = runtime.settings
    keys = runtime.store.job_keys(job_id)
    filename = display_name(key)
    # The enclosing workspace keeps the chunk files alive until they are uploaded.
    with job_workspace(settings.temp_dir, job_id) as workspace:
        source = download_source(runtime.store, bucket, key, workspace)
        chunks = asyncio.run(
            split_audio_file(source, settings.max_chunk_size_bytes, filename, job_id, settings=settings)
        )
        # Results of an earlier attempt belong to its chunking; a re-run must not reuse them.
        runtime.store.delete_prefix(keys, keys.results_prefix)
        entries = _upload_chunks(runtime, keys, chunks)
    runtime.jobs.set_chunk_total(job_id, len(entries))
    runtime.jobs.update_progress(job_id, PREPARED_PROGRESS, "transcribing chunks")
    logger.info("audio prepared", extra={"chunk_count": len(entries)})
    return {"chunk_count": len(entries), "chunks": entries}


def _upload_chunks(runtime: Runtime, keys: JobKeys, chunks: list[AudioChunk]) -> list[dict[str, Any]]:
    """Upload concurrently: hundreds of sequential PUTs would dominate the step for long files."""

    def upload(chunk: AudioChunk) -> dict[str, Any]:
        key = runtime.store.upload_file(keys, keys.chunk(chunk.index), chunk.path, "audio/mpeg")
        return {
            "key": key,
            "offset": round(chunk.start_seconds, 3),
            "duration": round(chunk.duration_seconds, 3),
            "size": chunk.size_bytes,
        }

    ordered = sorted(chunks, key=lambda chunk: chunk.index)
    with ThreadPoolExecutor(max_workers=UPLOAD_THREADS) as pool:
        return list(pool.map(upload, ordered))
