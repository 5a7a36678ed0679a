"""Task "Mark job skipped": the file is not audio or video; record why."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from mediascribe.config import Settings
from mediascribe.observability import lambda_step
from mediascribe.workflow.contracts import SkipRequest, SkipResult
from mediascribe.workflow.outcomes import mark_skipped
from mediascribe.workflow.runtime import runtime_for


@lambda_step("mark_job_skipped", SkipRequest)
def lambda_handler(event: SkipRequest, context: LambdaContext, settings: Settings) -> SkipResult:
    return mark_skipped(runtime_for(settings), event)
