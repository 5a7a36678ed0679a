"""A whole job through the template's state machine with every handler on the Data API adapter."""

from __future__ import annotations

from mediascribe.jobs import JobStatus
from mediascribe.jobs.repository import JobRepository
from support.fake_data_api import FakeDataApi, data_api_executor
from support.media_factory import make_speech_like


def test_a_multi_chunk_job_completes_over_the_data_api(
    make_workflow, database, data_api: FakeDataApi, work_dir, tmp_path
) -> None:
    media = make_speech_like(tmp_path / "talk.mp3", 20.0, bitrate="64k", channels=1, sample_rate=22050)
    calls_before = len(data_api.calls)
    environment = {
        "DATABASE_MODE": "data-api",
        "DATABASE_CLUSTER_ARN": data_api.cluster_arn,
        "DATABASE_SECRET_ARN": data_api.secret_arn,
        "AWS_ENDPOINT_URL_RDS_DATA": data_api.endpoint_url,
        "MAX_CHUNK_SIZE_BYTES": "65536",
    }
    with make_workflow(**environment) as workflow:
        key = workflow.upload(media, "uploads/talk.mp3")
        job_id = workflow.deliver_upload_event(key)["jobs"][0]["job_id"]
        outcome = workflow.wait(workflow.execution_arn(job_id), timeout_seconds=600)
        assert outcome.status == "SUCCEEDED"
        job = JobRepository(database).get(job_id)
        text_file = workflow.read_text(job.result["outputs"]["txt"]).strip()
    assert (job.status, job.progress) == (JobStatus.COMPLETED, 100)
    assert job.chunks_total is not None and job.chunks_total > 1
    assert job.chunks_done == job.chunks_total
    content = JobRepository(database).get_content(job_id)
    assert content == text_file and content.startswith("Transcript of chunk-00000")
    assert JobRepository(data_api_executor(data_api)).get_content(job_id) == content
    # Every step wrote through the Data API; units of several statements ran as transactions.
    calls = data_api.calls[calls_before:]
    assert calls.count("ExecuteStatement") >= 4 + job.chunks_total
    assert calls.count("BeginTransaction") == calls.count("CommitTransaction") >= 2
