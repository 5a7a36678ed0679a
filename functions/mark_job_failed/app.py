"""Task "Mark job failed": the Catch target of every step; records the error and its cause."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from mediascribe.config import Settings
from mediascribe.observability import lambda_step
from mediascribe.workflow.contracts import FailRequest, FailResult
from mediascribe.workflow.outcomes import mark_failed
from mediascribe.workflow.runtime import runtime_for


@lambda_step("mark_job_failed", FailRequest)
def lambda_handler(event: FailRequest, context: LambdaContext, settings: Settings) -> FailResult:
    return mark_failed(runtime_for(settings), event)
