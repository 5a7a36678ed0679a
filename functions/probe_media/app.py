"""Task "Probe media": mark the job processing and report the media type and duration."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from mediascribe.config import Settings
from mediascribe.observability import lambda_step
from mediascribe.workflow.contracts import ProbeRequest, ProbeResult
from mediascribe.workflow.probe import probe
from mediascribe.workflow.runtime import runtime_for


@lambda_step("probe_media", ProbeRequest)
def lambda_handler(event: ProbeRequest, context: LambdaContext, settings: Settings) -> ProbeResult:
    return probe(runtime_for(settings), event)
