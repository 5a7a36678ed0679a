"""A Lambda dying mid-step: the job ends in a truthful state, debris is cleaned, a re-run succeeds."""

from __future__ import annotations

import pytest

from mediascribe.jobs.models import JobStatus
from mediascribe.observability import container_settings
from mediascribe.workflow.runtime import runtime_for
from mediascribe.workflow.start import retry_job
from support.media_factory import make_speech_like
from support.workflow_runs import SMALL_CHUNK_BYTES, leftover_files


class KilledMidStep(Exception):
    """Stands for the runtime dying after the step's work but before its response arrived."""


def _crash_after_work(workflow, function: str, work_dir):
    """Run the real handler once, leave files behind as a killed process would, then fail."""
    original = workflow.handlers[function]
    crashed = []

    def crashing(event, context):
        result = original(event, context)
        if crashed:
            return result
        crashed.append(function)
        debris = work_dir / event["job_id"] / "partial"
        debris.mkdir(parents=True, exist_ok=True)
        (debris / "half-written.mp3").write_bytes(b"\xff\xfb" * 1000)
        raise KilledMidStep(f"{function} was killed")

    workflow.handlers[function] = crashing


@pytest.mark.parametrize(
    "function", ["ProbeMediaFunction", "PrepareAudioFunction", "TranscribeChunkFunction"]
)
def test_a_step_killed_mid_way_fails_the_job_and_a_rerun_completes(
    make_workflow, jobs, work_dir, tmp_path, function
):
    media = make_speech_like(tmp_path / "fragile.mp3", 20.0, bitrate="64k", channels=1, sample_rate=22050)
    with make_workflow(MAX_CHUNK_SIZE_BYTES=str(SMALL_CHUNK_BYTES)) as workflow:
        _crash_after_work(workflow, function, work_dir)
        key = workflow.upload(media, "uploads/fragile.mp3")
        job_id = workflow.deliver_upload_event(key)["jobs"][0]["job_id"]
        assert workflow.wait(workflow.execution_arn(job_id)).status == "FAILED"
        job = jobs.get(job_id)
        assert job.status is JobStatus.FAILED
        assert job.cause == "KilledMidStep"
        assert jobs.get_content(job_id) is None
        # The failure handler's invocation (a warm container) removed the dead step's workspace.
        assert leftover_files(work_dir) == []

        runtime = runtime_for(container_settings())
        rerun = retry_job(runtime, job_id)
        assert rerun.status == "pending"
        assert workflow.wait(workflow.execution_arn(job_id, attempt=2)).status == "SUCCEEDED"
    job = jobs.get(job_id)
    assert job.status is JobStatus.COMPLETED
    assert job.attempt == 2
    expected = " ".join(f"Transcript of chunk-{index:05d}.mp3." for index in range(job.chunks_total))
    assert jobs.get_content(job_id) == expected
    assert leftover_files(work_dir) == []


def test_finalize_killed_after_committing_keeps_the_completed_job(make_workflow, jobs, work_dir, tmp_path):
    media = make_speech_like(tmp_path / "done.mp3", 4.0)
    with make_workflow() as workflow:
        _crash_after_work(workflow, "FinalizeTranscriptFunction", work_dir)
        key = workflow.upload(media, "uploads/done.mp3")
        job_id = workflow.deliver_upload_event(key)["jobs"][0]["job_id"]
        assert workflow.wait(workflow.execution_arn(job_id)).status == "FAILED"
    job = jobs.get(job_id)
    # The transaction committed before the crash: the content is there, so the job stays completed.
    assert job.status is JobStatus.COMPLETED
    assert jobs.get_content(job_id) == "Transcript of chunk-00000.mp3."
    assert leftover_files(work_dir) == []


def test_a_chunk_retried_after_storing_its_transcript_is_not_transcribed_twice(
    make_workflow, jobs, fake_api, work_dir, tmp_path
):
    media = make_speech_like(tmp_path / "once.mp3", 4.0)
    # A Lambda service error (retried by the state machine) after the transcript reached S3.
    service_error = type("Lambda.ServiceException", (Exception,), {})
    with make_workflow() as workflow:
        original = workflow.handlers["TranscribeChunkFunction"]
        calls = []

        def lose_first_response(event, context):
            result = original(event, context)
            calls.append(event["index"])
            if len(calls) == 1:
                raise service_error("response lost")
            return result

        workflow.handlers["TranscribeChunkFunction"] = lose_first_response
        key = workflow.upload(media, "uploads/once.mp3")
        job_id = workflow.deliver_upload_event(key)["jobs"][0]["job_id"]
        assert workflow.wait(workflow.execution_arn(job_id)).status == "SUCCEEDED"
    assert calls == [0, 0]
    assert fake_api.request_count == 1
    assert jobs.get_content(job_id) == "Transcript of chunk-00000.mp3."
