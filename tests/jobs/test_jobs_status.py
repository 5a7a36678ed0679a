"""The status document for every state, and id handling before and inside SQL."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from mediascribe.errors import InvalidJobIdError, InvalidObjectKeyError, JobNotFoundError
from mediascribe.jobs.database import Database
from mediascribe.jobs.repository import JobRepository
from mediascribe.jobs.status import get_job_status
from support.job_sources import job_id_for, source_for

ALWAYS = {"job_id", "status", "progress", "stage", "file_name", "media_type", "created_at", "updated_at"}


def status_of(repository: JobRepository, job_id: str, **options) -> dict:
    document = get_job_status(repository, job_id, **options)
    assert document.keys() >= ALWAYS
    assert json.loads(json.dumps(document)) == document
    datetime.fromisoformat(document["created_at"])
    datetime.fromisoformat(document["updated_at"])
    return document


def test_pending(job_repository: JobRepository, make_job) -> None:
    job = make_job(filename="Interview 1.mp4")
    document = status_of(job_repository, job.id)
    assert document["job_id"] == job.id
    assert (document["status"], document["progress"], document["stage"]) == ("pending", 0, "queued")
    assert (document["file_name"], document["media_type"]) == ("Interview 1.mp4", None)
    assert not {"result", "error", "reason", "content", "chunks"} & document.keys()


def test_processing_reports_progress_and_chunks(job_repository: JobRepository, make_job) -> None:
    job = make_job(started=True)
    job_repository.record_media(job.id, "video", 61.25)
    job_repository.set_chunk_total(job.id, 3)
    job_repository.chunk_finished(job.id, 2)
    document = status_of(job_repository, job.id)
    assert (document["status"], document["progress"], document["stage"]) == ("processing", 45, "transcribing")
    assert (document["media_type"], document["duration_seconds"]) == ("video", 61.25)
    assert document["chunks"] == {"total": 3, "done": 1}
    assert "started_at" in document and "result" not in document


def test_completed_has_result_and_content_on_request(job_repository: JobRepository, make_job) -> None:
    job = make_job(started=True)
    result = {"chunk_count": 2, "model": "whisper-1", "audio_seconds": 30.0, "outputs": {"srt": "jobs/a.srt"}}
    job_repository.complete(job.id, "the whole transcript", result)
    document = status_of(job_repository, job.id)
    assert (document["status"], document["progress"], document["result"]) == ("completed", 100, result)
    assert "content" not in document and "finished_at" in document
    assert status_of(job_repository, job.id, include_content=True)["content"] == "the whole transcript"


def test_failed_has_error_and_cause(job_repository: JobRepository, make_job) -> None:
    job = make_job(started=True)
    job_repository.fail(
        job.id, "NoAudioStreamError: the video has no audio track", '{"errorType": "NoAudio"}'
    )
    document = status_of(job_repository, job.id, include_content=True)
    assert document["status"] == "failed"
    assert document["error"] == "NoAudioStreamError: the video has no audio track"
    assert document["cause"] == '{"errorType": "NoAudio"}'
    assert not {"result", "content"} & document.keys()


def test_skipped_has_reason(job_repository: JobRepository, make_job) -> None:
    job = make_job(started=True)
    job_repository.skip(job.id, "text files are not transcribed")
    document = status_of(job_repository, job.id)
    assert (document["status"], document["reason"]) == ("skipped", "text files are not transcribed")


def test_unknown_id_is_not_found(job_repository: JobRepository) -> None:
    with pytest.raises(JobNotFoundError):
        get_job_status(job_repository, "3f1c2b9a-0000-4000-8000-000000000001")


def test_ids_are_normalised(job_repository: JobRepository, make_job) -> None:
    job = make_job()
    assert get_job_status(job_repository, f"  {job.id.upper()} ")["job_id"] == job.id


MALFORMED_IDS = [
    "",
    "not-a-uuid",
    "1; DROP TABLE assets_processing_jobs; --",
    "' OR '1'='1",
    "00000000-0000-4000-8000-00000000000g",
    "00000000000040008000000000000000",
    "{00000000-0000-4000-8000-000000000000}",
    "00000000-0000-4000-8000-000000000000' --",
    None,
    42,
]


@pytest.mark.parametrize("bad_id", MALFORMED_IDS)
def test_malformed_id_is_rejected_before_any_sql(postgres_dsn: str, bad_id) -> None:
    """A closed handle fails any SQL with DatabaseUnavailableError, so only validation can answer."""
    closed = Database(postgres_dsn)
    closed.close()
    repository = JobRepository(closed)
    with pytest.raises(InvalidJobIdError):
        get_job_status(repository, bad_id)
    for operation in (repository.get, repository.start, repository.retry, lambda j: repository.fail(j, "x")):
        with pytest.raises(InvalidJobIdError):
            operation(bad_id)


def test_malformed_ids_leave_the_tables_intact(job_repository: JobRepository, make_job) -> None:
    job = make_job()
    for bad_id in MALFORMED_IDS:
        with pytest.raises(InvalidJobIdError):
            get_job_status(job_repository, bad_id)
    assert get_job_status(job_repository, job.id)["status"] == "pending"


INJECTION_NAMES = [
    "Robert'); DROP TABLE assets; --.mp3",
    "x' OR '1'='1.wav",
    'quote " and backslash \\ and %s and %(id)s.mp4',
    "$$; DELETE FROM assets_processing_jobs; $$.m4a",
    "émission — 日本語 🎙️.mp3",
]


@pytest.mark.parametrize("name", INJECTION_NAMES)
def test_hostile_file_names_and_keys_are_stored_verbatim(job_repository: JobRepository, name: str) -> None:
    source = source_for(f"uploads/{name}", etag=f'"{name}"')
    job, created = job_repository.create_job(job_id_for(source), source, name)
    assert created
    stored = job_repository.get(job.id)
    assert (stored.original_filename, stored.source.key, stored.source.etag) == (
        name,
        f"uploads/{name}",
        f'"{name}"',
    )
    job_repository.start(job.id)
    job_repository.complete(job.id, name, {"name": name})
    document = get_job_status(job_repository, job.id, include_content=True)
    assert (document["file_name"], document["content"], document["result"]) == (name, name, {"name": name})


def test_keys_with_control_characters_are_rejected(job_repository: JobRepository) -> None:
    source = source_for("uploads/evil\x00name.mp3")
    with pytest.raises(InvalidObjectKeyError):
        job_repository.create_job("3f1c2b9a-0000-4000-8000-000000000002", source, "evil.mp3")
