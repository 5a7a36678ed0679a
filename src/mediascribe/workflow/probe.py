"""Probe media: the first step of an execution; the job becomes ``processing`` here."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from mediascribe.media.probe import probe_media
from mediascribe.transcription.amazon_engine import ensure_request_settings
from mediascribe.transcription.catalog import ensure_model_usable
from mediascribe.workflow.contracts import ProbeRequest, ProbeResult
from mediascribe.workflow.runtime import Runtime
from mediascribe.workflow.source import display_name, download_source
from mediascribe.workspace import job_workspace

logger = logging.getLogger(__name__)

PROBED_PROGRESS = 10


def probe(runtime: Runtime, request: ProbeRequest) -> ProbeResult:
    """Mark the job processing, then read the media's type and duration from the source object.

    Only the type and duration go back into the state; the choice between transcribing and skipping
    is the state machine's, so it is visible in the console.
    """
    job_id = request.job_id
    runtime.jobs.start(job_id, request.execution_arn)
    # A model past its shutdown fails the job here, naming the successor, before any media work;
    # so do engine settings no request could carry.
    ensure_model_usable(runtime.settings, today=datetime.now(UTC).date())
    ensure_request_settings(runtime.settings)
    with job_workspace(runtime.settings.temp_dir, job_id) as workspace:
        source = download_source(runtime.store, request.bucket, request.key, workspace)
        filename = display_name(request.key)
        info = asyncio.run(probe_media(source, settings=runtime.settings, filename=filename))
    runtime.jobs.record_media(job_id, str(info.media_type), info.duration_seconds)
    # The stage names what the job does next, which is what someone polling wants to know.
    runtime.jobs.update_progress(job_id, PROBED_PROGRESS, "preparing audio")
    logger.info(
        "media probed",
        extra={"media_type": str(info.media_type), "duration_seconds": info.duration_seconds},
    )
    return ProbeResult(media_type=info.media_type, duration_seconds=info.duration_seconds)
