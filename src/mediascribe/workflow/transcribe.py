"""Transcribe chunk: one Map item. The transcript goes to S3; the state gets only its key."""

from __future__ import annotations

import asyncio
from typing import Any

from mediascribe.errors import InvalidObjectKeyError
from mediascribe.transcription.runner import transcribe_chunk
from mediascribe.workflow.runtime import Runtime
from mediascribe.workspace import job_workspace


def transcribe_one_chunk(
    runtime: Runtime, *, job_id: str, index: int, chunk: dict[str, Any]
) -> dict[str, Any]:
    keys = runtime.store.job_keys(job_id)
    chunk_key = keys.chunk(index)
    if chunk.get("key") != chunk_key:
        # The item must name this job's chunk for this position; anything else is a forged input.
        raise InvalidObjectKeyError(f"chunk {index} of job {job_id} must be {chunk_key!r}")
    with job_workspace(runtime.settings.temp_dir, job_id) as workspace:
        path = runtime.store.download(chunk_key, workspace / f"chunk-{index:05d}.mp3")
        transcript = asyncio.run(
            transcribe_chunk(
                runtime.engine(),
                index,
                path,
                float(chunk["offset"]),
                duration_seconds=float(chunk["duration"]),
            )
        )
        path.unlink()
    result_key = runtime.store.put_json(keys, keys.chunk_result(index), transcript.to_dict())
    runtime.jobs.chunk_finished(job_id, index)
    return {"index": index, "result_key": result_key}
