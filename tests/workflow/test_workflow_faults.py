"""Transcription faults as the state machine sees them: transient errors retried, permanent ones not."""

from __future__ import annotations

from mediascribe.jobs.models import JobStatus
from support.fake_openai import Reply, error_reply
from support.media_factory import make_speech_like
from support.workflow_runs import leftover_files, run_file


def _failed_attempts(workflow, job_id: str, function: str) -> list[str]:
    """Error names of the failed invocations of ``function`` in the execution history."""
    history = workflow.history(workflow.execution_arn(job_id))
    scheduled = {
        event["id"]: event["lambdaFunctionScheduledEventDetails"]["resource"]
        for event in history
        if event["type"] == "LambdaFunctionScheduled"
    }
    failures = []
    for event in history:
        if event["type"] == "LambdaFunctionFailed":
            resource = _nearest_scheduled(scheduled, event["previousEventId"], history)
            if resource.endswith(f":{function}"):
                failures.append(event["lambdaFunctionFailedEventDetails"]["error"])
    return failures


def _nearest_scheduled(scheduled: dict[int, str], event_id: int, history: list[dict]) -> str:
    by_id = {event["id"]: event for event in history}
    while event_id in by_id and event_id not in scheduled:
        event_id = by_id[event_id].get("previousEventId", 0)
    return scheduled.get(event_id, "")


def test_transient_server_errors_beyond_the_sdk_retries_are_retried_by_the_state_machine(
    make_workflow, jobs, fake_api, tmp_path
):
    media = make_speech_like(tmp_path / "flaky.mp3", 4.0)
    # OPENAI_MAX_RETRIES=1 in the fixture: two 503s exhaust the SDK, the third request succeeds.
    fake_api.script(error_reply(503), error_reply(503))
    with make_workflow() as workflow:
        job_id, status = run_file(workflow, media)
        assert status == "SUCCEEDED"
        assert _failed_attempts(workflow, job_id, "TranscribeChunkFunction") == [
            "RetryableTranscriptionError"
        ]
    job = jobs.get(job_id)
    assert job.status is JobStatus.COMPLETED
    assert jobs.get_content(job_id) == "Transcript of chunk-00000.mp3."
    assert fake_api.request_count == 3


def test_rejected_credentials_fail_the_job_after_one_request(make_workflow, jobs, fake_api, tmp_path):
    media = make_speech_like(tmp_path / "denied.mp3", 4.0)
    fake_api.script(error_reply(401))
    with make_workflow() as workflow:
        job_id, status = run_file(workflow, media)
        assert status == "FAILED"
        assert _failed_attempts(workflow, job_id, "TranscribeChunkFunction") == [
            "PermanentTranscriptionError"
        ]
    job = jobs.get(job_id)
    assert job.status is JobStatus.FAILED
    assert job.cause == "PermanentTranscriptionError"
    assert "401" in job.error
    assert jobs.get_content(job_id) is None
    assert fake_api.request_count == 1


def test_one_chunk_failing_permanently_fails_the_whole_job_without_content(
    make_workflow, jobs, fake_api, tmp_path
):
    media = make_speech_like(tmp_path / "partly.mp3", 30.0, bitrate="64k", channels=1, sample_rate=22050)
    fake_api.script(error_reply(400))  # the first request of the Map is refused, the others succeed
    with make_workflow(MAX_CHUNK_SIZE_BYTES="65536", map_max_concurrency=1) as workflow:
        job_id, status = run_file(workflow, media)
        assert status == "FAILED"
    job = jobs.get(job_id)
    assert job.status is JobStatus.FAILED
    assert job.progress < 100
    assert jobs.get_content(job_id) is None
    assert fake_api.request_count == 1


def test_a_failed_map_is_reported_only_after_chunks_still_running_have_ended(
    make_workflow, jobs, fake_api, work_dir, tmp_path
):
    media = make_speech_like(tmp_path / "stragglers.mp3", 30.0, bitrate="64k", channels=1, sample_rate=22050)
    # The first request is refused at once; the chunks already in flight answer much later.
    fake_api.script(error_reply(400), *[Reply(delay_seconds=1.5)] * 3)
    with make_workflow(MAX_CHUNK_SIZE_BYTES="65536", map_max_concurrency=4) as workflow:
        job_id, status = run_file(workflow, media)
        assert status == "FAILED"
        assert workflow.invocations.in_flight == 0
        assert leftover_files(work_dir) == []
        chunk_invocations = workflow.invocations.of("TranscribeChunkFunction")
    # Every chunk invoked sent its speech (a chunk may send it in more than one piece).
    assert fake_api.request_count >= len(chunk_invocations) > 1
    assert jobs.get(job_id).status is JobStatus.FAILED
    assert jobs.get_content(job_id) is None
