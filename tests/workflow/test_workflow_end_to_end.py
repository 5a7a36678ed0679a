"""Whole jobs through the template's state machine: completed, skipped and failed outcomes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mediascribe.jobs.models import JobStatus
from mediascribe.jobs.repository import JobRepository
from support.media_factory import make_garbage, make_image, make_speech_like, make_text, make_video
from support.workflow_runs import SMALL_CHUNK_BYTES, leftover_files, run_file


def _assert_completed_in_order(workflow, jobs: JobRepository, job_id: str, work_dir: Path) -> dict:
    job = jobs.get(job_id)
    assert job.status is JobStatus.COMPLETED
    assert job.progress == 100
    total = job.chunks_total
    assert total is not None and total > 1
    # The fake API answers "Transcript of chunk-<index>.mp3." so the order of the text is checkable.
    expected = " ".join(f"Transcript of chunk-{index:05d}.mp3." for index in range(total))
    content = jobs.get_content(job_id)
    assert content == expected
    outputs = job.result["outputs"]
    assert workflow.read_text(outputs["txt"]).strip() == expected
    document = json.loads(workflow.read_text(outputs["json"]))
    assert document["text"] == expected
    assert "-->" in workflow.read_text(outputs["srt"])
    assert workflow.read_text(outputs["vtt"]).startswith("WEBVTT")
    assert job.result["chunk_count"] == total
    assert leftover_files(work_dir) == []
    return job.result


def test_multi_chunk_mp3_completes_with_content_in_chunk_order(
    make_workflow, jobs, fake_api, work_dir, tmp_path
):
    media = make_speech_like(tmp_path / "long talk.mp3", 40.0, bitrate="64k", channels=1, sample_rate=22050)
    with make_workflow(MAX_CHUNK_SIZE_BYTES=str(SMALL_CHUNK_BYTES)) as workflow:
        job_id, status = run_file(workflow, media)
        assert status == "SUCCEEDED"
        result = _assert_completed_in_order(workflow, jobs, job_id, work_dir)
        assert fake_api.request_count == result["chunk_count"]
        # Only the job's own prefix and the untouched upload exist in the bucket.
        keys = workflow.keys()
        assert [key for key in keys if not key.startswith(f"jobs/{job_id}/")] == ["uploads/long talk.mp3"]
        with media.open("rb") as original:
            assert (
                workflow.client("s3")
                .get_object(Bucket=workflow.options.bucket, Key="uploads/long talk.mp3")["Body"]
                .read()
                == original.read()
            )


def test_video_completes_from_its_audio_track(make_workflow, jobs, work_dir, tmp_path):
    media = make_video(tmp_path / "clip.mp4", 25.0)
    with make_workflow(MAX_CHUNK_SIZE_BYTES=str(SMALL_CHUNK_BYTES)) as workflow:
        job_id, status = run_file(workflow, media)
        assert status == "SUCCEEDED"
        assert jobs.get(job_id).media_type == "video"
        _assert_completed_in_order(workflow, jobs, job_id, work_dir)


@pytest.mark.parametrize(
    ("name", "make", "reason_word"),
    [
        ("notes.txt", lambda path: make_text(path), "text"),
        ("photo.png", lambda path: make_image(path), "image"),
    ],
)
def test_text_and_images_are_skipped(
    make_workflow, jobs, fake_api, work_dir, tmp_path, name, make, reason_word
):
    media = make(tmp_path / name)
    with make_workflow() as workflow:
        job_id, status = run_file(workflow, media)
        assert status == "SUCCEEDED"
        job = jobs.get(job_id)
        assert job.status is JobStatus.SKIPPED
        assert reason_word in job.reason
        assert jobs.get_content(job_id) is None
        assert fake_api.request_count == 0
        assert not workflow.keys(f"jobs/{job_id}/")
    assert leftover_files(work_dir) == []


@pytest.mark.parametrize(
    ("name", "make", "error_name"),
    [
        ("broken.mp3", lambda path: make_garbage(path), "CorruptMediaError"),
        ("silent film.mp4", lambda path: make_video(path, 3.0, audio=False), "NoAudioStreamError"),
        ("empty.wav", lambda path: path.write_bytes(b"") or path, "EmptyMediaError"),
    ],
)
def test_unusable_media_fails_with_a_reason_and_no_content(
    make_workflow, jobs, fake_api, work_dir, tmp_path, name, make, error_name
):
    media = make(tmp_path / name)
    with make_workflow() as workflow:
        job_id, status = run_file(workflow, media)
        assert status == "FAILED"
        job = jobs.get(job_id)
        assert job.status is JobStatus.FAILED
        assert job.cause == error_name
        assert name in job.error  # the message names the user's file
        assert "Traceback" not in job.error
        assert jobs.get_content(job_id) is None
        assert fake_api.request_count == 0
    assert leftover_files(work_dir) == []


def test_object_deleted_before_processing_fails_the_job(make_workflow, jobs, tmp_path):
    media = make_speech_like(tmp_path / "gone.mp3", 3.0)
    with make_workflow() as workflow:
        key = workflow.upload(media, "uploads/gone.mp3")
        event = workflow.s3_event(key)
        workflow.client("s3").delete_object(Bucket=workflow.options.bucket, Key=key)
        payload, error = workflow.invoke("StartJobFunction", event)
        assert error is None
        job_id = payload["jobs"][0]["job_id"]
        outcome = workflow.wait(workflow.execution_arn(job_id))
        assert outcome.status == "FAILED"
        job = jobs.get(job_id)
        assert job.cause == "SourceObjectMissingError"
        assert "does not exist" in job.error
