"""The local end-to-end scenarios against a deployed stack, through its jobs API.

Runs when ``AWS_SAM_STACK_NAME`` names a deployed stack (with AWS credentials that may call its API);
the API address is read from the stack's ``JobsApiUrl`` output. ``make e2e`` prints one line instead
when the variable is not set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from mediascribe.remote import ApiClient
from support.media_factory import make_garbage, make_text

STACK = os.environ.get("AWS_SAM_STACK_NAME", "")
SAMPLES = Path(__file__).resolve().parents[2] / "samples"

if not STACK:
    pytest.skip("e2e: AWS_SAM_STACK_NAME is not set", allow_module_level=True)


@pytest.fixture(scope="module")
def api() -> ApiClient:
    import boto3

    stack = boto3.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    return ApiClient.from_default_session(outputs["JobsApiUrl"])


def _run(api: ApiClient, path: Path) -> dict[str, Any]:
    return api.wait(api.submit(path)["job_id"])


def test_speech_completes_with_the_spoken_text(api):
    import jiwer

    document = _run(api, SAMPLES / "speech-sample.mp3")
    assert document["status"] == "completed", document
    reference = (SAMPLES / "speech-sample.txt").read_text(encoding="utf-8")
    assert jiwer.wer(reference.lower(), document["content"].lower()) < 0.3


def test_text_is_skipped_with_a_reason(api, tmp_path):
    document = _run(api, make_text(tmp_path / "notes.txt"))
    assert document["status"] == "skipped"
    assert "text" in document["reason"]


def test_random_bytes_fail_with_a_reason_a_person_can_read(api, tmp_path):
    document = _run(api, make_garbage(tmp_path / "noise.mp3"))
    assert document["status"] == "failed"
    assert "noise.mp3" in document["error"]
    for internal in ("/tmp", "0x", "ffprobe"):
        assert internal not in document["error"]


def test_a_completed_job_s_page_and_media_open_through_fresh_urls(api):
    import urllib.parse
    import urllib.request

    document = _run(api, SAMPLES / "speech-sample.mp3")
    links = api.page(document["job_id"])
    with urllib.request.urlopen(links["page_url"], timeout=30) as page:
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "media-src 'self'" in page.read().decode("utf-8")
    with urllib.request.urlopen(links["media_url"], timeout=30) as media:
        assert media.read() == (SAMPLES / "speech-sample.mp3").read_bytes()
    # One origin for both: the page's media-src 'self' admits the media.
    hosts = {urllib.parse.urlsplit(links[name]).netloc for name in ("page_url", "media_url")}
    assert len(hosts) == 1
