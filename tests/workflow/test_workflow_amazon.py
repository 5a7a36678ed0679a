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
from botocore.httpsession import URLLib3Session

from mediascribe.cli import main
from mediascribe.transcription.amazon_engine import AmazonOptions, AmazonTranscribeEngine
from mediascribe.transcription.engine import StoredAudio
from support.aws_profiles import PROFILE_KEY_ID, write_profile
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
    # A local run's bucket is out of the service's reach: the chunk travels in the request.
    assert set(request.params["Media"]) == {"MediaBytes"}
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
    # As deployed: the service reads each chunk from the bucket.
    with make_workflow(
        TRANSCRIPTION_ENGINE="amazon", TRANSCRIPTION_REDACT_PII="true", TRANSCRIPTION_AUDIO_DELIVERY="s3"
    ) as workflow:
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
    media_uri = request["Media"]["MediaFileUri"]
    assert re.fullmatch(rf"s3://[a-z0-9.-]+/jobs/{job_id}/chunks/00000\.mp3", media_uri), media_uri
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


class Reached(Exception):
    """Raised where a request would leave the process for AWS."""


def leaves_the_process(client: Any, call: str, **params: Any) -> bool:
    """Whether the call reaches botocore's HTTP sender, which moto's answers never do."""
    try:
        getattr(client, call)(**params)
    except Reached:
        return True
    except NotImplementedError:  # moto's answer for an operation it lacks
        return False
    return False


def test_a_local_run_leaves_only_the_real_services_it_uses_and_sts_to_aws(
    make_workflow: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_TRANSCRIBE", raising=False)

    def send(self: Any, request: Any) -> None:
        raise Reached(request.url)

    monkeypatch.setattr(URLLib3Session, "send", send)
    audio = {"Media": {"MediaBytes": b"ID3"}, "Language": "en"}
    chat = {"modelId": "amazon.nova-micro-v1:0", "messages": [{"role": "user", "content": [{"text": "hi"}]}]}
    with make_workflow(TRANSCRIPTION_ENGINE="amazon") as workflow:
        real = {
            "transcribe": leaves_the_process(workflow.client("transcribe"), "transcribe_audio", **audio),
            "sts": leaves_the_process(workflow.client("sts"), "get_caller_identity"),
            "s3": leaves_the_process(workflow.client("s3"), "list_buckets"),
            "stepfunctions": leaves_the_process(workflow.client("stepfunctions"), "list_state_machines"),
        }
    with make_workflow(TRANSCRIPTION_ENGINE="openai") as workflow:
        real["transcribe (openai run)"] = leaves_the_process(
            workflow.client("transcribe"), "transcribe_audio", **audio
        )
        real["bedrock (notes off)"] = leaves_the_process(
            workflow.client("bedrock-runtime"), "converse", **chat
        )
    monkeypatch.delenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", raising=False)
    with make_workflow(TRANSCRIPTION_ENGINE="openai", NOTES_PROVIDER="bedrock") as workflow:
        real["bedrock (notes on Bedrock)"] = leaves_the_process(
            workflow.client("bedrock-runtime"), "converse", **chat
        )
        real["transcribe (notes on Bedrock)"] = leaves_the_process(
            workflow.client("transcribe"), "transcribe_audio", **audio
        )
    assert real == {
        "transcribe": True,
        "sts": True,
        "s3": False,
        "stepfunctions": False,
        "transcribe (openai run)": False,
        "bedrock (notes off)": False,
        "bedrock (notes on Bedrock)": True,
        "transcribe (notes on Bedrock)": False,
    }


@pytest.mark.slow
def test_cli_reaches_amazon_transcribe_by_profile_with_the_chunk_inline(
    monkeypatch: pytest.MonkeyPatch,
    postgres_dsn: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The path of a run against the real service: no endpoint variable, the profile's keys and
    Region. The profile routes Transcribe to the stand-in, as its ``services`` section allows."""
    make_speech(tmp_path / "note.mp3", TALK[:2])
    with FakeTranscribeServer() as service:
        profile = write_profile(
            tmp_path, "meeting-room", region="eu-west-1", endpoints={"transcribe": service.endpoint_url}
        )
        for name, value in {**profile, "DATABASE_URL": postgres_dsn, "TRANSCRIPTION_LANGUAGE": "en"}.items():
            monkeypatch.setenv(name, value)
        for name in ("AWS_ENDPOINT_URL_TRANSCRIBE", "AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION"):
            monkeypatch.delenv(name, raising=False)

        code = main(
            ["transcribe", str(tmp_path / "note.mp3"), "--engine", "amazon", "--aws-profile", "meeting-room"]
        )
        out, err = capsys.readouterr()

    assert code == 0, err
    assert "welcome" in out and "quarter" in out
    assert "profile meeting-room, Region eu-west-1" in err
    [request] = service.requests
    assert set(request.params["Media"]) == {"MediaBytes"}
    assert (request.access_key, request.region) == (PROFILE_KEY_ID, "eu-west-1")


@pytest.mark.parametrize(
    ("profile", "flags", "message"),
    [
        ({"region": "eu-west-1"}, ["--aws-profile", "nobody"], "no AWS profile named 'nobody'"),
        ({"region": "eu-west-1", "credentials": False}, [], "has no credentials"),
        ({}, [], "need a Region: pass --aws-region"),
    ],
)
def test_cli_says_what_is_missing_for_the_real_service_before_starting(
    profile: dict[str, Any],
    flags: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in write_profile(tmp_path, "default", **profile).items():
        monkeypatch.setenv(name, value)
    for name in (
        "AWS_ENDPOINT_URL_TRANSCRIBE",
        "AWS_PROFILE",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "a.mp3").write_bytes(b"ID3")

    code = main(["transcribe", str(tmp_path / "a.mp3"), "--engine", "amazon", *flags])

    assert code == 2
    assert message in capsys.readouterr().err


def test_cli_refuses_aws_profile_for_another_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.mp3").write_bytes(b"ID3")
    code = main(["transcribe", str(tmp_path / "a.mp3"), "--engine", "local", "--aws-profile", "x"])
    assert code == 2
    assert "--aws-profile and --aws-region are for --engine amazon" in capsys.readouterr().err


@pytest.mark.slow
def test_as_deployed_a_chunk_the_service_reads_from_s3_is_not_held_to_the_byte_budget(
    transcribe_service: FakeTranscribeServer, make_workflow: Any, tmp_path: Path
) -> None:
    make_speech(tmp_path / "long.mp3", TALK)
    # The budget that splits this talk into several inline chunks (previous test).
    with make_workflow(
        TRANSCRIPTION_ENGINE="amazon",
        TRANSCRIPTION_SPEAKERS="2",
        MAX_CHUNK_SIZE_BYTES="65536",
        TRANSCRIPTION_AUDIO_DELIVERY="s3",
    ) as workflow:
        job_id, status = run_file(workflow, tmp_path / "long.mp3")
        assert status == "SUCCEEDED"
        transcript = json.loads(workflow.read_text(f"jobs/{job_id}/transcript.json"))

    [request] = transcribe_service.requests
    assert set(request.params["Media"]) == {"MediaFileUri"}
    assert transcript["speakers"] == ["Speaker 1", "Speaker 2"]
