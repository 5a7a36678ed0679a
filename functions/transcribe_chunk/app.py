"""Map item "Transcribe chunk": one chunk's transcript to S3; returns its index and key."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from mediascribe.config import Settings
from mediascribe.observability import lambda_step, record_metric
from mediascribe.workflow.contracts import ChunkRequest, ChunkResult
from mediascribe.workflow.runtime import runtime_for
from mediascribe.workflow.transcribe import transcribe_one_chunk


@lambda_step("transcribe_chunk", ChunkRequest)
def lambda_handler(event: ChunkRequest, context: LambdaContext, settings: Settings) -> ChunkResult:
    result = transcribe_one_chunk(runtime_for(settings), event)
    record_metric("ChunksTranscribed", 1)
    return result
