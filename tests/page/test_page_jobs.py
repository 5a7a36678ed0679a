"""Every completed job has its page: the workflow writes it with the outputs and again with the
notes, ``transcribe --out`` writes one that plays the file in place, and the jobs API and
``mediascribe open`` hand out fresh URLs of it. The pages are opened in Chromium."""

from __future__ import annotations

import json
import shutil
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.credentials import Credentials
from page_support import Console, open_page, seeked_to_after

from mediascribe.cli import main
from mediascribe.jobs.models import JobStatus
from mediascribe.remote import ApiClient
from mediascribe.workflow.page import PAGE_LINK_SECONDS
from support.api_gateway import ApiGatewayStandIn, caller_environment, proxy_event
from support.browser import serve
from support.fake_bedrock import FakeBedrockServer
from support.media_factory import make_garbage, make_speech_like, make_video
from support.workflow_runs import SMALL_CHUNK_BYTES, run_file

PRINCIPAL = "arn:aws:iam::123456789012:user/tester"
OTHER = "arn:aws:iam::123456789012:user/bob"
CREDENTIALS = Credentials("testing", "testing")
MAKERS = {
    "talk.mp3": lambda path: make_speech_like(path, 20.0, bitrate="64k", channels=1, sample_rate=22050),
    "clip.webm": lambda path: make_video(path, 20.0),
}


def bucket_on_disk(root: Path, files: dict[str, str | Path]) -> Path:
    """Objects at their keys under ``root``, as a copy of the bucket would lay them out."""
    for key, content in files.items():
        target = root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            target.write_text(content, encoding="utf-8")
    return root


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_a_completed_job_has_a_page_of_its_transcript_that_plays_its_source(
    make_workflow, jobs, page: Any, console: Console, tmp_path: Path, name: str
) -> None:
    media = MAKERS[name](tmp_path / name)
    with make_workflow(
        TRANSCRIPTION_MODEL="whisper-1", MAX_CHUNK_SIZE_BYTES=str(SMALL_CHUNK_BYTES)
    ) as workflow:
        job_id, status = run_file(workflow, media)
        job = jobs.get(job_id)
        outputs = job.result["outputs"]
        stored = workflow.read_text(outputs["html"])
        segments = json.loads(workflow.read_text(outputs["json"]))["segments"]
    assert status == "SUCCEEDED" and job.status is JobStatus.COMPLETED
    assert outputs["html"] == f"jobs/{job_id}/transcript.html"
    assert len(segments) > 1
    site = bucket_on_disk(tmp_path / "bucket", {outputs["html"]: stored, f"uploads/{name}": media})
    with serve(site) as base_url:
        open_page(page, base_url + outputs["html"])
        assert page.locator(".line .text").all_text_contents() == [s["text"] for s in segments]
        assert page.locator("#player").evaluate("player => player.tagName") == (
            "VIDEO" if name.endswith(".webm") else "AUDIO"
        )
        position = seeked_to_after(page, page.locator(".line").nth(1).click)
    assert position == pytest.approx(segments[1]["start"], abs=0.2)
    assert console.errors == []


def test_the_notes_are_added_to_the_page_when_they_arrive(
    make_workflow, jobs, page: Any, console: Console, tmp_path: Path
) -> None:
    media = make_speech_like(tmp_path / "weekly sync.mp3", 8.0)
    with (
        FakeBedrockServer() as bedrock,
        make_workflow(
            TRANSCRIPTION_MODEL="whisper-1",
            MAX_CHUNK_SIZE_BYTES=str(SMALL_CHUNK_BYTES),
            NOTES_PROVIDER="bedrock",
            AWS_ENDPOINT_URL_BEDROCK_RUNTIME=bedrock.endpoint_url,
        ) as workflow,
    ):
        job_id, status = run_file(workflow, media)
        stored = workflow.read_text(f"jobs/{job_id}/transcript.html")
    assert status == "SUCCEEDED"
    _, notes = jobs.notes(job_id)
    assert notes is not None and notes["status"] == "completed" and notes["chapters"]
    site = bucket_on_disk(tmp_path / "bucket", {"page.html": stored, "uploads/weekly sync.mp3": media})
    with serve(site) as base_url:
        open_page(page, base_url + "page.html")
        assert page.locator("h1").text_content() == notes["title"]
        assert page.title() == notes["title"]
        assert page.locator(".notes p").first.text_content() == " ".join(notes["summary"].split())
        assert page.locator(".actions li").count() == len(notes["action_items"])
        chapters = page.locator(".chapters a")
        assert chapters.count() == len(notes["chapters"])
        last = notes["chapters"][-1]
        position = seeked_to_after(page, chapters.nth(len(notes["chapters"]) - 1).click)
    assert position == pytest.approx(last["start_seconds"], abs=0.2)
    assert console.errors == []


def test_transcribe_out_writes_a_page_that_plays_the_file_where_it_is(
    cli_env, page: Any, console: Console, tmp_path: Path
) -> None:
    media = make_speech_like(tmp_path / "my talk.mp3", 6.0)
    out = tmp_path / "transcripts"
    assert main(["transcribe", str(media), "--out", str(out)]) == 0
    written = out / "my talk.html"
    assert '<audio id="player" class="player" controls preload="metadata" src="../my%20talk.mp3">' in (
        written.read_text()
    )
    with serve(tmp_path) as base_url:
        open_page(page, f"{base_url}transcripts/my%20talk.html")
        assert page.evaluate("document.getElementById('player').currentSrc") == f"{base_url}my%20talk.mp3"
        assert page.locator(".line").count() >= 1
    assert console.errors == []


@pytest.fixture
def stack(make_workflow, monkeypatch):
    """The local workflow behind the API stand-in, with the caller's credentials in the environment."""
    with (
        make_workflow() as workflow,
        ApiGatewayStandIn(workflow, CREDENTIALS, PRINCIPAL) as api,
        caller_environment(monkeypatch, CREDENTIALS),
    ):
        yield workflow, api


def submitted(workflow, api: ApiGatewayStandIn, media: Path) -> str:
    client = ApiClient.from_default_session(api.base_url)
    job_id = str(client.submit(media)["job_id"])
    workflow.wait(workflow.execution_arn(job_id))
    return job_id


def test_open_prints_fresh_urls_of_the_page_and_its_media(stack, tmp_path: Path, capsys) -> None:
    workflow, api = stack
    media = make_speech_like(tmp_path / "talk.mp3", 3.0)
    job_id = submitted(workflow, api, media)
    assert main(["open", job_id, "--api", api.base_url, "--no-browser", "--json"]) == 0
    links = json.loads(capsys.readouterr().out)
    page_url, media_url = urllib.parse.urlsplit(links["page_url"]), urllib.parse.urlsplit(links["media_url"])
    # One origin for both, so the page's media-src 'self' admits the media.
    assert (page_url.scheme, page_url.netloc) == (media_url.scheme, media_url.netloc)
    assert page_url.path.endswith(f"/jobs/{job_id}/transcript.html")
    assert urllib.parse.unquote(media_url.path).endswith("/talk.mp3")
    for url in (page_url, media_url):
        assert urllib.parse.parse_qs(url.query)["X-Amz-Expires"] == [str(PAGE_LINK_SECONDS)]
    fragment = urllib.parse.parse_qs(urllib.parse.urlsplit(links["open_url"]).fragment)
    assert links["open_url"].startswith(links["page_url"] + "#") and fragment == {
        "media": [links["media_url"]]
    }
    assert links["expires_in"] == PAGE_LINK_SECONDS
    # The URLs work (S3 here is moto's, in this process).
    page = requests.get(links["page_url"], timeout=10)
    assert page.headers["Content-Type"] == "text/html; charset=utf-8" and '<ol id="lines"' in page.text
    assert requests.get(links["media_url"], timeout=10).content == media.read_bytes()


def test_the_page_route_follows_the_visibility_rules_of_the_job(stack, tmp_path: Path) -> None:
    workflow, api = stack
    job_id = submitted(workflow, api, make_speech_like(tmp_path / "mine.mp3", 3.0))
    failed_id = submitted(workflow, api, make_garbage(tmp_path / "noise.mp3"))

    def get(path: str, caller: str = PRINCIPAL) -> tuple[int, dict[str, Any]]:
        payload, error = workflow.invoke("JobsApiFunction", proxy_event("GET", path, {}, {}, b"", caller))
        assert error is None, payload
        return payload["statusCode"], json.loads(payload["body"])

    assert get(f"/jobs/{job_id}/page")[0] == 200
    assert get(f"/jobs/{job_id}/page", caller=OTHER)[0] == 404
    status, body = get(f"/jobs/{failed_id}/page")
    assert status == 409 and "only a completed job has a page" in body["message"]
    assert get("/jobs/not-a-job/page")[0] == 400
