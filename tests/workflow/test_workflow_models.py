"""A recording longer than 25 minutes completes on every listed model, through the template's workflow.

The stand-in API enforces each model's duration cap, formats and options with the real errors, so a
chunk planned over a cap, or a request the model refuses, fails the job. ``CHUNK_TARGET_SECONDS`` is
set above the recording's length: only the model's cap can make the planner cut.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mediascribe.jobs.models import JobStatus
from mediascribe.jobs.repository import JobRepository
from mediascribe.transcription.catalog import OPENAI_MODELS
from support.fake_openai import API_MODELS
from support.media_factory import make_audio
from support.workflow_runs import run_file

RECORDING_SECONDS = 26 * 60.0


@pytest.fixture(scope="module")
def long_talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tone with a pause every 25 s: few, long speech pieces keep the request count low."""
    pauses = [(start, 1.0) for start in range(25, int(RECORDING_SECONDS), 25)]
    return make_audio(
        tmp_path_factory.mktemp("models") / "long talk.mp3", RECORDING_SECONDS, gaps=pauses, bitrate="32k"
    )


@pytest.mark.slow
@pytest.mark.parametrize("model", sorted(OPENAI_MODELS))
def test_a_recording_over_25_minutes_completes_on_every_model(
    make_workflow, jobs: JobRepository, fake_api, long_talk: Path, model: str
) -> None:
    with make_workflow(
        TRANSCRIPTION_MODEL=model, CHUNK_TARGET_SECONDS=str(2 * RECORDING_SECONDS)
    ) as workflow:
        job_id, status = run_file(workflow, long_talk)

    job = jobs.get(job_id)
    assert status == "SUCCEEDED", job.error
    assert job.status is JobStatus.COMPLETED
    cap = API_MODELS[model].max_seconds
    expected_chunks = 1 if cap is None else 2
    assert job.chunks_total == expected_chunks
    # Every request was answered on its first try: none was refused for its length or its format.
    assert fake_api.statuses and set(fake_api.statuses) == {200}
    assert all(request.model == model for request in fake_api.requests)
    if cap is not None:
        assert all(
            request.audio_seconds is not None and request.audio_seconds <= cap
            for request in fake_api.requests
        )
