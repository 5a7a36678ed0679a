"""The Amazon Transcribe stand-in refuses what the service documents it refuses, in the service's
error shape, through the real boto3 client (so the engine's tests cannot pass on a friendlier double)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from support.fake_transcribe import FakeTranscribeServer
from support.media_factory import make_audio, make_silence, run_ffmpeg

BUCKET = "mediascribe-fake-transcribe"
CREDENTIALS = {"aws_access_key_id": "t", "aws_secret_access_key": "t", "region_name": "us-east-1"}
URI = f"s3://{BUCKET}/jobs/j/chunks/00000.mp3"
REDACTION = {"RedactionType": "PII", "RedactionOutput": "redacted"}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("fake-transcribe")
    make_audio(folder / "tone.mp3", 2.0)
    make_silence(folder / "hour.mp3", 3601.0)
    (folder / "notes.txt").write_text("not audio at all")
    run_ffmpeg("-f", "lavfi", "-i", "sine=d=2", "-c:a", "aac", "-f", "adts", str(folder / "tone.aac"))
    with mock_aws():
        s3 = boto3.client("s3", **CREDENTIALS)
        s3.create_bucket(Bucket=BUCKET)
        for name, key in [
            ("tone.mp3", "jobs/j/chunks/00000.mp3"),
            ("hour.mp3", "jobs/j/chunks/hour.mp3"),
            ("notes.txt", "jobs/j/chunks/notes.mp3"),
            ("tone.aac", "jobs/j/chunks/tone.aac"),
        ]:
            s3.upload_file(str(folder / name), BUCKET, key)
        with FakeTranscribeServer(s3_client=s3) as server:
            client = boto3.client(
                "transcribe",
                endpoint_url=server.endpoint_url,
                config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
                **CREDENTIALS,
            )
            yield {"server": server, "client": client, "folder": folder}


def refusal(service: dict[str, Any], **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        service["client"].transcribe_audio(**params)
    return raised.value.response


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"Language": "en", "LanguageDetectionMode": "IDENTIFY_LANGUAGE"}, "but not both"),
        ({}, "either Language or LanguageDetectionMode"),
        ({"Language": "en", "LanguageOptions": ["en", "de"]}, "only with LanguageDetectionMode"),
        ({"LanguageDetectionMode": "IDENTIFY_LANGUAGE", "LanguageOptions": ["en"]}, "two or more"),
        ({"Language": "en", "ShowSpeakerLabels": True}, "must also include MaxSpeakerLabels"),
        ({"Language": "en", "MaxSpeakerLabels": 2}, "only if ShowSpeakerLabels"),
        (
            {"LanguageDetectionMode": "IDENTIFY_LANGUAGE", "ContentRedaction": REDACTION},
            "requires LanguageOptions",
        ),
        ({"Language": "ja", "ContentRedaction": REDACTION}, "isn't supported for ja"),
        (
            {"Language": "en", "VocabularySettings": [{"Language": "de", "VocabularyName": "terms"}]},
            "exactly one vocabulary entry",
        ),
        (
            {"Language": "en", "VocabularySettings": [{"Language": "en", "VocabularyName": "no"}]},
            "couldn't be found",
        ),
    ],
)  # fmt: skip
def test_combinations_the_service_refuses(
    service: dict[str, Any], params: dict[str, Any], message: str
) -> None:
    response = refusal(service, Media={"MediaFileUri": URI}, **params)
    assert response["Error"]["Code"] == "BadRequestException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert message in response["Error"]["Message"]


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("jobs/j/chunks/hour.mp3", "audioTooLong"),
        ("jobs/j/chunks/notes.mp3", "invalidAudio"),
        ("jobs/j/chunks/tone.aac", "unsupportedAudioFormat"),
        ("jobs/j/chunks/absent.mp3", "mediaDownloadFailed"),
    ],
)
def test_audio_the_service_refuses_names_the_reason(service: dict[str, Any], key: str, reason: str) -> None:
    response = refusal(service, Media={"MediaFileUri": f"s3://{BUCKET}/{key}"}, Language="en")
    assert (response["Error"]["Code"], response["Reason"]) == ("BadRequestException", reason)


def test_a_bucket_in_another_region_than_the_request_is_not_read(service: dict[str, Any]) -> None:
    elsewhere = boto3.client(
        "transcribe",
        endpoint_url=service["server"].endpoint_url,
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
        **{**CREDENTIALS, "region_name": "eu-west-1"},
    )
    with pytest.raises(ClientError) as raised:
        elsewhere.transcribe_audio(Media={"MediaFileUri": URI}, Language="en")
    response = raised.value.response
    assert (response["Error"]["Code"], response["Reason"]) == ("BadRequestException", "mediaDownloadFailed")
    assert "eu-west-1" in response["Error"]["Message"]
    # The same audio sent inline is transcribed in any Region.
    tone = (service["folder"] / "tone.mp3").read_bytes()
    assert "TranscriptResponse" in elsewhere.transcribe_audio(Media={"MediaBytes": tone}, Language="en")
    assert service["server"].requests[-1].region == "eu-west-1"


def test_inline_audio_over_25_mb_is_refused(service: dict[str, Any]) -> None:
    oversized = (service["folder"] / "tone.mp3").read_bytes() + bytes(26_214_400)
    response = refusal(service, Media={"MediaBytes": oversized}, Language="en")
    assert response["Error"]["Code"] == "BadRequestException"
    assert response["Error"]["Message"] == (
        f"1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim={len(oversized)} "
        f"cap={len(oversized)}]' at 'media.mediaBytes' failed to satisfy constraint: "
        "Member must have length less than or equal to 26214400"
    )


ENGLISH_TERMS = {"Language": "en", "Phrases": [{"Text": "mediascribe"}]}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"Language": "en", "VocabularySettings": [ENGLISH_TERMS] * 6},
            "at 'vocabularySettings' failed to satisfy constraint: "
            "Member must have length less than or equal to 5",
        ),
        (
            {"Language": "xx"},
            "Value 'xx' at 'language' failed to satisfy constraint: Member must satisfy enum value set: "
            "[en, es, fr, it, de, ja, pt, ko, zh-CN, zh-TW, zh-HK]",
        ),
        (
            {"Language": "en", "ShowSpeakerLabels": True, "MaxSpeakerLabels": 31},
            "Value '31' at 'maxSpeakerLabels' failed to satisfy constraint: "
            "Member must have value less than or equal to 30",
        ),
        (
            {"Language": "en", "VocabularySettings": [{"Language": "en", "VocabularyName": "my terms"}]},
            "Value 'my terms' at 'vocabularySettings.1.member.vocabularyName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z._-]+",
        ),
        (
            {"Language": "en", "ContentRedaction": {**REDACTION, "PiiEntityTypes": ["SHOE_SIZE"]}},
            "Value 'SHOE_SIZE' at 'contentRedaction.piiEntityTypes.1.member' failed to satisfy constraint",
        ),
    ],
)
def test_what_the_model_constrains_is_refused_in_the_services_words(
    service: dict[str, Any], params: dict[str, Any], message: str
) -> None:
    """botocore's client sends all of these (it checks no maxima, enums or patterns); the service
    refuses them before looking at the audio."""
    before = len(service["server"].requests)
    response = refusal(service, Media={"MediaFileUri": URI}, **params)
    assert response["Error"]["Code"] == "BadRequestException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Message"].startswith("1 validation error detected: ")
    assert message in response["Error"]["Message"]
    assert len(service["server"].requests) == before + 1


def test_an_unsigned_request_is_refused(service: dict[str, Any]) -> None:
    from botocore import UNSIGNED

    unsigned = boto3.client(
        "transcribe", endpoint_url=service["server"].endpoint_url, config=Config(signature_version=UNSIGNED),
        region_name="us-east-1",
    )  # fmt: skip
    with pytest.raises(ClientError, match="MissingAuthenticationToken"):
        unsigned.transcribe_audio(Media={"MediaFileUri": URI}, Language="en")


def test_a_tone_answers_the_documented_shape(service: dict[str, Any]) -> None:
    answer = service["client"].transcribe_audio(
        Media={"MediaFileUri": URI}, LanguageDetectionMode="IDENTIFY_LANGUAGE", LanguageOptions=["en", "de"]
    )["TranscriptResponse"]
    assert answer["Metadata"]["MediaFormat"] == "mp3"
    assert answer["Metadata"]["LanguageCode"] == "en-US"
    assert answer["Metadata"]["LanguageCodes"][0]["DurationInSeconds"] == pytest.approx(2.0, abs=0.1)
    assert set(answer["Results"]) == {"Transcript", "Items"}


def test_output_configuration_writes_the_transcript_to_s3_instead(service: dict[str, Any]) -> None:
    location = f"s3://{BUCKET}/out/transcript.json"
    answer = service["client"].transcribe_audio(
        Media={"MediaFileUri": URI}, Language="en", OutputConfiguration={"OutputMediaFileUri": location}
    )
    assert "TranscriptResponse" not in answer
    assert answer["OutputConfiguration"] == {"OutputMediaFileUri": location}
    assert (
        service["server"].s3_client.head_object(Bucket=BUCKET, Key="out/transcript.json")["ContentLength"] > 0
    )
