"""Task "Mark job failed": the Catch target of every step; records the error and its cause."""

from __future__ import annotations

from typing import Any

from mediascribe.config import Settings
from mediascribe.observability import lambda_step
from mediascribe.workflow.outcomes import mark_failed
from mediascribe.workflow.runtime import runtime_for


@lambda_step("mark_job_failed")
def lambda_handler(event: dict[str, Any], context: Any, settings: Settings) -> dict[str, Any]:
    return mark_failed(
        runtime_for(settings),
        job_id=event["job_id"],
        error=str(event.get("error") or "UnknownError"),
        cause=event.get("cause"),
    )
