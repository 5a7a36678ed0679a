"""Task "Prepare audio": mp3 chunks of the source under the job's prefix; returns their keys."""

from __future__ import annotations

from typing import Any

from mediascribe.config import Settings
from mediascribe.observability import lambda_step, record_metric
from mediascribe.workflow.prepare import prepare
from mediascribe.workflow.runtime import runtime_for


@lambda_step("prepare_audio")
def lambda_handler(event: dict[str, Any], context: Any, settings: Settings) -> dict[str, Any]:
    prepared = prepare(
        runtime_for(settings),
        job_id=event["job_id"],
        bucket=event["bucket"],
        key=event["key"],
        media_type=event["media_type"],
    )
    record_metric("Chunks", prepared["chunk_count"])
    return prepared
