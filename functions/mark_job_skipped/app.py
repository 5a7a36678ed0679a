"""Task "Mark job skipped": the file is not audio or video; record why."""

from __future__ import annotations

from typing import Any

from mediascribe.config import Settings
from mediascribe.observability import lambda_step
from mediascribe.workflow.outcomes import mark_skipped
from mediascribe.workflow.runtime import runtime_for


@lambda_step("mark_job_skipped")
def lambda_handler(event: dict[str, Any], context: Any, settings: Settings) -> dict[str, Any]:
    return mark_skipped(runtime_for(settings), job_id=event["job_id"], media_type=event["media_type"])
