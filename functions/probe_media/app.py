"""Task "Probe media": mark the job processing and report the media type and duration."""

from __future__ import annotations

from typing import Any

from mediascribe.config import Settings
from mediascribe.observability import lambda_step
from mediascribe.workflow.probe import probe
from mediascribe.workflow.runtime import runtime_for


@lambda_step("probe_media")
def lambda_handler(event: dict[str, Any], context: Any, settings: Settings) -> dict[str, Any]:
    return probe(
        runtime_for(settings),
        job_id=event["job_id"],
        bucket=event["bucket"],
        key=event["key"],
        execution_arn=event.get("execution_arn"),
    )
