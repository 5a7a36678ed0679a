"""At-least-once delivery: the same upload event, however often and however concurrently, is one job."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from mediascribe.jobs.models import JobStatus
from support.job_rows import job_count
from support.media_factory import make_speech_like


def test_the_same_event_delivered_twice_is_one_job_and_one_execution(
    make_workflow, jobs, database, fake_api, tmp_path
):
    media = make_speech_like(tmp_path / "twice.mp3", 4.0)
    with make_workflow() as workflow:
        key = workflow.upload(media, "uploads/twice.mp3")
        first = workflow.deliver_upload_event(key)["jobs"][0]
        second = workflow.deliver_upload_event(key)["jobs"][0]
        assert second["job_id"] == first["job_id"]
        assert first["created"] and not second["created"]
        outcome = workflow.wait(workflow.execution_arn(first["job_id"]))
        assert outcome.status == "SUCCEEDED"
        # A redelivery after the job finished must not start it again either.
        third = workflow.deliver_upload_event(key)["jobs"][0]
        assert third == {"job_id": first["job_id"], "status": "completed", "created": False}
        assert len(workflow.executions()) == 1
    assert job_count(database) == 1
    assert fake_api.request_count == 1


def test_five_concurrent_deliveries_are_one_job_and_one_execution(
    make_workflow, jobs, database, fake_api, tmp_path
):
    media = make_speech_like(tmp_path / "storm.mp3", 4.0)
    with make_workflow() as workflow:
        key = workflow.upload(media, "uploads/storm.mp3")
        event = workflow.s3_event(key)
        with ThreadPoolExecutor(max_workers=5) as pool:
            replies = list(pool.map(lambda _: workflow.invoke("StartJobFunction", event), range(5)))
        assert all(error is None for _, error in replies)
        job_ids = {payload["jobs"][0]["job_id"] for payload, _ in replies}
        assert len(job_ids) == 1
        assert sum(payload["jobs"][0]["created"] for payload, _ in replies) == 1
        job_id = job_ids.pop()
        assert workflow.wait(workflow.execution_arn(job_id)).status == "SUCCEEDED"
        assert len(workflow.executions()) == 1
    assert job_count(database) == 1
    assert jobs.get(job_id).status is JobStatus.COMPLETED
    assert fake_api.request_count == 1


def test_a_new_upload_under_the_same_key_is_a_new_job(make_workflow, jobs, tmp_path):
    with make_workflow() as workflow:
        first_file = make_speech_like(tmp_path / "v1.mp3", 3.0)
        second_file = make_speech_like(tmp_path / "v2.mp3", 5.0)
        key = workflow.upload(first_file, "uploads/report.mp3")
        first = workflow.deliver_upload_event(key)["jobs"][0]["job_id"]
        workflow.wait(workflow.execution_arn(first))
        workflow.upload(second_file, "uploads/report.mp3")
        second = workflow.deliver_upload_event(key)["jobs"][0]["job_id"]
        assert second != first
        assert workflow.wait(workflow.execution_arn(second)).status == "SUCCEEDED"
        assert len(workflow.executions()) == 2


def test_the_s3_test_event_and_keys_outside_the_upload_prefix_start_nothing(make_workflow, tmp_path):
    media = make_speech_like(tmp_path / "elsewhere.mp3", 2.0)
    with make_workflow() as workflow:
        test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": workflow.options.bucket}
        assert workflow.invoke("StartJobFunction", test_event) == ({"jobs": [], "rejected": []}, None)
        key = workflow.upload(media, "jobs/not-an-upload.mp3")
        payload, error = workflow.invoke("StartJobFunction", workflow.s3_event(key))
        assert error is None
        assert payload["jobs"] == []
        assert payload["rejected"][0]["key"] == key
        assert workflow.executions() == []
