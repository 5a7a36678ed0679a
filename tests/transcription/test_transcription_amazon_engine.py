"""The Amazon Transcribe engine through the real boto3 client against the stand-in on 127.0.0.1.

Chunks sit in moto's S3; the stand-in reads them there, as the service reads the bucket, and
transcribes them with the offline Whisper model, so speaker turns and redaction are checked on real
speech with known timing.
"""

from __future__ import annotations

import asyncio
import itertools
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError, PermanentTranscriptionError, RetryableTranscriptionError
from mediascribe.transcription.amazon_engine import AmazonOptions, AmazonTranscribeEngine
from mediascribe.transcription.catalog import model_spec
from mediascribe.transcription.engine import StoredAudio, StoredAudioEngine
from mediascribe.transcription.factory import create_engine
from mediascribe.transcription.models import EngineResult
from support.aws_profiles import PROFILE_KEY_ID, write_profile
from support.fake_transcribe import FakeTranscribeServer, Reply
from support.speech_factory import FEMALE, MALE, Line, SpokenLine, make_speech

BUCKET = "mediascribe-engine-test"
REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": REGION}
TALK = [
    Line("Good morning and welcome to the weekly planning meeting.", MALE),
    Line("Today we will look at the budget for the next quarter.", FEMALE),
    Line("Please send your reports to the finance team by Friday.", MALE),
    Line("Coffee and tea will be served after the second talk.", FEMALE),
]
PII_LINES = [
    Line("Good morning and welcome to the weekly planning meeting.", MALE),
    Line("You can call me on 555 0142 or write to sales at company dot com.", FEMALE),
    Line("Please send your reports to the finance team by Friday.", MALE),
]


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("amazon-media")
    talk = make_speech(folder / "talk.mp3", TALK)
    make_speech(folder / "pii.mp3", PII_LINES)
    make_speech(folder / "short.mp3", ["Hello there."])
    with wave.open(str(folder / "tiny.wav"), "wb") as tiny:
        tiny.setnchannels(1)
        tiny.setsampwidth(2)
        tiny.setframerate(16_000)
        tiny.writeframes(bytes(2 * 4_800))  # 0.3 s
    return {"folder": folder, "talk": talk}


@pytest.fixture(scope="module")
def world(media: dict[str, Any]) -> Iterator[dict[str, Any]]:
    with mock_aws():
        s3 = boto3.client("s3", **CREDENTIALS)
        s3.create_bucket(Bucket=BUCKET)
        for name in ("talk.mp3", "pii.mp3", "short.mp3", "tiny.wav"):
            s3.upload_file(str(media["folder"] / name), BUCKET, f"jobs/j/chunks/{name}")
        with FakeTranscribeServer(
            s3_client=s3, vocabularies={"project-terms": ("en", ["mediascribe"])}
        ) as server:
            yield {"server": server, "s3": s3}


@pytest.fixture
def server(world: dict[str, Any]) -> FakeTranscribeServer:
    fake: FakeTranscribeServer = world["server"]
    fake.reset()
    return fake


def client(server: FakeTranscribeServer, **config: Any) -> Any:
    # Two attempts at most: botocore's backoff (up to seconds per retry) is its own, not tested here.
    retries = {"mode": "standard", "total_max_attempts": config.pop("attempts", 2)}
    # The stand-in runs the offline model; on a loaded machine that can outlast botocore's default 60 s
    # read timeout, and a retried request would then be counted twice.
    config.setdefault("read_timeout", 600)
    return boto3.client(
        "transcribe",
        endpoint_url=server.endpoint_url,
        config=Config(retries=retries, **config),
        **CREDENTIALS,
    )


def transcribe(engine: AmazonTranscribeEngine, name: str) -> EngineResult:
    return asyncio.run(engine.transcribe_stored(StoredAudio(BUCKET, f"jobs/j/chunks/{name}.mp3")))


def turns(result: EngineResult) -> list[tuple[float, str]]:
    """(start, speaker) wherever the speaker changes."""
    out: list[tuple[float, str]] = []
    for segment in result.segments:
        if not out or out[-1][1] != segment.speaker:
            assert segment.speaker is not None
            out.append((segment.start, segment.speaker))
    return out


# --- the request ----------------------------------------------------------------------------------


def test_request_names_one_language_speakers_vocabulary_and_redaction() -> None:
    options = AmazonOptions(languages=("en",), max_speakers=4, vocabulary="project-terms", redact_pii=True)
    assert AmazonTranscribeEngine(options, client=object()).request_for({"MediaFileUri": "s3://b/k"}) == {
        "Media": {"MediaFileUri": "s3://b/k"},
        "Language": "en",
        "ShowSpeakerLabels": True,
        "MaxSpeakerLabels": 4,
        "VocabularySettings": [{"Language": "en", "VocabularyName": "project-terms"}],
        "ContentRedaction": {"RedactionType": "PII", "RedactionOutput": "redacted"},
    }


def test_no_language_identifies_it_and_redaction_limits_the_options() -> None:
    assert AmazonOptions().request() == {"LanguageDetectionMode": "IDENTIFY_LANGUAGE"}
    assert AmazonOptions(languages=("en", "de"), keywords=("Kubernetes",)).request() == {
        "LanguageDetectionMode": "IDENTIFY_LANGUAGE",
        "LanguageOptions": ["en", "de"],
        "VocabularySettings": [
            {"Language": "en", "Phrases": [{"Text": "Kubernetes"}]},
            {"Language": "de", "Phrases": [{"Text": "Kubernetes"}]},
        ],
    }
    redacted = AmazonOptions(redact_pii=True).request()
    assert redacted["LanguageOptions"] == ["en", "es", "fr", "it", "de", "pt"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"languages": ("nl",)}, "does not take nl"),
        ({"languages": ("ja",), "redact_pii": True}, "redacts only in"),
        ({"vocabulary": "terms"}, "set TRANSCRIPTION_LANGUAGE"),
        ({"max_speakers": 1}, r"0 \(no speaker labels\) or 2 to 30"),
    ],
)
def test_options_the_service_would_refuse_fail_at_configuration(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        AmazonOptions(**options)


def test_factory_builds_the_engine_without_any_openai_key() -> None:
    settings = Settings.from_env(
        {"TRANSCRIPTION_ENGINE": "amazon", "TRANSCRIPTION_SPEAKERS": "3", "TRANSCRIPTION_REDACT_PII": "true"}
    )
    engine = create_engine(settings)
    assert isinstance(engine, AmazonTranscribeEngine)
    assert isinstance(engine, StoredAudioEngine)
    assert engine.options == AmazonOptions(max_speakers=3, redact_pii=True)


# --- through the stand-in -------------------------------------------------------------------------


def test_two_speakers_from_s3_with_word_times_and_turns_within_a_second(
    server: FakeTranscribeServer, media: dict[str, Any]
) -> None:
    engine = AmazonTranscribeEngine(AmazonOptions(languages=("en",), max_speakers=2), client=client(server))
    result = transcribe(engine, "talk")

    [request] = server.requests
    assert request.params["Media"] == {"MediaFileUri": f"s3://{BUCKET}/jobs/j/chunks/talk.mp3"}
    assert request.signed_for_transcribe
    assert "quarter" in result.text and "Friday" in result.text
    spoken: list[SpokenLine] = media["talk"]
    found = turns(result)
    assert [speaker for _, speaker in found] == ["Speaker 1", "Speaker 2", "Speaker 1", "Speaker 2"]
    for (start, _), line in zip(found, spoken, strict=True):
        assert abs(start - line.start) <= 1.0, (found, spoken)
    words = [w for s in result.segments for w in s.words]
    assert len(words) >= 35
    assert all(a.start <= b.start for a, b in itertools.pairwise(words))
    assert all(s.words[0].start == s.start and s.words[-1].end == s.end for s in result.segments)


def test_redaction_keeps_only_the_redacted_transcript(server: FakeTranscribeServer) -> None:
    plain = transcribe(AmazonTranscribeEngine(AmazonOptions(languages=("en",)), client=client(server)), "pii")
    redacted = transcribe(
        AmazonTranscribeEngine(AmazonOptions(languages=("en",), redact_pii=True), client=client(server)),
        "pii",
    )
    # What the recogniser heard of the planted number and address, so the check can fail.
    planted = [w for w in plain.text.replace(",", " ").split() if any(c.isdigit() for c in w) or ".com" in w]
    assert any("0142" in w for w in planted) and any(".com" in w for w in planted), plain.text
    assert "[PII]" in redacted.text and "welcome" in redacted.text
    everything = redacted.text + repr(redacted.segments)
    assert not [w for w in planted if w in everything]
    assert "Results" not in server.requests[-1].params.get("ContentRedaction", {}).get("RedactionOutput", "")


def test_inline_bytes_for_a_local_file(server: FakeTranscribeServer, media: dict[str, Any]) -> None:
    engine = AmazonTranscribeEngine(AmazonOptions(languages=("en",)), client=client(server))
    result = asyncio.run(engine.transcribe_file(media["folder"] / "short.mp3"))
    assert "MediaBytes" in server.requests[0].params["Media"]
    assert result.text and result.segments[0].speaker is None


def test_audio_shorter_than_half_a_second_is_permanent_with_the_reason(server: FakeTranscribeServer) -> None:
    engine = AmazonTranscribeEngine(AmazonOptions(languages=("en",)), client=client(server))
    with pytest.raises(
        PermanentTranscriptionError, match=r"BadRequestException.*0\.5 seconds.*audioTooShort"
    ):
        asyncio.run(engine.transcribe_stored(StoredAudio(BUCKET, "jobs/j/chunks/tiny.wav")))
    assert len(server.requests) == 1


def test_missing_object_is_a_permanent_download_failure(server: FakeTranscribeServer) -> None:
    engine = AmazonTranscribeEngine(AmazonOptions(languages=("en",)), client=client(server))
    with pytest.raises(PermanentTranscriptionError, match="mediaDownloadFailed"):
        asyncio.run(engine.transcribe_stored(StoredAudio(BUCKET, "jobs/j/chunks/missing.mp3")))
    assert len(server.requests) == 1


def test_unknown_vocabulary_is_permanent(server: FakeTranscribeServer) -> None:
    options = AmazonOptions(languages=("en",), vocabulary="no-such-terms")
    with pytest.raises(PermanentTranscriptionError, match="vocabulary couldn't be found"):
        transcribe(AmazonTranscribeEngine(options, client=client(server)), "talk")


def test_limit_exceeded_is_retried_by_the_sdk_then_retryable(server: FakeTranscribeServer) -> None:
    server.script(*[Reply(error="LimitExceededException", message="Too many requests")] * 2)
    engine = AmazonTranscribeEngine(AmazonOptions(languages=("en",)), client=client(server))
    with pytest.raises(RetryableTranscriptionError, match="LimitExceededException: Too many requests"):
        transcribe(engine, "short")
    assert len(server.requests) == 2


def test_one_throttled_answer_is_absorbed_by_the_sdk(server: FakeTranscribeServer) -> None:
    server.script(Reply(error="LimitExceededException"))
    engine = AmazonTranscribeEngine(AmazonOptions(languages=("en",)), client=client(server))
    assert transcribe(engine, "short").text
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retryable(server: FakeTranscribeServer, status: int) -> None:
    server.script(*[Reply(status=status)] * 2)
    engine = AmazonTranscribeEngine(AmazonOptions(), client=client(server))
    with pytest.raises(RetryableTranscriptionError):
        transcribe(engine, "short")


def test_bad_request_is_permanent_and_never_retried(server: FakeTranscribeServer) -> None:
    server.script(Reply(error="BadRequestException", message="The media format isn't supported."))
    engine = AmazonTranscribeEngine(AmazonOptions(), client=client(server))
    with pytest.raises(PermanentTranscriptionError, match="The media format isn't supported"):
        transcribe(engine, "short")
    assert len(server.requests) == 1


def test_a_slow_answer_times_out_as_retryable(server: FakeTranscribeServer) -> None:
    server.script(Reply(delay_seconds=1.5, body={}))
    engine = AmazonTranscribeEngine(AmazonOptions(), client=client(server, attempts=1, read_timeout=0.3))
    with pytest.raises(RetryableTranscriptionError, match="could not reach"):
        transcribe(engine, "short")


def test_a_redacted_request_without_redacted_results_is_an_error(server: FakeTranscribeServer) -> None:
    server.script(
        Reply(body={"TranscriptResponse": {"Results": {"Transcript": "call 5550142", "Items": []}}})
    )
    engine = AmazonTranscribeEngine(AmazonOptions(languages=("en",), redact_pii=True), client=client(server))
    with pytest.raises(RetryableTranscriptionError, match="without the redacted transcript"):
        transcribe(engine, "short")


def test_the_catalog_plans_amazon_chunks_by_its_own_limits() -> None:
    spec = model_spec(Settings(transcription_engine="amazon"))
    assert (spec.engine, spec.max_audio_seconds, spec.max_request_bytes) == ("amazon", 3600.0, 500_000_000)
    assert spec.returns_timestamps and spec.returns_speakers and not spec.accepts_prompt
    assert AmazonTranscribeEngine(AmazonOptions(), client=object()).model == spec.name


def test_a_named_profile_signs_with_its_own_keys_and_region(
    server: FakeTranscribeServer, media: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in write_profile(tmp_path, "listener", region="eu-west-1").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_TRANSCRIBE", server.endpoint_url)
    settings = Settings.from_env(
        {
            "TRANSCRIPTION_ENGINE": "amazon",
            "TRANSCRIPTION_LANGUAGE": "en",
            "MEDIASCRIBE_AWS_PROFILE": "listener",
        }
    )
    engine = AmazonTranscribeEngine.from_settings(settings)
    asyncio.run(engine.transcribe_file(media["folder"] / "short.mp3"))

    [request] = server.requests
    # The process's keys (moto's, here) are not used; the profile's Region is.
    assert (request.access_key, request.region) == (PROFILE_KEY_ID, "eu-west-1")


def test_the_region_setting_overrides_the_profile_and_a_stored_chunk_must_be_in_it(
    server: FakeTranscribeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in write_profile(tmp_path, "listener", region=REGION).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_TRANSCRIBE", server.endpoint_url)
    engine = AmazonTranscribeEngine(AmazonOptions(languages=("en",)), profile="listener", region="eu-west-1")
    with pytest.raises(PermanentTranscriptionError, match="must be in eu-west-1"):
        transcribe(engine, "short")
    assert server.requests[0].region == "eu-west-1"


def test_an_unknown_profile_is_a_configuration_error_naming_it(
    server: FakeTranscribeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in write_profile(tmp_path, "listener", region=REGION).items():
        monkeypatch.setenv(name, value)
    engine = AmazonTranscribeEngine(AmazonOptions(languages=("en",)), profile="nobody")
    with pytest.raises(ConfigurationError, match="no AWS profile named 'nobody'"):
        transcribe(engine, "short")
    assert server.requests == []
