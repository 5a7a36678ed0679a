"""The events a job's terminal changes put on EventBridge: one per change, with what a rule routes on
and nothing of the transcript; put by the state machine's own EventBridge task, checked as the service
checks them."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from mediascribe.delivery.events import JOB_DETAIL_TYPE, NOTES_DETAIL_TYPE, JobStateChange, NotesStateChange
from mediascribe.local.events import MAX_ENTRY_BYTES, EventLog, checked_events
from support.fake_bedrock import FakeBedrockServer
from support.media_factory import make_garbage, make_speech_like, make_text
from support.workflow_runs import run_file


def test_a_completed_job_puts_one_event_with_its_outputs_and_no_text(make_workflow, tmp_path) -> None:
    media = make_speech_like(tmp_path / "weekly sync.mp3", 3.0)
    with make_workflow() as workflow:
        job_id, status = run_file(workflow, media)
        events = workflow.events.of_job(job_id)
        transcript = workflow.read_text(f"jobs/{job_id}/transcript.txt").strip()
    assert status == "SUCCEEDED"
    assert [(e["source"], e["detail_type"], e["event_bus"]) for e in events] == [
        ("mediascribe", JOB_DETAIL_TYPE, "default")
    ]
    detail = JobStateChange.model_validate(events[0]["detail"])
    assert (detail.status, detail.attempt, detail.delivery_key) == ("completed", 1, f"{job_id}:1:completed")
    assert (detail.source.key, detail.chunk_count, detail.engine) == ("uploads/weekly sync.mp3", 1, "openai")
    assert set(detail.outputs) >= {"txt", "json", "srt", "vtt", "html"}
    assert all(key.startswith(f"jobs/{job_id}/") for key in detail.outputs.values())
    assert detail.reason is None
    assert transcript and transcript not in json.dumps(events[0]["detail"])


def test_a_skipped_and_a_failed_job_each_put_their_event_with_the_reason(make_workflow, tmp_path) -> None:
    notes = make_text(tmp_path / "notes.txt")
    garbage = make_garbage(tmp_path / "broken.mp3")
    with make_workflow() as workflow:
        skipped_id, skipped = run_file(workflow, notes)
        failed_id, failed = run_file(workflow, garbage)
        skip_events = workflow.events.of_job(skipped_id)
        fail_events = workflow.events.of_job(failed_id)
    assert (skipped, failed) == ("SUCCEEDED", "FAILED")
    skip = JobStateChange.model_validate(skip_events[0]["detail"])
    fail = JobStateChange.model_validate(fail_events[0]["detail"])
    assert (len(skip_events), skip.status, skip.reason) == (
        1,
        "skipped",
        "text file: there is no audio to transcribe",
    )
    assert (len(fail_events), fail.status, fail.delivery_key) == (1, "failed", f"{failed_id}:1:failed")
    assert fail.reason and "media" in fail.reason.lower()
    assert fail.outputs == {}


def test_notes_put_an_event_of_their_own_after_the_jobs(make_workflow, tmp_path) -> None:
    media = make_speech_like(tmp_path / "sync.mp3", 3.0)
    with (
        FakeBedrockServer() as bedrock,
        make_workflow(
            TRANSCRIPTION_MODEL="whisper-1",
            NOTES_PROVIDER="bedrock",
            AWS_ENDPOINT_URL_BEDROCK_RUNTIME=bedrock.endpoint_url,
        ) as workflow,
    ):
        job_id, status = run_file(workflow, media)
        events = workflow.events.of_job(job_id)
    assert status == "SUCCEEDED"
    assert [e["detail_type"] for e in events] == [JOB_DETAIL_TYPE, NOTES_DETAIL_TYPE]
    notes = NotesStateChange.model_validate(events[1]["detail"])
    assert (notes.status, notes.provider, notes.delivery_key) == (
        "completed",
        "bedrock",
        f"{job_id}:1:notes-completed",
    )
    assert notes.title and notes.outputs == {"html": f"jobs/{job_id}/transcript.html"}


ENTRY = {"Source": "mediascribe", "DetailType": "Transcription Job State Change", "Detail": "{}"}


@pytest.mark.parametrize(
    ("entries", "refusal"),
    [
        ([ENTRY] * 11, "entries"),
        ([{**ENTRY, "EventBusName": "media events!"}], "eventBusName"),
        ([{**ENTRY, "Detail": "x" * MAX_ENTRY_BYTES}], "over the limit"),
    ],
    ids=["eleven entries", "a bus name outside the pattern", "an entry over 256 KB"],
)
def test_a_request_eventbridge_would_refuse_is_refused_locally(entries: list, refusal: str) -> None:
    log = EventLog()
    with mock_aws(), checked_events(log):
        client = boto3.client("events", region_name="us-east-1")
        with pytest.raises(ClientError, match=refusal) as refused:
            client.put_events(Entries=entries)
        client.put_events(Entries=[{**ENTRY, "Detail": '{"job_id": "j"}'}])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert [entry["detail"] for entry in log.entries] == [{"job_id": "j"}]
