"""The scheduled sweeper fails jobs that stopped making progress (an execution stopped or lost)."""

from __future__ import annotations

from mediascribe.ids import job_id_for_object
from mediascribe.jobs.models import JobStatus, SourceObject
from mediascribe.jobs.repository import JobRepository
from support.media_factory import make_speech_like
from support.workflow_runs import run_file


def test_jobs_stuck_in_processing_are_failed_by_the_sweeper(make_workflow, jobs, tmp_path):
    stuck_source = SourceObject("mediascribe-local", "uploads/stuck.mp3", etag="abc")
    stuck_id = job_id_for_object(stuck_source.bucket, stuck_source.key, "abc")
    jobs.create_job(stuck_id, stuck_source, "stuck.mp3")
    jobs.start(stuck_id, "arn:aws:states:us-east-1:123456789012:execution:gone:x")
    done_source = SourceObject("mediascribe-local", "uploads/done.mp3", etag="def")
    done_id = job_id_for_object(done_source.bucket, done_source.key, "def")
    jobs.create_job(done_id, done_source, "done.mp3")
    jobs.start(done_id)
    jobs.skip(done_id, "text file")
    with make_workflow(STALE_JOB_AFTER_SECONDS="0") as workflow:
        _, status = run_file(workflow, make_speech_like(tmp_path / "recent.mp3", 2.0))
        assert status == "SUCCEEDED"  # the workflow was busy recently: the sweeper looks
        payload, error = workflow.invoke("SweepStaleJobsFunction", {})
    assert error is None
    assert payload == {"failed": [stuck_id]}
    job = jobs.get(stuck_id)
    assert job.status is JobStatus.FAILED
    assert "progress" in job.error
    assert jobs.get(done_id).status is JobStatus.SKIPPED


def test_an_idle_stack_sweeps_without_waking_the_database(make_workflow, monkeypatch):
    """No execution running or recently stopped: nothing can be stale, and the (paused) database is
    not asked."""

    def asked(self, older_than_seconds):
        raise AssertionError("the sweeper queried the database of an idle stack")

    with make_workflow(STALE_JOB_AFTER_SECONDS="0") as workflow:
        monkeypatch.setattr(JobRepository, "fail_stale_jobs", asked)
        payload, error = workflow.invoke("SweepStaleJobsFunction", {})
    assert (error, payload) == (None, {"failed": []})
