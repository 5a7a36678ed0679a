"""The default deployment, rehearsed: what a first ``sam deploy`` with only an OpenAI key creates,
driven as its users drive it (an upload event, the API) and as CloudFormation drives its schema."""

from __future__ import annotations

import psycopg2

from mediascribe.errors import CorruptMediaError
from mediascribe.jobs import JobStatus
from mediascribe.local.postgres import DATABASE, SUPERUSER
from support.media_factory import make_speech_like
from support.rehearsal.drive import api, finish, sam_cli_s3_put_event, submit, upload
from support.rehearsal.variants import DEFAULT


def test_an_upload_event_in_the_sam_cli_shape_becomes_a_completed_job(make_rehearsal, call_log, tmp_path):
    media = make_speech_like(tmp_path / "talk.mp3", 4.0)
    with make_rehearsal(DEFAULT) as rehearsal:
        workflow = rehearsal.workflow
        key = upload(rehearsal, media, "talk.mp3")
        head = workflow.client("s3").head_object(Bucket=workflow.options.bucket, Key=key)
        event = sam_cli_s3_put_event(
            workflow.options.bucket, key, head["ContentLength"], head["ETag"].strip('"')
        )
        payload, error = workflow.invoke("StartJobFunction", event)
        assert error is None, payload
        job_id = payload["jobs"][0]["job_id"]
        outcome = finish(rehearsal, job_id)
        assert outcome.status == "SUCCEEDED", (outcome.error, outcome.cause)
        status, document, _ = api(rehearsal, "GET", f"/jobs/{job_id}", include="content")
    assert status == 200
    assert document["status"] == JobStatus.COMPLETED
    assert document["content"].startswith("Transcript of chunk-00000")
    assert call_log.denied() == []


def test_the_api_submits_reports_and_refuses_a_retry_and_notes_when_they_are_off(
    make_rehearsal, call_log, tmp_path
):
    media = make_speech_like(tmp_path / "api.mp3", 3.0)
    with make_rehearsal(DEFAULT) as rehearsal:
        job_id = submit(rehearsal, media, "api talk.mp3")
        outcome = finish(rehearsal, job_id)
        assert outcome.status == "SUCCEEDED", (outcome.error, outcome.cause)
        status, document, _ = api(rehearsal, "GET", f"/jobs/{job_id}")
        assert (status, document["status"]) == (200, JobStatus.COMPLETED)
        # Only a failed job may be retried; notes are off in the default stack.
        retry_status, _, _ = api(rehearsal, "POST", f"/jobs/{job_id}/retry")
        notes_status, _, _ = api(rehearsal, "POST", f"/jobs/{job_id}/notes")
    assert (retry_status, notes_status) == (409, 409)
    assert call_log.denied() == []


def test_a_failed_job_is_retried_through_the_api_and_completes(make_rehearsal, call_log, tmp_path):
    media = make_speech_like(tmp_path / "talk.mp3", 3.0)
    with make_rehearsal(DEFAULT) as rehearsal:
        workflow = rehearsal.workflow
        probe = workflow.handlers["ProbeMediaFunction"]

        def refuse(event: object, context: object) -> object:
            raise CorruptMediaError("the probe refuses this file")

        workflow.handlers["ProbeMediaFunction"] = refuse
        job_id = submit(rehearsal, media, "talk.mp3")
        assert finish(rehearsal, job_id).status == "FAILED"
        failed = api(rehearsal, "GET", f"/jobs/{job_id}")[1]["status"]
        workflow.handlers["ProbeMediaFunction"] = probe
        status, accepted, _ = api(rehearsal, "POST", f"/jobs/{job_id}/retry")
        outcome = finish(rehearsal, job_id, attempt=2)
        document = api(rehearsal, "GET", f"/jobs/{job_id}")[1]
    assert failed == JobStatus.FAILED
    assert status == 202, accepted
    assert outcome.status == "SUCCEEDED", (outcome.error, outcome.cause)
    assert document["status"] == JobStatus.COMPLETED
    assert call_log.denied() == []


def test_the_schema_resource_answers_create_update_and_delete(make_rehearsal, rehearsal_tables, call_log):
    with make_rehearsal(DEFAULT) as rehearsal:
        # make_rehearsal has created it; a new layer version (new migrations) is an Update.
        properties = rehearsal.stack.properties("DatabaseSchema")
        newer_layer = properties["Migrations"].rsplit(":", 1)[0] + ":2"
        updated = rehearsal.custom_resource("Update", old_properties=properties, Migrations=newer_layer)
        deleted = rehearsal.custom_resource("Delete")
        # Delete leaves the data alone: the schema is still there for the cluster's final snapshot.
        tables = rehearsal_tables()
    assert (updated["Status"], deleted["Status"]) == ("SUCCESS", "SUCCESS"), (updated, deleted)
    assert updated["PhysicalResourceId"] == deleted["PhysicalResourceId"] == "mediascribe-schema"
    assert {"assets", "assets_processing_jobs"} <= tables
    assert call_log.denied() == []


def test_the_sweeper_fails_a_job_whose_failure_could_not_be_recorded(
    make_rehearsal, rehearsal_postgres, call_log, tmp_path
):
    media = make_speech_like(tmp_path / "talk.mp3", 3.0)
    with make_rehearsal(DEFAULT) as rehearsal:
        workflow = rehearsal.workflow

        def refuse(event: object, context: object) -> object:
            raise CorruptMediaError("the probe refuses this file")

        def lose(event: object, context: object) -> object:
            raise RuntimeError("the failure handler is lost")

        workflow.handlers["ProbeMediaFunction"] = refuse
        workflow.handlers["MarkJobFailedFunction"] = lose
        job_id = submit(rehearsal, media, "talk.mp3")
        assert finish(rehearsal, job_id).status == "FAILED"
        assert api(rehearsal, "GET", f"/jobs/{job_id}")[1]["status"] in (
            JobStatus.PENDING,
            JobStatus.PROCESSING,
        )
        _age_jobs(rehearsal_postgres, hours=3)
        payload, error = workflow.invoke("SweepStaleJobsFunction", SCHEDULED_EVENT)
        status, document, _ = api(rehearsal, "GET", f"/jobs/{job_id}")
    assert error is None, payload
    assert payload["failed"] == [job_id]
    assert (status, document["status"]) == (200, JobStatus.FAILED)
    assert call_log.denied() == []


# What an EventBridge schedule sends its target.
SCHEDULED_EVENT = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-12-08T03:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/SweepStaleJobs"],
    "detail": {},
}


def _age_jobs(server, *, hours: int) -> None:
    """Nobody has touched the jobs for ``hours``: the database's own clock cannot be moved."""
    connection = psycopg2.connect(host="127.0.0.1", port=server.port, user=SUPERUSER, dbname=DATABASE)
    try:
        with connection, connection.cursor() as cursor:
            # Past the trigger that stamps every update with the time it happened.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                "UPDATE assets_processing_jobs SET updated_at = now() - make_interval(hours => %s)", (hours,)
            )
    finally:
        connection.close()
