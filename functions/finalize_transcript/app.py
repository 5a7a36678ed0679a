"""Task "Finalize transcript": ordered text to S3 outputs and, in one transaction, to the job."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from mediascribe.config import Settings
from mediascribe.observability import lambda_step, record_metric
from mediascribe.workflow.finalize import finalize
from mediascribe.workflow.runtime import runtime_for


@lambda_step("finalize_transcript")
def lambda_handler(event: dict[str, Any], context: Any, settings: Settings) -> dict[str, Any]:
    finished = finalize(runtime_for(settings), job_id=event["job_id"], results=event["results"])
    record_metric("AudioSeconds", finished["audio_seconds"] or 0.0, MetricUnit.Seconds)
    return finished
