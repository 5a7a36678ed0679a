"""Whole jobs on the Amazon Transcribe engine: the template's state machine on moto, the boto3
``transcribe`` client against the stand-in, which reads each chunk from that same (moto) S3 and
transcribes real espeak speech with the offline Whisper model."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from mediascribe.cli import main
from mediascribe.transcription.amazon_engine import AmazonOptions, AmazonTranscribeEngine
from mediascribe.transcription.engine import StoredAudio
from support.fake_transcribe import FakeTranscribeServer
from support.speech_factory import FEMALE, MALE, Line, SpokenLine, make_speech
from support.workflow_runs import run_file

TALK = [
    Line("Good morning and welcome to the weekly planning meeting.", MALE),
    Line("Today we will look at the budget for the next quarter.", FEMALE),
    Line("Please send your reports to the finance team by Friday.", MALE),
    Line("Coffee and tea will be served after the second talk.", FEMALE),
]
PII_TALK = [
    Line("Good morning and welcome to the weekly planning meeting.", MALE),
    Line("You can call me on 555 0142 or write to sales at company dot com.", FEMALE),
    Line("Please send your reports to the finance team by Friday.", MALE),
]
# What the planted number and address come out as, whichever way the recogniser writes them.
PLANTED = re.compile(r"555\D{0,2}0142|0142|compan|salenet|sales at", re.IGNORECASE)
VTT_CUE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) --> .*\n<v ([^>]+)>", re.MULTILINE)


@pytest.fixture
def transcribe_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTranscribeServer]:
    """The stand-in, and boto3 pointed at it through its own endpoint variable."""
    with FakeTranscribeServer() as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_TRANSCRIBE", server.endpoint_url)
        yield server


def turns(segments: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """(start, speaker) where the speaker changes."""
    found: list[tuple[float, str]] = []
    for start, speaker in segments:
        if not found or found[-1][1] != speaker:
            found.append((start, speaker))
    return found


def assert_turns_match(found: list[tuple[float, str]], spoken: list[SpokenLine]) -> None:
    assert [speaker for _, speaker in found] == ["Speaker 1", "Speaker 2", "Speaker 1", "Speaker 2"], found
    for (start, _), line in zip(found, spoken, strict=True):
        assert abs(start - line.start) <= 1.0, (found, spoken)


@pytest.mark.slow
def test_cli_two_speakers_end_to_end_with_turns_within_a_second(
    transcribe_service: FakeTranscribeServer,
    monkeypatch: pytest.MonkeyPatch,
    postgres_dsn: str,
    database: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spoken = make_speech(tmp_path / "meeting.mp3", TALK)
    monkeypatch.setenv("DATABASE_URL", postgres_dsn)
    monkeypatch.setenv("TRANSCRIPTION_SPEAKERS", "2")
    monkeypatch.setenv("TRANSCRIPTION_LANGUAGE", "en")
    for name in ("OPENAI_API_KEY", "OPENAI_API_KEY_SECRET", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "out"

    code = main(
        ["transcribe", str(tmp_path / "meeting.mp3"), "--engine", "amazon", "--out", str(out), "--json"]
    )
    document = json.loads(capsys.readouterr().out)

    assert code == 0 and document["status"] == "completed", document
    assert document["result"]["speakers"] == 2
    [request] = transcribe_service.requests
    media_uri = request.params["Media"]["MediaFileUri"]
    assert re.fullmatch(r"s3://[a-z0-9.-]+/jobs/[0-9a-f-]+/chunks/00000\.mp3", media_uri), media_uri
    assert request.params["MaxSpeakerLabels"] == 2 and request.params["Language"] == "en"

    transcript = json.loads((out / "meeting.json").read_text())
    assert transcript["speakers"] == ["Speaker 1", "Speaker 2"]
    assert_turns_match(turns([(s["start"], s["speaker"]) for s in transcript["segments"]]), spoken)
    assert all(s["words"] for s in transcript["segments"])

    vtt = (out / "meeting.vtt").read_text()
    cues = [
        (int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000, v) for h, m, s, ms, v in VTT_CUE.findall(vtt)
    ]
    assert len(cues) == vtt.count(" --> ")  # every cue carries its voice
    assert_turns_match(turns(cues), spoken)


@pytest.mark.slow
def test_with_redaction_the_planted_number_and_address_are_nowhere(
    transcribe_service: FakeTranscribeServer,
    make_workflow: Any,
    postgres_dsn: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_speech(tmp_path / "call.mp3", PII_TALK)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="mediascribe")
    with make_workflow(TRANSCRIPTION_ENGINE="amazon", TRANSCRIPTION_REDACT_PII="true") as workflow:
        job_id, status = run_file(workflow, tmp_path / "call.mp3")
        assert status == "SUCCEEDED"
        s3 = workflow.client("s3")
        stored = {
            key: s3.get_object(Bucket=workflow.options.bucket, Key=key)["Body"].read()
            for key in workflow.keys()  # noqa: SIM118 - the bucket's keys, not a dict's
        }
        chunk_key = next(key for key in stored if "/chunks/" in key)
        # The same chunk without redaction, to show what the search below would find.
        plain = AmazonTranscribeEngine(AmazonOptions())
        unredacted = asyncio.run(plain.transcribe_stored(StoredAudio(workflow.options.bucket, chunk_key)))

    assert PLANTED.search(unredacted.text), unredacted.text
    request = transcribe_service.requests[0].params
    assert request["ContentRedaction"] == {"RedactionType": "PII", "RedactionOutput": "redacted"}
    texts = [body.decode("utf-8", "replace") for key, body in stored.items() if not key.endswith(".mp3")]
    transcript = next(body for key, body in stored.items() if key.endswith("transcript.txt")).decode()
    assert "[PII]" in transcript and "welcome" in transcript
    everything = {
        "s3": "\n".join([*stored, *texts]),
        "database": database_dump(postgres_dsn),
        "logs": caplog.text + "\n".join(capsys.readouterr()),
    }
    assert job_id in everything["database"]
    assert {place: PLANTED.findall(text) for place, text in everything.items()} == {
        "s3": [],
        "database": [],
        "logs": [],
    }


def database_dump(dsn: str) -> str:
    """Every row of every table, as text."""
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [row[0] for row in cursor.fetchall()]
        rows = []
        for table in tables:
            cursor.execute(f'SELECT t::text FROM "{table}" t')
            rows += [row[0] for row in cursor.fetchall()]
    return "\n".join(rows)


@pytest.mark.slow
def test_across_chunks_no_speaker_label_names_two_voices(
    transcribe_service: FakeTranscribeServer, make_workflow: Any, tmp_path: Path
) -> None:
    spoken = make_speech(tmp_path / "long.mp3", TALK)
    # 64 KiB chunks: about 8 s of audio each, so the talk spans several requests.
    with make_workflow(
        TRANSCRIPTION_ENGINE="amazon", TRANSCRIPTION_SPEAKERS="2", MAX_CHUNK_SIZE_BYTES="65536"
    ) as workflow:
        job_id, status = run_file(workflow, tmp_path / "long.mp3")
        assert status == "SUCCEEDED"
        transcript = json.loads(workflow.read_text(f"jobs/{job_id}/transcript.json"))

    assert len(transcribe_service.requests) >= 2
    voices: dict[str, set[str]] = {}
    for segment in transcript["segments"]:
        middle = (segment["start"] + segment["end"]) / 2
        line = min(spoken, key=lambda line: abs((line.start + line.end) / 2 - middle))
        voices.setdefault(segment["speaker"], set()).add(line.voice)
    assert len(voices) >= 2
    assert all(len(found) == 1 for found in voices.values()), voices
    assert sorted(voices) == sorted(transcript["speakers"])
