"""Finalize transcript: read chunk results in order, write the outputs, complete the job atomically."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from mediascribe.costs import counted_quantities, usage_document
from mediascribe.errors import ChunkVerificationError
from mediascribe.storage import JobKeys
from mediascribe.transcription.assembly import assemble_transcript
from mediascribe.transcription.captions import to_json, to_srt, to_text, to_vtt
from mediascribe.transcription.catalog import single_language
from mediascribe.transcription.models import ChunkTranscript, Transcript
from mediascribe.transcription.speakers import distinct_speakers
from mediascribe.workflow.contracts import ChunkResult, FinalizeRequest, FinalizeResult
from mediascribe.workflow.events import job_event
from mediascribe.workflow.page import store_page
from mediascribe.workflow.runtime import Runtime

logger = logging.getLogger(__name__)

READ_THREADS = 8
_RENDERERS: dict[str, tuple[Callable[[Transcript], str], str]] = {
    "txt": (to_text, "text/plain; charset=utf-8"),
    "json": (to_json, "application/json; charset=utf-8"),
    "srt": (to_srt, "application/x-subrip; charset=utf-8"),
    "vtt": (to_vtt, "text/vtt; charset=utf-8"),
}


def finalize(runtime: Runtime, request: FinalizeRequest) -> FinalizeResult:
    """Everything visible (S3 outputs) is written before the one transaction that completes the job,
    so a completed job always has its files, and a crash before the commit leaves it retryable."""
    job_id = request.job_id
    keys = runtime.store.job_keys(job_id)
    job = runtime.jobs.get(job_id)
    indexes = _chunk_indexes(request.results, job.chunks_total)
    chunks = distinct_speakers(_read_results(runtime, keys, indexes))
    transcript = assemble_transcript(chunks)
    outputs = {
        fmt: runtime.store.put_text(keys, keys.transcript(fmt), render(transcript), content_type)
        for fmt, (render, content_type) in _RENDERERS.items()
    }
    outputs["html"] = store_page(runtime, job, segments=transcript.segments)
    result = {
        "bucket": runtime.store.bucket,
        "outputs": outputs,
        "chunk_count": transcript.chunk_count,
        "model": transcript.model,
        "audio_seconds": transcript.audio_seconds,
        "speech_seconds": transcript.speech_seconds,
        "speakers": len(transcript.speakers),
        "characters": len(transcript.text),
        "usage": usage_document(counted_quantities(chunks, transcript.audio_seconds)),
    }
    # Before completing: a completed job is always searchable, and a retry rewrites the same rows.
    runtime.jobs.store_segments(job_id, transcript.segments, single_language(runtime.settings))
    completed = runtime.jobs.complete(job_id, transcript.text, result)
    logger.info("transcript stored", extra={"chunk_count": transcript.chunk_count})
    return FinalizeResult(
        status=str(completed.status),
        outputs=outputs,
        chunk_count=transcript.chunk_count,
        audio_seconds=transcript.audio_seconds,
        event=job_event(runtime, completed),
    )


def _chunk_indexes(results: Sequence[ChunkResult], expected: int | None) -> list[int]:
    """The Map's results must cover chunks 0..n-1 exactly once; a gap would silently drop speech."""
    indexes = sorted(item.index for item in results)
    if expected is not None and len(indexes) != expected:
        raise ChunkVerificationError(f"expected {expected} chunk results, got {len(indexes)}")
    if indexes != list(range(len(indexes))):
        raise ChunkVerificationError(f"chunk results are not 0..{len(indexes) - 1}: {indexes[:20]}")
    return indexes


def _read_results(runtime: Runtime, keys: JobKeys, indexes: list[int]) -> list[ChunkTranscript]:
    """Read by index from the job's own prefix: keys in the state input are not trusted as paths."""

    def read(index: int) -> ChunkTranscript:
        return ChunkTranscript.from_dict(runtime.store.get_json(keys, keys.chunk_result(index)))

    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
        return list(pool.map(read, indexes))
