"""Faults injected into whole runs: the transcription API misbehaving, the database going away during
a step, a step dying before its commit, and jobs left behind in ``processing``.

Killed steps at probe/prepare/transcribe and the re-run path are covered in
``tests/workflow/test_workflow_crashes.py``; one-chunk 400 and 401 in ``test_workflow_faults.py``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from psycopg2.extensions import make_dsn, parse_dsn

from mediascribe.jobs.models import JobStatus
from mediascribe.jobs.status import get_job_status
from mediascribe.local.workflow import LocalWorkflow
from mediascribe.observability import container_settings
from mediascribe.workflow.runtime import runtime_for
from mediascribe.workflow.start import retry_job
from support.fake_openai import Reply, error_reply
from support.hardening import TcpProxy, chunk_text, run_upload, settled
from support.media_factory import make_audio
from support.paths import ASL


@pytest.fixture
def tone(media_library) -> Path:
    return media_library.get("fault-tone.mp3", lambda path: make_audio(path, 3.0, fmt="mp3"))


@dataclass(frozen=True)
class ApiFault:
    replies: tuple[Reply, ...]
    status: JobStatus
    requests: int
    says: str = ""
    environment: dict[str, str] = field(default_factory=dict)


# OPENAI_MAX_RETRIES=1: the SDK tries each call twice; the state machine retries the chunk task up to
# 4 more times on RetryableTranscriptionError, so one chunk costs at most 10 requests.
API_FAULTS = {
    "429-with-retry-after": ApiFault(
        (error_reply(429, retry_after="1"), error_reply(429, retry_after="1")), JobStatus.COMPLETED, 3
    ),
    "500-once": ApiFault((error_reply(500),), JobStatus.COMPLETED, 2),
    "502-503-504": ApiFault((error_reply(502), error_reply(503), error_reply(504)), JobStatus.COMPLETED, 4),
    "dropped-connection": ApiFault((Reply(drop_connection=True),), JobStatus.COMPLETED, 2),
    "timeout": ApiFault(
        (Reply(hang=True),), JobStatus.COMPLETED, 2, environment={"OPENAI_TIMEOUT_SECONDS": "1"}
    ),
    "rate-limited-forever": ApiFault(
        tuple(error_reply(429, retry_after="0") for _ in range(10)), JobStatus.FAILED, 10, says="429"
    ),
    "400-bad-request": ApiFault((error_reply(400),), JobStatus.FAILED, 1, says="400"),
    "403-forbidden": ApiFault((error_reply(403),), JobStatus.FAILED, 1, says="403"),
    "413-too-large": ApiFault((error_reply(413),), JobStatus.FAILED, 1, says="413"),
}


@pytest.mark.parametrize("fault", API_FAULTS.values(), ids=API_FAULTS.keys())
def test_transcription_api_faults_are_retried_when_transient_and_fail_fast_when_not(
    fault: ApiFault, tone, make_workflow, jobs, fake_api, retry_waits, work_dir
):
    fake_api.script(*fault.replies)
    with make_workflow(**fault.environment) as workflow:
        run = run_upload(workflow, tone, "uploads/call.mp3")
    job = settled(jobs, run)
    assert job.status is fault.status
    assert fake_api.request_count == fault.requests
    if fault.status is JobStatus.COMPLETED:
        assert jobs.get_content(job.id) == chunk_text(0)
    else:
        document = get_job_status(jobs, job.id)
        assert document["cause"] in ("RetryableTranscriptionError", "PermanentTranscriptionError")
        assert fault.says in document["error"] and "Traceback" not in document["error"]
        assert jobs.get_content(job.id) is None
    assert list(work_dir.iterdir()) == []


def _with_outage(workflow: LocalWorkflow, proxy: TcpProxy, function: str, calls: int) -> None:
    """Take the database down for the first ``calls`` invocations of ``function``, up again after each.

    The outage is the step's alone: it begins once the start function, which reads the job after
    starting the execution and so may still run when the first step begins, has returned.
    """
    original = workflow.handlers[function]
    seen: list[int] = []
    starting = threading.Condition()
    running_starts = [0]
    start = workflow.handlers["StartJobFunction"]

    def counted_start(event, context):
        with starting:
            running_starts[0] += 1
        try:
            return start(event, context)
        finally:
            with starting:
                running_starts[0] -= 1
                starting.notify_all()

    def during_outage(event, context):
        seen.append(1)
        if len(seen) > calls:
            return original(event, context)
        with starting:
            starting.wait_for(lambda: running_starts[0] == 0, timeout=60)
        proxy.down()
        try:
            return original(event, context)
        finally:
            proxy.up()

    workflow.handlers["StartJobFunction"] = counted_start
    workflow.handlers[function] = during_outage


@pytest.fixture
def proxy(postgres_dsn: str):
    params = parse_dsn(postgres_dsn)
    with TcpProxy(params.get("host") or "127.0.0.1", int(params.get("port") or 5432)) as relay:
        yield relay


@pytest.fixture
def proxied_dsn(postgres_dsn: str, proxy: TcpProxy) -> str:
    return make_dsn(postgres_dsn, host="127.0.0.1", port=proxy.port)


# Every task retries DatabaseUnavailableError 3 times, so 4 invocations in a row exhaust it.
DB_OUTAGES = {
    "probe-one-attempt": ("ProbeMediaFunction", 1, JobStatus.COMPLETED),
    "probe-every-attempt": ("ProbeMediaFunction", 4, JobStatus.FAILED),
    "prepare-every-attempt": ("PrepareAudioFunction", 4, JobStatus.FAILED),
    "transcribe-one-attempt": ("TranscribeChunkFunction", 1, JobStatus.COMPLETED),
    "transcribe-every-attempt": ("TranscribeChunkFunction", 4, JobStatus.FAILED),
    "finalize-one-attempt": ("FinalizeTranscriptFunction", 1, JobStatus.COMPLETED),
    "finalize-every-attempt": ("FinalizeTranscriptFunction", 4, JobStatus.FAILED),
}


@pytest.mark.parametrize(("function", "calls", "status"), DB_OUTAGES.values(), ids=DB_OUTAGES.keys())
def test_database_outage_during_a_step_is_retried_a_bounded_number_of_times_then_fails_the_job(
    function, calls, status, tone, make_workflow, jobs, proxy, proxied_dsn, retry_waits, work_dir
):
    with make_workflow(database_url=proxied_dsn) as workflow:
        _with_outage(workflow, proxy, function, calls)
        run = run_upload(workflow, tone, "uploads/outage.mp3")
        invocations = workflow.invocations.of(function)
    job = settled(jobs, run)
    assert job.status is status
    failed_attempts = [record for record in invocations if record["error"]]
    assert [record["error"] for record in failed_attempts] == ["DatabaseUnavailableError"] * calls
    assert len(invocations) == min(calls + 1, 4)
    if status is JobStatus.COMPLETED:
        assert jobs.get_content(job.id) == chunk_text(0)
    else:
        document = get_job_status(jobs, job.id)
        assert document["cause"] == "DatabaseUnavailableError"
        assert "database unavailable" in document["error"]
        assert jobs.get_content(job.id) is None
    assert list(work_dir.iterdir()) == []


def test_a_job_whose_failure_could_not_be_recorded_is_failed_by_the_stale_job_sweeper(
    tone, media_library, make_workflow, jobs, proxy, proxied_dsn, retry_waits
):
    """The database stays down through the prepare step and the failure handler's retries: the
    execution dies with the job still ``processing``; the scheduled sweeper settles it."""
    with make_workflow(database_url=proxied_dsn, STALE_JOB_AFTER_SECONDS="0") as workflow:
        finished = run_upload(workflow, tone, "uploads/fine.mp3")
        _with_outage(workflow, proxy, "PrepareAudioFunction", 4)
        _with_outage(
            workflow, proxy, "MarkJobFailedFunction", _attempts("Mark job failed", "DatabaseUnavailableError")
        )
        stuck = run_upload(workflow, media_library.get("other.mp3", _other_tone), "uploads/stuck.mp3")
        assert stuck.outcome is not None and stuck.outcome.status == "FAILED"
        assert settled(jobs, stuck).status is JobStatus.PROCESSING
        swept, error = workflow.invoke("SweepStaleJobsFunction", {})
    assert error is None
    assert swept == {"failed": [stuck.job_id]}
    job = settled(jobs, stuck)
    assert job.status is JobStatus.FAILED
    assert "stopped making progress" in get_job_status(jobs, job.id)["error"]
    assert settled(jobs, finished).status is JobStatus.COMPLETED


def _attempts(state: str, error: str) -> int:
    """How often the deployed definition runs ``state`` when every attempt fails with ``error``."""
    definition = json.loads(ASL.read_text(encoding="utf-8"))
    retrier = next(r for r in definition["States"][state]["Retry"] if error in r["ErrorEquals"])
    return 1 + int(retrier["MaxAttempts"])


def _other_tone(path: Path) -> Path:
    return make_audio(path, 3.0, fmt="mp3", frequency=660)


class KilledBeforeCommit(Exception):
    """Stands for the finalize Lambda dying after writing its outputs, before the job's commit."""


def test_finalize_dying_before_its_commit_leaves_a_failed_job_without_content_and_a_rerun_completes(
    tone, make_workflow, jobs, fake_api, work_dir, monkeypatch
):
    from mediascribe.jobs.repository import JobRepository

    original_complete = JobRepository.complete
    calls: list[str] = []

    def complete_or_die(self, job_id, content, result):
        calls.append(job_id)
        if len(calls) == 1:
            raise KilledBeforeCommit("finalize was killed before committing")
        return original_complete(self, job_id, content, result)

    monkeypatch.setattr(JobRepository, "complete", complete_or_die)
    with make_workflow() as workflow:
        run = run_upload(workflow, tone, "uploads/almost.mp3")
        job = settled(jobs, run)
        assert job.status is JobStatus.FAILED and job.cause == "KilledBeforeCommit"
        assert jobs.get_content(job.id) is None
        # The outputs written before the crash stay inside the job's own prefix.
        stored = workflow.keys()
        assert all(key.startswith(f"jobs/{job.id}/") for key in stored if key != run.key)

        runtime = runtime_for(container_settings())
        retry_job(runtime, job.id)
        assert workflow.wait(workflow.execution_arn(job.id, attempt=2)).status == "SUCCEEDED"
    job = settled(jobs, run)
    assert job.status is JobStatus.COMPLETED and job.attempt == 2
    assert jobs.get_content(job.id) == chunk_text(0)
    assert fake_api.request_count == 2
    assert list(work_dir.iterdir()) == []
