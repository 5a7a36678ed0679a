"""Task "Finalize transcript": ordered text to S3 outputs and, in one transaction, to the job."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from mediascribe.config import Settings
from mediascribe.observability import lambda_step, record_metric
from mediascribe.workflow.contracts import FinalizeRequest, FinalizeResult
from mediascribe.workflow.finalize import finalize
from mediascribe.workflow.runtime import runtime_for


@lambda_step("finalize_transcript", FinalizeRequest)
def lambda_handler(event: FinalizeRequest, context: LambdaContext, settings: Settings) -> FinalizeResult:
    finished = finalize(runtime_for(settings), event)
    record_metric("AudioSeconds", finished.audio_seconds or 0.0, MetricUnit.Seconds)
    return finished
