"""Amazon Transcribe requests stay inside the TranscribeAudio model's limits, and settings that
cannot fit fail the job in the probe step, before any chunk is sent.

Inline keywords go once per request language as one ``VocabularySettings`` entry each, and the model
allows at most 5 entries; with PII redaction and no language, the request lists all six redactable
languages. Requests are checked against the whole input shape of botocore's model, as the service
checks them (``support.service_model``), since botocore itself checks no maxima.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from mediascribe.errors import ConfigurationError
from mediascribe.local.service_model import service_model, validate
from mediascribe.transcription.amazon_engine import (
    REDACTION_LANGUAGES,
    AmazonOptions,
    AmazonTranscribeEngine,
    max_vocabulary_settings,
)
from mediascribe.workflow.contracts import ProbeRequest
from mediascribe.workflow.probe import probe
from support.template_functions import function_settings

OPERATION = service_model("transcribe").operation_model("TranscribeAudio")
MEDIA = {"MediaFileUri": "s3://mediascribe-media/jobs/0/chunks/chunk-00000.flac"}
KEYWORDS = ("Kubernetes", "Aurora", "Mediascribe")
JOB = "5e5bf43a-895e-5e60-a69a-c91905330277"


def test_the_limit_is_the_models() -> None:
    assert (
        max_vocabulary_settings() == OPERATION.input_shape.members["VocabularySettings"].metadata["max"] == 5
    )


@pytest.mark.parametrize(
    "options",
    [
        {"redact_pii": True, "keywords": KEYWORDS},
        {"languages": ("en", "es", "fr", "it", "de", "pt"), "keywords": KEYWORDS},
    ],
    ids=["redaction-without-language", "six-languages"],
)
def test_keywords_in_more_languages_than_a_request_takes_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match=r"TRANSCRIPTION_KEYWORDS.*at most 5 languages") as error:
        AmazonOptions(**options)
    assert "TRANSCRIPTION_LANGUAGE" in str(error.value)


@pytest.mark.parametrize(
    "options",
    [
        {"redact_pii": True},
        {"redact_pii": True, "languages": ("en",), "keywords": KEYWORDS},
        {"redact_pii": True, "languages": REDACTION_LANGUAGES[:5], "keywords": KEYWORDS},
        {"languages": ("en", "de", "fr", "ja", "ko"), "keywords": KEYWORDS * 40},
        {"languages": ("en",), "vocabulary": "project-terms", "max_speakers": 30},
        {"keywords": KEYWORDS},
    ],
)
def test_every_request_the_options_allow_fits_the_model(options: dict[str, Any]) -> None:
    request = AmazonTranscribeEngine(AmazonOptions(**options), client=object()).request_for(MEDIA)
    assert validate(OPERATION, request) == []


def test_the_probe_step_refuses_them_with_the_template_settings() -> None:
    """The probe function's own environment carries the engine settings, and the job fails there."""
    settings = function_settings(
        "ProbeMediaFunction",
        parameters={
            "TranscriptionEngine": "amazon",
            "TranscriptionRedactPii": "true",
            "TranscriptionKeywords": ",".join(KEYWORDS),
        },
    )
    started: list[str] = []
    runtime = SimpleNamespace(
        settings=settings,
        jobs=SimpleNamespace(start=lambda job_id, execution_arn: started.append(job_id)),
        store=None,  # the media is never read
    )
    request = ProbeRequest(job_id=JOB, bucket="mediascribe-media", key="uploads/talk.mp3")
    with pytest.raises(ConfigurationError, match="TRANSCRIPTION_KEYWORDS"):
        probe(runtime, request)  # type: ignore[arg-type]
    assert started == [JOB]
