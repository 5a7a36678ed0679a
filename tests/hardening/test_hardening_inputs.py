"""Whatever lands in the upload prefix ends in a truthful state: usable media completes with the right
text, anything else fails with a reason a person understands (or is skipped when it is text or an
image), and no case modifies the source, writes outside its job prefix or leaves temp files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mediascribe.jobs.models import JobStatus
from mediascribe.jobs.status import get_job_status
from support.hardening import (
    SMALL_CHUNK_BYTES,
    assert_contained,
    deliver_and_wait,
    expected_text,
    file_digest,
    object_digest,
    run_upload,
    settled,
    text_unless_silent,
)
from support.media_factory import (
    make_audio,
    make_garbage,
    make_image,
    make_silence,
    make_speech_like,
    make_text,
    make_truncated,
    make_video,
)

SECONDS = 4.0
LONG_NAME = "n" * (1024 - len("uploads/") - len(".mp3"))


@dataclass(frozen=True)
class Case:
    key: str
    make: Callable[[Path], Path]
    environment: dict[str, str] = field(default_factory=dict)


def _audio(fmt: str) -> Callable[[Path], Path]:
    return lambda path: make_audio(path, SECONDS, fmt=fmt)


def _video(fmt: str) -> Callable[[Path], Path]:
    return lambda path: make_video(path, SECONDS, fmt=fmt)


def _mp3(path: Path) -> Path:
    return make_audio(path, SECONDS, fmt="mp3")


def _long_speech(path: Path) -> Path:
    # 64 kbit/s mono: each 64 KiB chunk holds about 8 s, so 200 s gives 20+ chunks.
    return make_speech_like(path, 200.0, bitrate="64k", channels=1, sample_rate=22050)


def _truncated_header(path: Path) -> Path:
    whole = make_audio(path.with_name("whole.wav"), SECONDS, fmt="wav")
    return make_truncated(whole, path, keep=20 / whole.stat().st_size)


GOOD = {
    "mp3": Case("uploads/tone.mp3", _audio("mp3")),
    "wav": Case("uploads/tone.wav", _audio("wav")),
    "m4a-aac": Case("uploads/tone.m4a", _audio("m4a")),
    "adts-aac": Case("uploads/tone.aac", _audio("aac")),
    "ogg-vorbis": Case("uploads/tone.ogg", _audio("ogg")),
    "opus": Case("uploads/tone.opus", _audio("opus")),
    "flac": Case("uploads/tone.flac", _audio("flac")),
    "mp4": Case("uploads/clip.mp4", _video("mp4")),
    "mkv": Case("uploads/clip.mkv", _video("mkv")),
    "mov": Case("uploads/clip.mov", _video("mov")),
    "webm": Case("uploads/clip.webm", _video("webm")),
    "m4a-named-mp3": Case("uploads/disguised.mp3", _audio("m4a")),
    "no-extension": Case("uploads/recording", _mp3),
    "spaces": Case("uploads/team meeting  notes .mp3", _mp3),
    "unicode": Case("uploads/Ünïcødé 会议 🎙.mp3", _mp3),
    "quotes": Case('uploads/it\'s "quoted" `too`.mp3', _mp3),
    "hash-plus": Case("uploads/take#2+final+mix.mp3", _mp3),
    "percent-sequences": Case("uploads/already%20encoded%2Fnot-a-dir.mp3", _mp3),
    "long-name": Case(f"uploads/{LONG_NAME}.mp3", _mp3),
    "nested-prefix": Case("uploads/2024/team/a/b/c/deep.mp3", _mp3),
    "many-chunks": Case(
        "uploads/long talk.mp3", _long_speech, {"MAX_CHUNK_SIZE_BYTES": str(SMALL_CHUNK_BYTES)}
    ),
}


@pytest.mark.parametrize(("label", "case"), GOOD.items(), ids=GOOD.keys())
def test_usable_media_completes_with_the_text_of_every_chunk_in_order(
    label: str, case: Case, media_library, make_workflow, jobs, fake_api, work_dir
):
    media = media_library.get(label + Path(case.key).suffix, case.make)
    with make_workflow(**case.environment) as workflow:
        run = run_upload(workflow, media, case.key)
        assert run.outcome is not None and run.outcome.status == "SUCCEEDED", run.outcome
        job = settled(jobs, run)
        assert job.status is JobStatus.COMPLETED
        assert job.chunks_total is not None and job.chunks_total >= 1
        assert jobs.get_content(job.id) == expected_text(job.chunks_total)
        assert workflow.read_text(job.result["outputs"]["txt"]).strip() == expected_text(job.chunks_total)
        assert fake_api.request_count == job.chunks_total
        assert object_digest(workflow, case.key)[1] == file_digest(media)
        assert_contained(workflow, run, work_dir=work_dir)
    assert get_job_status(jobs, job.id)["file_name"] == case.key.rsplit("/", 1)[-1]
    if case.environment:
        assert job.chunks_total >= 20


def test_pure_silence_completes_with_an_empty_transcript(
    media_library, make_workflow, jobs, fake_api, work_dir
):
    """Silence is never sent to the API (which would invent words); that is a finished job with empty
    text and no speech, not a failure."""
    media = media_library.get("silence.mp3", lambda path: make_silence(path, SECONDS))
    with make_workflow() as workflow:
        run = run_upload(workflow, media, "uploads/quiet room.mp3")
        assert run.outcome is not None and run.outcome.status == "SUCCEEDED"
        job = settled(jobs, run)
        assert job.status is JobStatus.COMPLETED
        assert jobs.get_content(job.id) == ""
        assert workflow.read_text(job.result["outputs"]["txt"]).strip() == ""
        assert fake_api.request_count == 0 and job.chunks_total == 1
        assert job.result["speech_seconds"] == 0
        assert_contained(workflow, run, work_dir=work_dir)


def test_silent_chunks_inside_speech_add_no_words_and_the_rest_keeps_its_order(
    media_library, make_workflow, jobs, fake_api, work_dir
):
    """A long pause yields chunks without speech; they are not sent, and neither fail the job nor leave
    gaps."""
    media = media_library.get(
        "pause.mp3", lambda path: make_audio(path, 40.0, fmt="mp3", gaps=[(8.0, 24.0)], bitrate="64k")
    )
    with make_workflow(MAX_CHUNK_SIZE_BYTES=str(SMALL_CHUNK_BYTES)) as workflow:
        run = run_upload(workflow, media, "uploads/long pause.mp3")
        assert_contained(workflow, run, work_dir=work_dir)
    job = settled(jobs, run)
    assert job.status is JobStatus.COMPLETED
    # A chunk's speech goes out as mp3, or as FLAC when it was cut to its speech: named after the chunk.
    answered = {Path(request.filename).stem: text_unless_silent(request) for request in fake_api.requests}
    in_order = [answered.get(f"chunk-{index:05d}", "") for index in range(job.chunks_total or 0)]
    assert len(answered) < (job.chunks_total or 0) and all(answered.values())
    assert jobs.get_content(job.id) == " ".join(text for text in in_order if text)


@dataclass(frozen=True)
class BadCase:
    name: str
    make: Callable[[Path], Path]
    status: JobStatus
    cause: str | None
    says: tuple[str, ...]
    environment: dict[str, str] = field(default_factory=dict)
    delete_first: bool = False


BAD = {
    "zero-bytes": BadCase(
        "empty.mp3",
        lambda path: path.write_bytes(b"") or path,
        JobStatus.FAILED,
        "EmptyMediaError",
        ("empty",),
    ),
    "truncated-header": BadCase(
        "cut short.wav", _truncated_header, JobStatus.FAILED, "CorruptMediaError", ("cut short.wav",)
    ),
    "random-bytes": BadCase(
        "noise.mp3", lambda path: make_garbage(path), JobStatus.FAILED, "CorruptMediaError", ("noise.mp3",)
    ),
    "video-without-audio": BadCase(
        "silent film.mp4",
        lambda path: make_video(path, 2.0, audio=False, fmt="mp4"),
        JobStatus.FAILED,
        "NoAudioStreamError",
        ("silent film.mp4", "audio"),
    ),
    "png": BadCase("photo.png", lambda path: make_image(path), JobStatus.SKIPPED, None, ("image",)),
    "jpeg": BadCase(
        "photo.jpg", lambda path: make_image(path, fmt="jpeg"), JobStatus.SKIPPED, None, ("image",)
    ),
    "text": BadCase("notes.txt", lambda path: make_text(path), JobStatus.SKIPPED, None, ("text",)),
    "deleted-before-start": BadCase(
        "gone.mp3", _mp3, JobStatus.FAILED, "SourceObjectMissingError", ("does not exist",), delete_first=True
    ),
    "over-max-duration": BadCase(
        "too long.mp3",
        _mp3,
        JobStatus.FAILED,
        "MediaTooLongError",
        ("too long.mp3",),
        environment={"MAX_DURATION_SECONDS": "2"},
    ),
    "over-max-chunks": BadCase(
        "many parts.mp3",
        _long_speech,
        JobStatus.FAILED,
        "MediaTooLongError",
        ("many parts.mp3", "chunks"),
        environment={"MAX_CHUNKS": "3", "MAX_CHUNK_SIZE_BYTES": str(SMALL_CHUNK_BYTES)},
    ),
}


@pytest.mark.parametrize(("label", "case"), BAD.items(), ids=BAD.keys())
def test_unusable_uploads_end_failed_or_skipped_with_a_readable_reason_and_no_content(
    label: str, case: BadCase, media_library, make_workflow, jobs, fake_api, work_dir
):
    media = media_library.get(label + Path(case.name).suffix, case.make)
    key = f"uploads/{case.name}"
    with make_workflow(**case.environment) as workflow:
        workflow.upload(media, key)
        event = workflow.s3_event(key)
        if case.delete_first:
            workflow.client("s3").delete_object(Bucket=workflow.options.bucket, Key=key)
        else:
            before = object_digest(workflow, key)
        run = deliver_and_wait(workflow, event, key)
        job = settled(jobs, run)
        assert job.status is case.status
        document = get_job_status(jobs, job.id)
        reason = document["error"] if case.status is JobStatus.FAILED else document["reason"]
        for fragment in case.says:
            assert fragment in reason, reason
        assert "Traceback" not in reason and "{" not in reason
        if case.status is JobStatus.FAILED:
            assert document["cause"] == case.cause
            assert run.outcome is not None and run.outcome.status == "FAILED"
        assert jobs.get_content(job.id) is None
        assert fake_api.request_count == 0
        if case.delete_first:
            assert workflow.keys() == []
            assert run.s3.writes() == []
        else:
            assert object_digest(workflow, key) == before
            assert_contained(workflow, run, work_dir=work_dir)
    assert list(work_dir.iterdir()) == []
