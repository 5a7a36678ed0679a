"""The Step Functions payload limit (256 KB per state) with a job of hundreds of chunks."""

from __future__ import annotations

import pytest

from mediascribe.jobs.models import JobStatus
from support.media_factory import make_speech_like
from support.workflow_runs import SMALL_CHUNK_BYTES, run_file

PAYLOAD_LIMIT_BYTES = 256 * 1024


def _largest_state_output(history: list[dict]) -> tuple[int, str]:
    largest = (0, "")
    for event in history:
        details = event.get("stateExitedEventDetails")
        if details and details.get("output") is not None:
            size = len(details["output"].encode("utf-8"))
            largest = max(largest, (size, details["name"]))
    return largest


@pytest.mark.slow
def test_hundreds_of_chunks_keep_every_state_far_below_the_payload_limit(make_workflow, jobs, tmp_path):
    # About 8 s of 64 kbit/s audio per 64 KiB chunk: 28 minutes make over 200 chunks.
    media = make_speech_like(
        tmp_path / "lecture.mp3", 28 * 60.0, bitrate="64k", channels=1, sample_rate=22050
    )
    with make_workflow(MAX_CHUNK_SIZE_BYTES=str(SMALL_CHUNK_BYTES), MAX_CHUNKS="400") as workflow:
        job_id, status = run_file(workflow, media)
        assert status == "SUCCEEDED"
        history = workflow.history(workflow.execution_arn(job_id))
    chunks = jobs.get(job_id).chunks_total
    assert jobs.get(job_id).status is JobStatus.COMPLETED
    assert chunks >= 200
    size, state = _largest_state_output(history)
    per_chunk = size / chunks
    print(f"{chunks} chunks: largest state output {size} bytes ({state}), {per_chunk:.0f} bytes per chunk")
    assert size < PAYLOAD_LIMIT_BYTES / 4
    # Even the largest job the cost guard could be configured for stays under the limit.
    assert per_chunk < 250
