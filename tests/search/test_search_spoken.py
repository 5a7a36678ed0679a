"""Finding the moment in real speech, among 20 recordings with overlapping vocabulary: each sentence's
words find the recording it was spoken in first, at the time it was really spoken, from the local
database (``mediascribe search``) and through the jobs API (``--api``).

Three recordings go through the whole workflow with the offline engine, so recognised speech, its
segment times and the finalize step meet the search as in a real run. The others reach the finalize
function with a chunk result holding the sentences at their measured times, as an engine with segment
times returns them: the offline engine takes seconds per recording on a small machine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from botocore.credentials import Credentials

from mediascribe.cli import main
from mediascribe.ids import job_id_for_object
from mediascribe.jobs import SourceObject
from mediascribe.jobs.repository import JobRepository
from mediascribe.storage import JobKeys
from mediascribe.transcription.models import ChunkTranscript, Segment
from mediascribe.workflow.access import namespace_of, normalise_principal
from support.api_gateway import ApiGatewayStandIn, caller_environment
from support.speech_factory import FEMALE, MALE, SENTENCES, Line, SpokenLine, make_speech

ALICE = "arn:aws:iam::123456789012:user/alice"
BOB = "arn:aws:sts::123456789012:assumed-role/reviewer/bob"
CREDENTIALS = Credentials("testing", "testing")
RECORDINGS = 20
THROUGH_THE_ENGINE = 2
# Every recording opens with one of these, before its own sentence: shared vocabulary. (The closing
# "Thank you all for coming..." is left out: the small model takes it for the end of the recording.)
OPENERS = [s for s in SENTENCES[RECORDINGS:] if not s.startswith("Thank you")]
START_TOLERANCE_SECONDS = 1.0


@dataclass(frozen=True)
class Recording:
    key: str
    sentence: str
    start: float
    job_id: str


def _words(sentence: str) -> set[str]:
    return set(re.findall(r"[a-z]+", sentence.lower()))


def _query(sentence: str) -> str:
    """The words of the sentence that no other sentence has, any of them: one misheard word must not
    lose the recording, and words every recording shares would find them all."""
    others = set().union(*(_words(s) for s in SENTENCES if s != sentence))
    distinctive = sorted(_words(sentence) - others)
    assert len(distinctive) >= 2, sentence
    return " or ".join(distinctive)


def _key(principal: str, number: int) -> str:
    return f"uploads/{namespace_of(normalise_principal(principal))}/{number:02d}/talk-{number:02d}.mp3"


def _speak(tmp_path: Path, number: int, sentence: str) -> tuple[Path, list[SpokenLine]]:
    voices = (MALE, FEMALE) if number % 2 else (FEMALE, MALE)
    path = tmp_path / f"talk-{number:02d}.mp3"
    lines = [Line(OPENERS[number % len(OPENERS)], voices[0]), Line(sentence, voices[1])]
    return path, make_speech(path, lines, gap_seconds=1.5)


def _through_the_workflow(workflow, media: Path, key: str) -> str:
    workflow.upload(media, key)
    job_id: str = workflow.deliver_upload_event(key)["jobs"][0]["job_id"]
    return job_id


def _through_finalize(workflow, repository: JobRepository, media: Path, key: str, lines) -> str:
    """The job as the transcribe step leaves it, then the template's finalize function."""
    workflow.upload(media, key)
    bucket = workflow.options.bucket
    source = SourceObject(bucket, key, etag='"spoken"', size_bytes=media.stat().st_size)
    job, _ = repository.create_job(job_id_for_object(bucket, key, source.version), source, media.name)
    repository.start(job.id)
    repository.record_media(job.id, "audio", lines[-1].end + 0.5)
    repository.set_chunk_total(job.id, 1)
    segments = tuple(Segment(line.start, line.end, line.text) for line in lines)
    chunk = ChunkTranscript(
        index=0,
        text=" ".join(line.text for line in lines),
        segments=segments,
        duration_seconds=lines[-1].end + 0.5,
        offset_seconds=0.0,
        engine="local",
        model="tiny.en",
    )
    result_key = JobKeys(
        workflow.settings_for("FinalizeTranscriptFunction").work_prefix, job.id
    ).chunk_result(0)
    workflow.client("s3").put_object(Bucket=bucket, Key=result_key, Body=json.dumps(chunk.to_dict()))
    repository.chunk_finished(job.id, 0)
    event = {"job_id": job.id, "results": [{"index": 0, "result_key": result_key}]}
    payload, error = workflow.invoke("FinalizeTranscriptFunction", event)
    assert error is None, payload
    return job.id


@pytest.fixture
def transcribed(make_workflow, database, tmp_path):
    """Alice's 20 recordings, the first two through the offline engine; Bob's one recording says
    Alice's first sentence, through the engine too."""
    repository = JobRepository(database)
    with make_workflow(TRANSCRIPTION_ENGINE="local") as workflow:
        alices: list[Recording] = []
        for number in range(RECORDINGS):
            media, lines = _speak(tmp_path, number, SENTENCES[number])
            key = _key(ALICE, number)
            if number < THROUGH_THE_ENGINE:
                job_id = _through_the_workflow(workflow, media, key)
            else:
                job_id = _through_finalize(workflow, repository, media, key, lines)
            alices.append(Recording(key, SENTENCES[number], lines[1].start, job_id))
        media, lines = _speak(tmp_path, RECORDINGS, SENTENCES[0])
        key = _key(BOB, RECORDINGS)
        bobs = Recording(key, SENTENCES[0], lines[1].start, _through_the_workflow(workflow, media, key))
        for recording in [*alices[:THROUGH_THE_ENGINE], bobs]:
            outcome = workflow.wait(workflow.execution_arn(recording.job_id), timeout_seconds=600)
            assert outcome.status == "SUCCEEDED", outcome
        yield workflow, alices, bobs


def _search(capsys, *args: str) -> list[dict]:
    code = main(["search", *args, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    hits: list[dict] = json.loads(captured.out)
    return hits


def _assert_found_first(hits: list[dict], recording: Recording) -> None:
    assert hits, recording.sentence
    first = hits[0]
    assert first["job_id"] == recording.job_id, (recording.sentence, hits[:3])
    assert first["source_key"] == recording.key
    assert abs(first["start"] - recording.start) <= START_TOLERANCE_SECONDS, (recording, first)
    assert first["end"] > first["start"]
    assert "«" in first["snippet"]


def test_each_sentence_finds_its_recording_first_at_its_time(transcribed, monkeypatch, postgres_dsn, capsys):
    workflow, alices, bobs = transcribed
    monkeypatch.setenv("DATABASE_URL", postgres_dsn)
    monkeypatch.delenv("MEDIASCRIBE_API_URL", raising=False)

    # Locally, every job in the database: Bob's recording of the first sentence is found too.
    for recording in alices[1:]:
        _assert_found_first(_search(capsys, _query(recording.sentence)), recording)
    both = _search(capsys, _query(SENTENCES[0]))
    assert {hit["job_id"] for hit in both[:2]} == {alices[0].job_id, bobs.job_id}

    # Through the API, Alice finds only her own recordings, and Bob only his.
    with ApiGatewayStandIn(workflow, CREDENTIALS, ALICE) as api, caller_environment(monkeypatch, CREDENTIALS):
        for recording in alices:
            hits = _search(capsys, _query(recording.sentence), "--api", api.base_url)
            _assert_found_first(hits, recording)
            assert bobs.job_id not in {hit["job_id"] for hit in hits}
    with ApiGatewayStandIn(workflow, CREDENTIALS, BOB) as api, caller_environment(monkeypatch, CREDENTIALS):
        hits = _search(capsys, _query(SENTENCES[0]), "--api", api.base_url)
        assert {hit["job_id"] for hit in hits} == {bobs.job_id}
        _assert_found_first(hits, bobs)
