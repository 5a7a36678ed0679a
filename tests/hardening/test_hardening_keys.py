"""Object keys that look like paths out of the sandbox.

S3 keys are opaque names: ``uploads/../../etc/passwd`` is an object like any other, so it is
transcribed from S3 and never resolved on disk. Keys outside the upload prefix and keys with control
characters are rejected by the start step before a job exists, with a log line saying why.
"""

from __future__ import annotations

import logging
import urllib.parse
from pathlib import Path

import pytest

from mediascribe.jobs.models import JobStatus
from support.fake_openai import SCRATCH_PREFIX
from support.hardening import (
    assert_contained,
    auditing_files,
    captured_logs,
    deliver_and_wait,
    expected_text,
    file_digest,
    object_digest,
    run_upload,
    settled,
    tree,
)
from support.job_rows import job_count
from support.media_factory import make_audio

PROCESSED = {
    "parent-segment": "uploads/../escape.mp3",
    "etc-passwd": "uploads/../../etc/passwd",
    "double-slash-absolute": "uploads//etc/passwd",
    "dot-segment": "uploads/./here.mp3",
    "only-dots": "uploads/..",
    "three-dots": "uploads/...",
}
REJECTED = {
    "absolute": "/etc/x",
    "climbs-out-of-prefix": "../uploads/x.mp3",
    "nul": "uploads/evil\x00.mp3",
    "newline": "uploads/two\nlines.mp3",
    "escape-sequence": "uploads/red\x1b[31m.mp3",
    "delete-char": "uploads/del\x7f.mp3",
}


@pytest.fixture
def tone(media_library) -> Path:
    return media_library.get("key-tone.mp3", lambda path: make_audio(path, 3.0, fmt="mp3"))


def _outside(tmp_path: Path, work_dir: Path) -> list[str]:
    return [entry for entry in tree(tmp_path) if not entry.startswith(work_dir.name)]


@pytest.mark.parametrize("key", PROCESSED.values(), ids=PROCESSED.keys())
def test_path_like_keys_are_transcribed_from_s3_and_never_resolved_on_disk(
    key, tone, make_workflow, jobs, work_dir, tmp_path
):
    outside_before = _outside(tmp_path, work_dir)
    with make_workflow() as workflow, auditing_files() as audit:
        run = run_upload(workflow, tone, key)
        job = settled(jobs, run)
        assert job.status is JobStatus.COMPLETED, job.error
        # The text came from the uploaded tone, not from a file the key names on this machine.
        assert jobs.get_content(job.id) == expected_text(job.chunks_total or 0)
        assert object_digest(workflow, key)[1] == file_digest(tone)
        assert_contained(workflow, run, work_dir=work_dir)
    assert _outside(tmp_path, work_dir) == outside_before
    written = [path for path in audit.written if not path.startswith(str(work_dir))]
    assert [path for path in written if "passwd" in path or "escape" in path or path.endswith("..")] == []
    # The fake API reads uploads from a pipe or from scratch files of its own; every other run is the
    # workflow's.
    media_commands = [
        argv
        for argv in audit.commands
        if Path(argv[0]).name in ("ffmpeg", "ffprobe")
        and "pipe:0" not in argv
        and not any(Path(arg).name.startswith(SCRATCH_PREFIX) for arg in argv[1:])
    ]
    assert media_commands, "the media steps ran no ffmpeg"
    for argv in media_commands:
        files = [arg for arg in argv[1:] if arg.startswith("/")]
        assert files and all(arg.startswith(str(work_dir)) for arg in files), argv


def _event_for(bucket: str, key: str) -> dict:
    """A notification as S3 would send it for ``key`` (which S3 itself may refuse to store)."""
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": urllib.parse.quote_plus(key, safe="/"), "size": 3, "eTag": "0" * 32},
        },
    }
    return {"Records": [record]}


@pytest.mark.parametrize("key", REJECTED.values(), ids=REJECTED.keys())
def test_keys_outside_the_upload_prefix_or_with_control_characters_are_rejected_before_a_job_exists(
    key, make_workflow, database, work_dir
):
    with make_workflow() as workflow, captured_logs() as logs:
        keys_before = workflow.keys()
        run = deliver_and_wait(workflow, _event_for(workflow.options.bucket, key), key)
        assert run.job_id is None
        assert [entry["key"] for entry in run.start_reply["rejected"]] == [key]
        assert workflow.executions() == []
        assert run.s3.calls == []
        assert workflow.keys() == keys_before
    assert job_count(database) == 0
    assert tree(work_dir) == []
    rejections = [record for record in logs.records if record.getMessage() == "upload rejected"]
    assert len(rejections) == 1
    assert rejections[0].levelno == logging.WARNING
    reason = rejections[0].reason
    assert ("control characters" in reason) or ("only keys under" in reason), reason
