"""Map item "Transcribe chunk": one chunk's transcript to S3; returns its index and key."""

from __future__ import annotations

from typing import Any

from mediascribe.config import Settings
from mediascribe.observability import lambda_step, record_metric
from mediascribe.workflow.runtime import runtime_for
from mediascribe.workflow.transcribe import transcribe_one_chunk


@lambda_step("transcribe_chunk")
def lambda_handler(event: dict[str, Any], context: Any, settings: Settings) -> dict[str, Any]:
    result = transcribe_one_chunk(
        runtime_for(settings), job_id=event["job_id"], index=int(event["index"]), chunk=event["chunk"]
    )
    record_metric("ChunksTranscribed", 1)
    return result
