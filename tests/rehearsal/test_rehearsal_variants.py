"""Other deployments a user makes, rehearsed: Amazon Transcribe as the engine; notes on Bedrock (by
model id and by inference profile) or OpenAI, and on a Notion page; an existing PostgreSQL. Each runs
a job to its end with the functions' template configuration, every call judged against its role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mediascribe.jobs import JobStatus
from support.fake_bedrock import FakeBedrockServer
from support.fake_notion import TOKEN as NOTION_TOKEN
from support.fake_notion import FakeNotionServer
from support.fake_transcribe import FakeTranscribeServer
from support.media_factory import make_speech_like
from support.rehearsal.drive import api, finish, submit
from support.rehearsal.variants import (
    AMAZON,
    BEDROCK_MODEL_ID,
    BEDROCK_PROFILE,
    OPENAI_NOTES,
    existing_database,
    notion_notes,
)
from support.speech_factory import make_speech
from support.virtual_clock import VirtualClock


@pytest.fixture
def transcribe() -> Iterator[FakeTranscribeServer]:
    with FakeTranscribeServer() as server:
        yield server


@pytest.fixture
def bedrock() -> Iterator[FakeBedrockServer]:
    with FakeBedrockServer() as server:
        yield server


def test_amazon_transcribe_reads_each_chunk_from_the_bucket(
    make_rehearsal_with, transcribe, call_log, tmp_path
):
    media = tmp_path / "call.mp3"
    make_speech(media, ["Please send the Aurora report to maria at example dot com.", "Thank you."])
    with make_rehearsal_with(AMAZON, AWS_ENDPOINT_URL_TRANSCRIBE=transcribe.endpoint_url) as rehearsal:
        job_id = submit(rehearsal, media, "call.mp3")
        outcome = finish(rehearsal, job_id)
        status, document, _ = api(rehearsal, "GET", f"/jobs/{job_id}", include="content")
    assert outcome.status == "SUCCEEDED", (outcome.error, outcome.cause)
    assert (status, document["status"]) == (200, JobStatus.COMPLETED)
    requests = transcribe.requests
    assert requests and all("MediaFileUri" in request.params["Media"] for request in requests)
    assert all(len(request.params.get("VocabularySettings", [])) <= 5 for request in requests)
    assert call_log.denied() == []


@pytest.mark.parametrize("variant", [BEDROCK_MODEL_ID, BEDROCK_PROFILE], ids=lambda v: v.name)
def test_bedrock_notes_are_written_for_a_completed_job(
    make_rehearsal_with, bedrock, variant, call_log, tmp_path
):
    media = make_speech_like(tmp_path / "sync.mp3", 3.0)
    with make_rehearsal_with(variant, AWS_ENDPOINT_URL_BEDROCK_RUNTIME=bedrock.endpoint_url) as rehearsal:
        job_id = submit(rehearsal, media, "sync.mp3")
        outcome = finish(rehearsal, job_id)
        status, document, _ = api(rehearsal, "GET", f"/jobs/{job_id}")
    assert outcome.status == "SUCCEEDED", (outcome.error, outcome.cause)
    assert (status, document["status"], document["notes"]["status"]) == (200, "completed", "completed")
    assert bedrock.script.calls == 1
    assert call_log.denied() == []


def test_openai_notes_are_written_and_rewritten_on_request(make_rehearsal, call_log, tmp_path):
    media = make_speech_like(tmp_path / "sync.mp3", 3.0)
    with make_rehearsal(OPENAI_NOTES) as rehearsal:
        job_id = submit(rehearsal, media, "sync.mp3")
        outcome = finish(rehearsal, job_id)
        first = api(rehearsal, "GET", f"/jobs/{job_id}")[1]["notes"]["status"]
        accepted, _, _ = api(rehearsal, "POST", f"/jobs/{job_id}/notes")
        rehearsal.workflow.invocations.wait_idle(120)
        again = api(rehearsal, "GET", f"/jobs/{job_id}")[1]["notes"]["status"]
    assert outcome.status == "SUCCEEDED", (outcome.error, outcome.cause)
    assert (first, accepted, again) == ("completed", 202, "completed")
    assert call_log.denied() == []


def test_an_existing_postgresql_in_a_vpc_is_reached_with_verified_tls(
    make_rehearsal, rehearsal_postgres, rehearsal_ca, call_log, tmp_path
):
    media = make_speech_like(tmp_path / "talk.mp3", 3.0)
    with make_rehearsal(existing_database(rehearsal_postgres.port)) as rehearsal:
        assert rehearsal.stack.function("ProbeMediaFunction").environment["DATABASE_MODE"] == "postgres"
        job_id = submit(rehearsal, media, "talk.mp3")
        outcome = finish(rehearsal, job_id)
        status, document, _ = api(rehearsal, "GET", f"/jobs/{job_id}")
    assert outcome.status == "SUCCEEDED", (outcome.error, outcome.cause)
    assert (status, document["status"]) == (200, JobStatus.COMPLETED)
    assert call_log.denied() == []


def test_notes_reach_their_notion_page_with_the_token_from_its_secret(
    make_rehearsal_with, bedrock, call_log, tmp_path
):
    media = make_speech_like(tmp_path / "planning.mp3", 3.0)
    with FakeNotionServer(clock=VirtualClock()) as notion:
        parent = notion.share_page("Recordings")
        with make_rehearsal_with(
            notion_notes(parent, NOTION_TOKEN),
            AWS_ENDPOINT_URL_BEDROCK_RUNTIME=bedrock.endpoint_url,
            NOTION_BASE_URL=notion.base_url,
        ) as rehearsal:
            job_id = submit(rehearsal, media, "planning.mp3")
            outcome = finish(rehearsal, job_id)
            document = api(rehearsal, "GET", f"/jobs/{job_id}")[1]
        pages = notion.pages()
    assert outcome.status == "SUCCEEDED", (outcome.error, outcome.cause)
    assert document["notes"]["status"] == "completed"
    assert document["notion"]["status"] == "delivered", document["notion"]
    assert len(pages) == 1
    assert call_log.denied() == []
