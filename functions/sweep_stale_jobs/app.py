"""Scheduled: fail jobs stuck in pending/processing (a stopped execution, a lost failure handler)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from mediascribe.config import Settings
from mediascribe.observability import lambda_step, record_metric
from mediascribe.workflow.contracts import SweepRequest, SweepResult
from mediascribe.workflow.outcomes import sweep_stale_jobs
from mediascribe.workflow.runtime import runtime_for


@lambda_step("sweep_stale_jobs", SweepRequest)
def lambda_handler(event: SweepRequest, context: LambdaContext, settings: Settings) -> SweepResult:
    swept = sweep_stale_jobs(runtime_for(settings))
    record_metric("StaleJobsFailed", len(swept.failed))
    return swept
