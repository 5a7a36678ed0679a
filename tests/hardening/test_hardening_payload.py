"""The 256 KB Step Functions payload limit with 300 chunks, measured on every input, output and
parameter document of the execution history.

Generating 40 minutes of audio would only make the prepare step slow; what matters here is the shape
of the states. So the real prepare step runs on a short file and its one real chunk is replicated to
300 entries of exactly the shape it returns, each backed by an object under the job's prefix. The Map
then transcribes all 300 for real and the finalize step assembles them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mediascribe.jobs.models import JobStatus
from mediascribe.jobs.repository import JobRepository
from mediascribe.local.workflow import LocalWorkflow
from support.fake_openai import FakeTranscriptionServer
from support.hardening import expected_text, run_upload, settled
from support.media_factory import make_audio

PAYLOAD_LIMIT_BYTES = 256 * 1024
CHUNKS = 300


@pytest.fixture
def fake_api() -> Iterator[FakeTranscriptionServer]:
    """Overrides the suite's server: 300 requests need no silence check, only their file names."""
    with FakeTranscriptionServer() as server:
        yield server


def _replicate_chunks(workflow: LocalWorkflow, jobs: JobRepository, count: int) -> None:
    original = workflow.handlers["PrepareAudioFunction"]
    s3 = workflow.client("s3")
    bucket = workflow.options.bucket

    def prepare_many(event, context):
        prepared = original(event, context)
        (first,) = prepared["chunks"]
        prefix = first["key"].rsplit("/", 1)[0]
        chunks = []
        for index in range(count):
            key = f"{prefix}/{index:05d}.mp3"
            if key != first["key"]:
                s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": first["key"]})
            chunks.append({**first, "key": key, "offset": round(index * first["duration"], 3)})
        jobs.set_chunk_total(event["job_id"], count)
        return {"chunk_count": count, "chunks": chunks}

    workflow.handlers["PrepareAudioFunction"] = prepare_many


def _documents(history: list[dict]) -> Iterator[tuple[str, int]]:
    """(event type and field, size in bytes) of every JSON document carried by the execution."""
    for event in history:
        for name, details in event.items():
            if not name.endswith("EventDetails") or not isinstance(details, dict):
                continue
            for field in ("input", "output", "parameters"):
                if isinstance(details.get(field), str):
                    yield f"{event['type']}.{field}", len(details[field].encode("utf-8"))


def test_three_hundred_chunks_keep_every_state_document_far_below_the_payload_limit(
    media_library, make_workflow, jobs, fake_api
):
    media = media_library.get("payload.mp3", lambda path: make_audio(path, 3.0, fmt="mp3"))
    with make_workflow(MAX_CHUNKS=str(CHUNKS)) as workflow:
        _replicate_chunks(workflow, jobs, CHUNKS)
        run = run_upload(workflow, media, "uploads/payload.mp3")
        assert run.outcome is not None and run.outcome.status == "SUCCEEDED", run.outcome
        history = workflow.history(run.outcome.execution_arn)
    job = settled(jobs, run)
    assert job.status is JobStatus.COMPLETED and job.chunks_total == CHUNKS
    assert jobs.get_content(job.id) == expected_text(CHUNKS)
    assert fake_api.request_count == CHUNKS

    sizes = list(_documents(history))
    assert len(sizes) > 4 * CHUNKS  # every Map iteration's documents were measured
    where, largest = max(sizes, key=lambda item: item[1])
    bytes_per_chunk = largest / CHUNKS
    print(
        f"{CHUNKS} chunks: largest document {largest} bytes ({where}), "
        f"{bytes_per_chunk:.0f} bytes per chunk, limit reached at about "
        f"{PAYLOAD_LIMIT_BYTES / bytes_per_chunk:.0f} chunks"
    )

    assert largest < PAYLOAD_LIMIT_BYTES / 4
