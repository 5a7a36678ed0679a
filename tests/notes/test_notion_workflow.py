"""The Notion page through the local workflow: a two-speaker recording, notes on Bedrock, the page on
the Notion stand-in; notes written again update that same page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mediascribe.jobs.models import JobStatus
from mediascribe.jobs.repository import JobRepository
from mediascribe.jobs.status import get_job_status
from support.api_gateway import proxy_event
from support.fake_bedrock import FakeBedrockServer
from support.fake_notion import TOKEN, FakeNotionServer
from support.fake_transcribe import FakeTranscribeServer
from support.speech_factory import FEMALE, MALE, Line, make_speech
from support.virtual_clock import VirtualClock

CALLER = "arn:aws:iam::123456789012:user/tester"
MEETING = [
    Line("Good morning and welcome to the weekly planning meeting.", MALE),
    Line("Maria will fix the login bug by Friday.", FEMALE),
    Line("Next topic is hiring, we have two open positions.", MALE),
    Line("Tom will post the job ads tomorrow.", FEMALE),
]


@pytest.fixture
def notion() -> Iterator[FakeNotionServer]:
    with FakeNotionServer(clock=VirtualClock()) as server:
        yield server


@pytest.fixture
def bedrock() -> Iterator[FakeBedrockServer]:
    with FakeBedrockServer() as server:
        yield server


@pytest.fixture
def transcribe_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTranscribeServer]:
    with FakeTranscribeServer() as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_TRANSCRIBE", server.endpoint_url)
        yield server


def notion_environment(notion: FakeNotionServer, bedrock: FakeBedrockServer, parent: str) -> dict[str, str]:
    return {
        "TRANSCRIPTION_ENGINE": "amazon",
        "TRANSCRIPTION_SPEAKERS": "2",
        "TRANSCRIPTION_LANGUAGE": "en",
        "NOTES_PROVIDER": "bedrock",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": bedrock.endpoint_url,
        "NOTES_FUNCTION_NAME": "WriteNotesFunction",
        "NOTION_PARENT_PAGE_ID": parent,
        "NOTION_TOKEN": TOKEN,
        "NOTION_BASE_URL": notion.base_url,
    }


def api(workflow: Any, method: str, path: str, body: object = None) -> tuple[int, dict[str, Any]]:
    encoded = b"" if body is None else json.dumps(body).encode()
    event = proxy_event(method, path, {}, {"Content-Type": "application/json"}, encoded, CALLER)
    payload, error = workflow.invoke("JobsApiFunction", event)
    assert error is None, payload
    return payload["statusCode"], json.loads(payload["body"])


def sections(tree: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The page's blocks under each heading."""
    found: dict[str, list[dict[str, Any]]] = {}
    current = ""
    for node in tree:
        if node["type"] == "heading_2":
            current = node["text"]
            found[current] = []
        else:
            found.setdefault(current, []).append(node)
    return found


@pytest.mark.slow
def test_a_two_speaker_recording_gets_one_page_with_every_part_and_writing_again_updates_it(
    make_workflow: Any,
    jobs: JobRepository,
    notion: FakeNotionServer,
    bedrock: FakeBedrockServer,
    transcribe_service: FakeTranscribeServer,
    tmp_path: Path,
) -> None:
    parent = notion.share_page("Recordings")
    make_speech(tmp_path / "planning.mp3", MEETING)
    with make_workflow(**notion_environment(notion, bedrock, parent)) as workflow:
        # Through the API, as the caller whose job it is (only they may ask for the notes again).
        upload = api(workflow, "POST", "/jobs", {"upload": {"filename": "planning.mp3"}})[1]
        workflow.upload(tmp_path / "planning.mp3", upload["key"])
        job_id = api(workflow, "POST", "/jobs", {"key": upload["key"]})[1]["job_id"]
        assert workflow.wait(workflow.execution_arn(job_id), timeout_seconds=900).status == "SUCCEEDED"
        first = get_job_status(jobs, job_id, include_content=True)
        [page] = notion.pages()
        first_tree = notion.tree(page.id)

        assert api(workflow, "POST", f"/jobs/{job_id}/notes")[0] == 202
        workflow.invocations.wait_idle(60)
        again = api(workflow, "GET", f"/jobs/{job_id}")[1]

    notes = first["notes"]
    assert first["notion"] == {"status": "delivered", "page_id": page.id, "url": first["notion"]["url"]}
    assert first["notion"]["url"].startswith("https://www.notion.so/")
    assert page.parent == {"type": "page_id", "page_id": parent}
    assert notion.page_title(page.id) == notes["title"] == first["title"]
    parts = sections(first_tree)
    assert list(parts) == ["Summary", "Chapters", "Action items", "Speakers", "Source", "Transcript"]
    assert " ".join(node["text"] for node in parts["Summary"]) == notes["summary"]
    assert [node["text"][9:] for node in parts["Chapters"]] == [c["title"] for c in notes["chapters"]]
    assert {(node["type"], node["text"], node["checked"]) for node in parts["Action items"]} == {
        ("to_do", f"{a['task']} ({a['owner']})" if a["owner"] else a["task"], False)
        for a in notes["action_items"]
    }
    assert any("Maria" in node["text"] for node in parts["Action items"])
    assert [node["text"] for node in parts["Speakers"]] == ["Speaker 1", "Speaker 2"]
    source = [node["text"] for node in parts["Source"]]
    assert source[0] == "File: planning.mp3" and source[1].startswith("Duration: 00:00:")
    assert source[2] == f"Engine: Amazon Transcribe ({first['result']['model']})"
    # The transcript itself, in toggles by chapter, every segment once and in order.
    toggles = parts["Transcript"]
    assert toggles and all(node["type"] == "toggle" for node in toggles)
    lines = [child["text"] for node in toggles for child in node["children"]]
    transcript = " ".join(line.split(": ", 1)[1] for line in lines)
    assert " ".join(transcript.split()) == " ".join(first["content"].split())
    assert {line.split("] ", 1)[1].split(":")[0] for line in lines} == {"Speaker 1", "Speaker 2"}

    # Written again: the same page, its old blocks in the trash, the new ones in their place.
    assert again["notes"]["status"] == "completed"
    assert again["notion"]["status"] == "delivered" and again["notion"]["page_id"] == page.id
    assert len(notion.pages()) == 1
    assert notion.tree(page.id) == first_tree
    assert [r.path for r in notion.requests if r.method == "POST"] == ["/v1/pages"]
    deleted = [r for r in notion.requests if r.method == "DELETE"]
    assert len(deleted) == len(first_tree)
    assert jobs.get(job_id).status is JobStatus.COMPLETED
