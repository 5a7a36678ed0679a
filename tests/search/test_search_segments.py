"""Storing a transcript's segments: through both adapters, idempotently, within the Data API's limits."""

from __future__ import annotations

import uuid

import pytest

from mediascribe.errors import IllegalTransitionError
from mediascribe.jobs.executor import Executor
from mediascribe.jobs.repository import JobRepository
from mediascribe.transcription.models import Segment
from support.fake_data_api import FakeDataApi, data_api_client
from support.job_sources import job_id_for, next_key, source_for

# The Data API's request limit: "the maximum size of the HTTP request submitted through the Data API
# is 4 MiB" (https://docs.aws.amazon.com/rdsdataservice/latest/APIReference/API_BatchExecuteStatement.html).
DATA_API_REQUEST_BYTES = 4 * 1024 * 1024


def _rows(executor: Executor, job_id: str) -> list[dict]:
    return executor.execute(
        "SELECT idx, start_seconds, end_seconds, speaker, text, CAST(config AS text) AS config,"
        " xmin::text AS version FROM transcript_segments WHERE job_id = %(id)s ORDER BY idx",
        {"id": uuid.UUID(job_id)},
    )


def _processing_job(repository: JobRepository) -> str:
    source = source_for(f"uploads/shared/{next_key()}/talk.mp3")
    job, _ = repository.create_job(job_id_for(source), source, "talk.mp3")
    return repository.start(job.id).id


SEGMENTS = [
    Segment(0.0, 2.5, "Good morning and welcome.", "Speaker 1"),
    Segment(2.5, 6.0, "Today we look at the budget.", "Speaker 2"),
    Segment(6.0, 9.0, "Thank you all for coming.", None),
]


def test_segments_are_stored_in_order_with_the_jobs_language(repository, executor) -> None:
    job_id = _processing_job(repository)
    assert repository.store_segments(job_id, SEGMENTS, "en-US") == 3
    rows = _rows(executor, job_id)
    assert [(r["idx"], r["start_seconds"], r["end_seconds"], r["speaker"], r["text"]) for r in rows] == [
        (0, 0.0, 2.5, "Speaker 1", "Good morning and welcome."),
        (1, 2.5, 6.0, "Speaker 2", "Today we look at the budget."),
        (2, 6.0, 9.0, None, "Thank you all for coming."),
    ]
    assert {r["config"] for r in rows} == {"english"}
    (job,) = executor.execute(
        "SELECT language FROM assets_processing_jobs WHERE id = %(id)s", {"id": uuid.UUID(job_id)}
    )
    assert job["language"] == "en"


def test_storing_again_duplicates_nothing_and_rewrites_nothing(repository, executor) -> None:
    """A retried finalize step writes the same segments a second time."""
    job_id = _processing_job(repository)
    repository.store_segments(job_id, SEGMENTS, None)
    first = _rows(executor, job_id)
    repository.store_segments(job_id, SEGMENTS, None)
    again = _rows(executor, job_id)
    assert again == first
    assert len(again) == 3


def test_a_shorter_transcript_replaces_a_longer_one(repository, executor) -> None:
    job_id = _processing_job(repository)
    repository.store_segments(job_id, SEGMENTS, None)
    repository.store_segments(job_id, [Segment(0.0, 1.0, "Only this.")], "de")
    rows = _rows(executor, job_id)
    assert [(r["idx"], r["text"], r["config"]) for r in rows] == [(0, "Only this.", "german")]


def test_a_language_without_a_configuration_is_indexed_simple(repository, executor) -> None:
    job_id = _processing_job(repository)
    repository.store_segments(job_id, SEGMENTS[:1], "ja")
    assert {r["config"] for r in _rows(executor, job_id)} == {"simple"}


def test_only_a_job_being_finalized_or_completed_takes_segments(repository) -> None:
    source = source_for(f"uploads/shared/{next_key()}/talk.mp3")
    pending, _ = repository.create_job(job_id_for(source), source, "talk.mp3")
    with pytest.raises(IllegalTransitionError, match="pending"):
        repository.store_segments(pending.id, SEGMENTS, None)


def test_a_long_transcript_goes_in_batches_within_the_data_api_request_limit(
    data_api: FakeDataApi, database
) -> None:
    """Six MiB of text with escapes and non-ASCII letters: no single request may carry it."""
    client = data_api_client(data_api)
    sizes: list[int] = []
    client.meta.events.register(
        "before-send.rds-data.ExecuteStatement", lambda request, **_: sizes.append(len(request.body))
    )
    from mediascribe.jobs.data_api import DataApiExecutor

    executor = DataApiExecutor(client, cluster_arn=data_api.cluster_arn, secret_arn=data_api.secret_arn)
    repository = JobRepository(executor)
    job_id = _processing_job(repository)
    line = 'Grüße aus "Köln" \u2013 the café\\bar meeting, again. ' * 40
    segments = [Segment(i * 10.0, i * 10.0 + 9.5, f"{i}: {line}") for i in range(3000)]
    sizes.clear()

    assert repository.store_segments(job_id, segments, "de") == 3000

    assert sum(sizes) > 6 * 1024 * 1024
    assert max(sizes) <= DATA_API_REQUEST_BYTES
    (stored,) = database.execute(
        "SELECT count(*) AS n, sum(char_length(text)) AS chars FROM transcript_segments"
        " WHERE job_id = %(id)s",
        {"id": uuid.UUID(job_id)},
    )
    assert (stored["n"], stored["chars"]) == (3000, sum(len(s.text) for s in segments))
