"""Task "Prepare audio": mp3 chunks of the source under the job's prefix; returns their keys."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from mediascribe.config import Settings
from mediascribe.observability import lambda_step, record_metric
from mediascribe.workflow.contracts import PrepareRequest, PrepareResult
from mediascribe.workflow.prepare import prepare
from mediascribe.workflow.runtime import runtime_for


@lambda_step("prepare_audio", PrepareRequest)
def lambda_handler(event: PrepareRequest, context: LambdaContext, settings: Settings) -> PrepareResult:
    prepared = prepare(runtime_for(settings), event)
    record_metric("Chunks", prepared.chunk_count)
    return prepared
