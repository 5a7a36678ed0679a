from pathlib import Path

import pytest

from mediascribe.config import API_REQUEST_LIMIT_BYTES, DEFAULT_MAX_CHUNK_SIZE_BYTES, Settings
from mediascribe.errors import ConfigurationError


def test_defaults_apply_when_the_environment_is_empty():
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.max_chunk_size_bytes == DEFAULT_MAX_CHUNK_SIZE_BYTES
    assert settings.transcription_engine == "auto"
    assert settings.openai_model == "gpt-transcribe"


def test_default_chunk_size_leaves_headroom_under_the_api_request_limit():
    assert API_REQUEST_LIMIT_BYTES - DEFAULT_MAX_CHUNK_SIZE_BYTES >= 1_000_000


def test_documented_variable_names_are_read_and_typed():
    settings = Settings.from_env(
        {
            "TEMP_DIR": "/var/tmp/ms",
            "MAX_CHUNK_SIZE_BYTES": "1048576",
            "MAX_DURATION_SECONDS": "90.5",
            "TRANSCRIPTION_MODEL": "gpt-4o-transcribe",
            "MEDIA_BUCKET": "my-bucket",
            "OPENAI_API_KEY": "sk-test-not-a-real-key",
            "EMPTY_IS_IGNORED": "",
        }
    )
    assert settings.temp_dir == Path("/var/tmp/ms")
    assert settings.max_chunk_size_bytes == 1_048_576
    assert settings.max_duration_seconds == 90.5
    assert settings.openai_model == "gpt-4o-transcribe"
    assert settings.bucket_name == "my-bucket"


def test_values_are_parsed_as_their_field_types():
    settings = Settings.from_env(
        {
            "NOTES_PROVIDER": "bedrock",
            "TRANSCRIPTION_KEYWORDS": " Kubernetes, mediascribe ,,",
            "DATABASE_PORT": "5433",
            "TRANSCRIPTION_MAX_AUDIO_SECONDS": "1400",
            "TRANSCRIPTION_AUDIO_DELIVERY": "inline",
        }
    )
    assert settings.transcription_audio_delivery == "inline"
    assert settings.notes_provider == "bedrock"
    assert settings.transcription_keywords == ("Kubernetes", "mediascribe")
    assert settings.database_port == 5433
    assert settings.transcription_max_audio_seconds == 1400.0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MAX_CHUNKS": "2.5"}, "MAX_CHUNKS: Input should be a valid integer"),
        ({"DATABASE_PORT": "postgres"}, "DATABASE_PORT: Input should be a valid integer"),
        ({"TRANSCRIPTION_ENGINE": "cloud"}, "TRANSCRIPTION_ENGINE: Input should be 'auto', 'openai'"),
        (
            {"TRANSCRIPTION_AUDIO_DELIVERY": "url"},
            "TRANSCRIPTION_AUDIO_DELIVERY: Input should be 's3' or 'inline'",
        ),
    ],
)
def test_a_malformed_value_is_refused_naming_its_variable(env, message):
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env(env)


def test_secrets_stay_out_of_the_settings_repr():
    settings = Settings.from_env({"OPENAI_API_KEY": "sk-visible?", "DATABASE_URL": "postgresql://u:pw@h/db"})
    assert "sk-visible?" not in repr(settings)
    assert "pw@" not in repr(settings)


@pytest.mark.parametrize(
    "env",
    [
        {"MAX_CHUNK_SIZE_BYTES": "lots"},
        {"MAX_CHUNK_SIZE_BYTES": "1000"},
        {"MAX_CHUNK_SIZE_BYTES": str(API_REQUEST_LIMIT_BYTES)},
        {"TRANSCRIPTION_ENGINE": "cloud"},
        {"MAX_DURATION_SECONDS": "0"},
        {"MAX_CHUNKS": "0"},
        {"WORK_PREFIX": "../elsewhere/"},
        {"UPLOAD_PREFIX": "/absolute/"},
    ],
)
def test_malformed_settings_are_refused_with_a_configuration_error(env):
    with pytest.raises(ConfigurationError):
        Settings.from_env(env)


def test_overrides_are_validated_too():
    with pytest.raises(ConfigurationError):
        Settings().with_overrides(max_chunk_size_bytes=10)
    assert Settings().with_overrides(max_chunks=3).max_chunks == 3
