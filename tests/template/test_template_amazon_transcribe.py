"""TranscriptionEngine=amazon: no OpenAI key anywhere, and only the chunk step may call Amazon Transcribe
and read the chunks it hands to it."""

from __future__ import annotations

from typing import Any

import pytest
from template_render import Rendered

from mediascribe.config import Settings

OPENAI_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:openai-AbCdEf"
CHUNK_FUNCTION = "TranscribeChunkFunction"


def policies(rendered: Rendered, function: str) -> list[Any]:
    return list(rendered.properties(function).get("Policies", []))


def statements(rendered: Rendered, policy: str) -> list[dict[str, Any]]:
    return list(rendered.properties(policy)["PolicyDocument"]["Statement"])


def settings_of(rendered: Rendered, function: str) -> Settings:
    environment = {k: str(v) for k, v in rendered.environment(function).items()}
    return Settings.from_env(environment)


def test_amazon_needs_no_openai_key_and_reads_none(template: dict[str, Any]) -> None:
    rendered = Rendered.of(template, TranscriptionEngine="amazon", DatabaseSecretArn="")
    assert rendered.failed_rules() == []
    environment = rendered.environment(CHUNK_FUNCTION)
    assert environment["TRANSCRIPTION_ENGINE"] == "amazon"
    assert "OPENAI_API_KEY_SECRET" not in environment
    assert "OpenAIApiKeyAccessPolicy" not in rendered.resources()
    assert "<TranscribeAudioPolicy>" in policies(rendered, CHUNK_FUNCTION)


def test_a_key_given_for_notes_still_does_not_reach_the_chunk_step(template: dict[str, Any]) -> None:
    rendered = Rendered.of(template, TranscriptionEngine="amazon", OpenAIApiKeySecretArn=OPENAI_SECRET)
    assert "OPENAI_API_KEY_SECRET" not in rendered.environment(CHUNK_FUNCTION)
    assert "<OpenAIApiKeyAccessPolicy>" not in policies(rendered, CHUNK_FUNCTION)


def test_only_the_chunk_step_may_transcribe_and_read_the_chunks_it_names(
    template: dict[str, Any],
) -> None:
    rendered = Rendered.of(template, TranscriptionEngine="amazon")
    holders = [
        name
        for name in rendered.resources()
        if template["Resources"][name]["Type"] == "AWS::Serverless::Function"
        and "<TranscribeAudioPolicy>" in policies(rendered, name)
    ]
    assert holders == [CHUNK_FUNCTION]
    # Of the work files it reads the chunks (for Transcribe, which reads them with the caller's
    # permissions) and the chunk transcripts, nothing else.
    assert "<WorkReadPolicy>" not in policies(rendered, CHUNK_FUNCTION)
    by_sid = {s["Sid"]: s for s in statements(rendered, "TranscribeAudioPolicy")}
    assert by_sid["TranscribeChunks"]["Action"] == "transcribe:TranscribeAudio"
    chunks = by_sid["ChunksReadByTranscribe"]
    assert chunks["Action"] == "s3:GetObject"
    assert chunks["Resource"].endswith("/jobs/*/chunks/*")
    # TranscribeAudio needs the caller's read permission on the file (API_SyncMedia); a condition on
    # a key Transcribe is not documented to set would deny every call.
    assert "Condition" not in chunks
    assert by_sid["ReadChunkTranscripts"]["Resource"].endswith("/jobs/*/results/*")
    assert set(by_sid) == {"TranscribeChunks", "ChunksReadByTranscribe", "ReadChunkTranscripts"}


def test_no_other_policy_grants_any_transcribe_action(template: dict[str, Any]) -> None:
    rendered = Rendered.of(template, TranscriptionEngine="amazon")
    for name in rendered.resources():
        if (
            template["Resources"][name]["Type"] != "AWS::IAM::ManagedPolicy"
            or name == "TranscribeAudioPolicy"
        ):
            continue
        actions = [a for s in statements(rendered, name) for a in _as_list(s.get("Action", []))]
        assert not [a for a in actions if a.startswith("transcribe:")], name


def test_openai_engine_keeps_its_key_and_gets_no_transcribe_policy(template: dict[str, Any]) -> None:
    rendered = Rendered.of(template, OpenAIApiKeySecretArn=OPENAI_SECRET)
    assert "TranscribeAudioPolicy" not in rendered.resources()
    assert rendered.environment(CHUNK_FUNCTION)["OPENAI_API_KEY_SECRET"] == OPENAI_SECRET
    assert "<WorkReadPolicy>" in policies(rendered, CHUNK_FUNCTION)


@pytest.mark.parametrize("function", ["PrepareAudioFunction", CHUNK_FUNCTION])
def test_speakers_vocabulary_and_redaction_reach_the_settings(
    template: dict[str, Any], function: str
) -> None:
    rendered = Rendered.of(
        template,
        TranscriptionEngine="amazon",
        TranscriptionSpeakers=4,
        TranscriptionLanguage="en",
        TranscriptionVocabulary="project-terms",
        TranscriptionRedactPii="true",
    )
    settings = settings_of(rendered, function)
    assert (settings.transcription_engine, settings.transcription_speakers) == ("amazon", 4)
    if function == CHUNK_FUNCTION:
        assert settings.transcription_vocabulary == "project-terms"
        assert settings.transcription_redact_pii is True


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
