"""The model table: limits, formats, overrides for unknown servers, and shutdown dates."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from openai.types.audio_model import AudioModel

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError
from mediascribe.transcription import catalog
from mediascribe.transcription.catalog import (
    OPENAI_MODELS,
    chunk_byte_limit,
    ensure_model_usable,
    model_notice,
    model_spec,
    openai_model_spec,
    requested_languages,
    single_language,
)

TODAY = date(2026, 11, 30)


def openai_settings(**changes: object) -> Settings:
    return Settings(transcription_engine="openai", **changes)


def test_every_model_the_sdk_lists_is_in_the_table() -> None:
    assert set(AudioModel.__args__) == set(OPENAI_MODELS)


def test_the_default_model_is_gpt_transcribe_and_never_shuts_down() -> None:
    spec = model_spec(openai_settings())
    assert spec.name == "gpt-transcribe"
    assert spec.shutdown is None
    assert spec.accepts_keywords and spec.accepts_languages
    assert spec.max_audio_seconds == 1400.0


@pytest.mark.parametrize(
    ("name", "seconds", "response_format", "timestamps"),
    [
        ("whisper-1", None, "verbose_json", True),
        ("gpt-4o-transcribe", 1500.0, "json", False),
        ("gpt-4o-mini-transcribe", 1500.0, "json", False),
        ("gpt-4o-mini-transcribe-2025-12-15", 1500.0, "json", False),
        ("gpt-4o-transcribe-diarize", 1400.0, "diarized_json", True),
        ("gpt-transcribe", 1400.0, "json", False),
    ],
)
def test_listed_models(name: str, seconds: float | None, response_format: str, timestamps: bool) -> None:
    spec = openai_model_spec(name)
    assert spec.max_audio_seconds == seconds
    assert spec.max_request_bytes == 26_214_400
    assert spec.response_format == response_format
    assert spec.response_format in spec.response_formats
    assert spec.returns_timestamps is timestamps


def test_the_diarize_model_takes_no_prompt_and_needs_a_chunking_strategy() -> None:
    spec = openai_model_spec("gpt-4o-transcribe-diarize")
    assert not spec.accepts_prompt
    assert spec.requires_chunking_strategy
    assert spec.returns_speakers


def test_auto_engine_follows_the_key() -> None:
    assert model_spec(Settings()).engine == "local"
    assert model_spec(Settings(openai_api_key="sk-test")).name == "gpt-transcribe"
    assert model_spec(Settings(openai_api_key_secret="arn:aws:secretsmanager:x")).engine == "openai"
    local = model_spec(Settings(transcription_engine="local"))
    assert local.max_audio_seconds is None and local.max_request_bytes is None
    assert local.returns_timestamps


def test_an_unknown_model_gets_conservative_defaults() -> None:
    spec = model_spec(openai_settings(openai_model="Systran/faster-whisper-small"))
    assert spec.response_format == "json"
    assert not spec.returns_timestamps
    assert not spec.accepts_keywords and not spec.accepts_languages
    assert spec.max_audio_seconds == 1400.0
    assert spec.shutdown is None


def test_settings_open_up_an_unknown_server() -> None:
    spec = model_spec(
        openai_settings(
            openai_model="Systran/faster-whisper-small",
            transcription_max_audio_seconds=7200.0,
            transcription_response_format="verbose_json",
        )
    )
    assert spec.max_audio_seconds == 7200.0
    assert spec.response_format == "verbose_json"
    assert spec.returns_timestamps


def test_settings_cannot_raise_a_listed_cap_or_ask_a_refused_format() -> None:
    spec = model_spec(
        openai_settings(openai_model="gpt-4o-transcribe", transcription_max_audio_seconds=9000.0)
    )
    assert spec.max_audio_seconds == 1500.0
    lower = model_spec(
        openai_settings(openai_model="gpt-4o-transcribe", transcription_max_audio_seconds=600.0)
    )
    assert lower.max_audio_seconds == 600.0
    with pytest.raises(ConfigurationError, match="verbose_json is not answered by gpt-transcribe"):
        model_spec(openai_settings(transcription_response_format="verbose_json"))


def test_whisper_can_be_asked_for_text_only() -> None:
    spec = model_spec(openai_settings(openai_model="whisper-1", transcription_response_format="json"))
    assert spec.response_format == "json"
    assert not spec.returns_timestamps


@pytest.mark.parametrize("name", ["whisper-1", "gpt-4o-transcribe", "gpt-4o-transcribe-diarize"])
def test_a_model_past_its_shutdown_is_refused_naming_the_successor(name: str) -> None:
    with pytest.raises(ConfigurationError, match=f"{name} was shut down on 2027-02-26; use gpt-transcribe"):
        model_notice(openai_model_spec(name), today=date(2027, 2, 26))


def test_a_model_within_90_days_of_shutdown_gets_a_notice() -> None:
    spec = openai_model_spec("gpt-4o-mini-transcribe")
    assert model_notice(spec, today=date(2026, 11, 27)) is None
    notice = model_notice(spec, today=date(2026, 11, 28))
    assert notice is not None
    assert "shuts down on 2027-02-26 (in 90 days); use gpt-transcribe" in notice
    assert model_notice(openai_model_spec("gpt-transcribe"), today=date(2030, 1, 1)) is None


def test_the_shutdown_warning_is_logged_once_per_process(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog, "_warned", set())
    settings = openai_settings(openai_model="whisper-1")
    with caplog.at_level(logging.WARNING, logger=catalog.__name__):
        for _ in range(3):
            assert ensure_model_usable(settings, today=TODAY).name == "whisper-1"
    warnings = [r for r in caplog.records if "shuts down" in r.getMessage()]
    assert len(warnings) == 1
    with pytest.raises(ConfigurationError):
        ensure_model_usable(settings, today=date(2027, 3, 1))


def test_languages_are_a_comma_list() -> None:
    assert single_language(Settings(transcription_language="en")) == "en"
    assert single_language(Settings(transcription_language="en,de")) is None
    assert requested_languages(Settings()) == ()
    assert requested_languages(Settings(transcription_language="en")) == ("en",)
    assert requested_languages(Settings(transcription_language=" en, de ,")) == ("en", "de")


def test_new_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "TRANSCRIPTION_KEYWORDS": "Kubernetes, mediascribe ,",
            "CHUNK_TARGET_SECONDS": "300",
            "TRANSCRIPTION_MAX_AUDIO_SECONDS": "3600",
            "TRANSCRIPTION_RESPONSE_FORMAT": "verbose_json",
        }
    )
    assert settings.transcription_keywords == ("Kubernetes", "mediascribe")
    assert settings.chunk_target_seconds == 300.0
    assert settings.transcription_max_audio_seconds == 3600.0
    assert settings.transcription_response_format == "verbose_json"
    for bad in ({"CHUNK_TARGET_SECONDS": "5"}, {"TRANSCRIPTION_RESPONSE_FORMAT": "srt"}):
        with pytest.raises(ConfigurationError):
            Settings.from_env(bad)


@pytest.mark.parametrize(
    ("env", "limit"),
    [
        ({"TRANSCRIPTION_ENGINE": "amazon"}, 500 * 1000 * 1000),
        ({"TRANSCRIPTION_ENGINE": "amazon", "TRANSCRIPTION_AUDIO_DELIVERY": "inline"}, 65_536),
        ({"TRANSCRIPTION_ENGINE": "openai", "OPENAI_API_KEY": "sk-test"}, 65_536),
        ({"TRANSCRIPTION_ENGINE": "local"}, 65_536),
    ],
)
def test_only_chunks_the_service_reads_from_s3_outgrow_the_byte_budget(
    env: dict[str, str], limit: int
) -> None:
    settings = Settings.from_env({**env, "MAX_CHUNK_SIZE_BYTES": "65536"})
    assert chunk_byte_limit(settings, model_spec(settings)) == limit
