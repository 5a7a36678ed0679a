"""Typed settings, read from the environment in exactly one place (``Settings.from_env``).

Domain code receives a ``Settings`` (or the few values it needs) as an argument and never reads the
environment itself, so tests build settings explicitly and handlers build them once per container.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, get_origin, get_type_hints

from pydantic import TypeAdapter, ValidationError

from mediascribe.errors import ConfigurationError

# The transcription API rejects requests over 26,214,400 bytes including multipart overhead; 24 MiB
# chunks leave about 1.2 MB of headroom for the form fields and boundaries.
API_REQUEST_LIMIT_BYTES = 26_214_400
DEFAULT_MAX_CHUNK_SIZE_BYTES = 24 * 1024 * 1024

EngineChoice = Literal["auto", "openai", "local", "amazon"]
ResponseFormatChoice = Literal["auto", "json", "verbose_json", "diarized_json"]
DatabaseModeChoice = Literal["postgres", "data-api"]
NotesProviderChoice = Literal["off", "bedrock", "openai"]
AudioDeliveryChoice = Literal["s3", "inline"]
# Shorter chunks would spend more on boundaries than they gain in parallel requests.
MIN_CHUNK_TARGET_SECONDS = 30.0

# A whole principal, never a pattern: an admin list must not grant more than it names.
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[^*?\s]+$")


@dataclass(frozen=True)
class Settings:
    """Every tunable of mediascribe, with the defaults used when nothing is configured."""

    # Media processing
    temp_dir: Path = Path("/tmp")
    max_chunk_size_bytes: int = DEFAULT_MAX_CHUNK_SIZE_BYTES
    ffmpeg_binary: str | None = None
    ffprobe_binary: str | None = None
    mp3_bitrate: str = "64k"
    mp3_sample_rate: int = 22050
    max_duration_seconds: float = 6 * 3600.0
    max_chunks: int = 200
    # Chunk length the planner aims for: the shortest target whose splitting cost stayed within 0.5 WER
    # points while an hour still finishes over 4 times faster than byte-sized chunks (bench/RESULTS.md).
    chunk_target_seconds: float = 600.0

    # Transcription
    transcription_engine: EngineChoice = "auto"
    openai_model: str = "gpt-transcribe"
    openai_base_url: str | None = None
    openai_api_key: str | None = field(default=None, repr=False)
    openai_api_key_secret: str | None = None
    openai_max_retries: int = 3
    openai_timeout_seconds: float = 300.0
    transcription_language: str | None = None
    transcription_prompt: str | None = None
    transcription_keywords: tuple[str, ...] = ()
    # For models the catalog does not list (a self-hosted OpenAI-compatible server).
    transcription_max_audio_seconds: float | None = None
    transcription_response_format: ResponseFormatChoice = "auto"
    local_model_path: str | None = None
    local_compute_type: str = "int8"
    # The offline engine's decoder threads and speech pieces decoded at once; unset, both follow the
    # cores this process may run on (``transcription.local_decoding``).
    local_threads: int | None = None
    local_batch_size: int | None = None
    # Amazon Transcribe: most speakers to tell apart (0 = no speaker labels), a custom vocabulary
    # name, and PII redaction (then only the redacted transcript is ever stored).
    transcription_speakers: int = 0
    transcription_vocabulary: str | None = None
    transcription_redact_pii: bool = False
    # How a chunk reaches Amazon Transcribe: "s3", the service reads it from the bucket (a deployment);
    # "inline", the function sends its bytes (at most 25 MiB, which every chunk is), for a bucket the
    # service cannot read, such as a local run's.
    transcription_audio_delivery: AudioDeliveryChoice = "s3"

    # Notes (title, summary, chapters, action items) after the transcript; "off" skips the step.
    # NOTES_MODEL empty: the provider's default (see docs/notes.md).
    notes_provider: NotesProviderChoice = "off"
    notes_model: str | None = None
    notes_max_input_tokens: int = 32_000
    # The jobs API starts a notes retry by invoking this function asynchronously.
    notes_function_name: str | None = None
    # The EventBridge bus the terminal changes of jobs and notes are put on (the sweeper's, API notes').
    event_bus_name: str = "default"
    # The webhook sender: the receiver, the queue it retries through, and the signing secret - the
    # Secrets Manager secret WEBHOOK_SECRET_ARN in AWS, WEBHOOK_SECRET locally (docs/integrations.md).
    webhook_url: str | None = None
    webhook_queue_url: str | None = None
    webhook_secret_arn: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    # A Notion page per job's notes, under one page or in one database (see docs/integrations.md).
    # The token: NOTION_TOKEN locally, the Secrets Manager secret NOTION_TOKEN_SECRET in AWS.
    notion_parent_page_id: str | None = None
    notion_database_id: str | None = None
    notion_token: str | None = field(default=None, repr=False)
    notion_token_secret: str | None = None
    notion_base_url: str | None = None

    # Jobs database
    database_url: str | None = field(default=None, repr=False)
    # "postgres": psycopg2 to DATABASE_URL or the server the secret (and host/port/name) describe;
    # "data-api": the RDS Data API on DATABASE_CLUSTER_ARN with DATABASE_SECRET_ARN.
    database_mode: DatabaseModeChoice = "postgres"
    database_secret_arn: str | None = None
    # The migrate function only: the functions' login (username, password) it creates and grants rows to.
    database_app_secret_arn: str | None = None
    database_cluster_arn: str | None = None
    database_name: str | None = None
    database_host: str | None = None
    database_port: int | None = None
    database_connect_timeout_seconds: int = 5
    database_connect_attempts: int = 3
    stale_job_after_seconds: int = 2 * 3600

    # Storage and workflow
    bucket_name: str | None = None
    upload_prefix: str = "uploads/"
    work_prefix: str = "jobs/"
    state_machine_arn: str | None = None

    # Jobs API: principals (IAM ARNs) that see and submit every job, not only their own.
    api_admin_principals: tuple[str, ...] = ()
    # Client side: the deployed jobs API the CLI's submit/status/retry talk to (the JobsApiUrl output).
    api_url: str | None = None
    # The profile and Region of the services called by name (Amazon Transcribe, Bedrock) when they are
    # not the process's own: a local run against the real services (see ``aws_clients``).
    aws_profile: str | None = None
    aws_region: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from the variables documented in the configuration table.

        Each value is parsed as its field's type (numbers, booleans, paths, the allowed words of a
        ``Literal``); a list field takes a comma-separated value. Unset or empty variables keep the default.
        """
        env = os.environ if environ is None else environ
        types = _field_types()
        values: dict[str, Any] = {}
        for f in fields(cls):
            variable = env_variable(f.name)
            raw = env.get(variable)
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(variable, types[f.name], raw)
        settings = cls(**values)
        settings.validate()
        return settings

    def with_overrides(self, **changes: Any) -> Settings:
        updated = replace(self, **changes)
        updated.validate()
        return updated

    def validate(self) -> None:
        if self.max_chunk_size_bytes < 64 * 1024:
            raise ConfigurationError("MAX_CHUNK_SIZE_BYTES must be at least 65536")
        if self.max_chunk_size_bytes > API_REQUEST_LIMIT_BYTES - 512 * 1024:
            raise ConfigurationError(
                f"MAX_CHUNK_SIZE_BYTES must leave room for the request overhead "
                f"(at most {API_REQUEST_LIMIT_BYTES - 512 * 1024})"
            )
        if self.transcription_engine not in ("auto", "openai", "local", "amazon"):
            raise ConfigurationError("TRANSCRIPTION_ENGINE must be auto, openai, local or amazon")
        if self.transcription_speakers != 0 and not 2 <= self.transcription_speakers <= 30:
            raise ConfigurationError("TRANSCRIPTION_SPEAKERS must be 0 (no speaker labels) or 2 to 30")
        if self.chunk_target_seconds < MIN_CHUNK_TARGET_SECONDS:
            raise ConfigurationError(f"CHUNK_TARGET_SECONDS must be at least {MIN_CHUNK_TARGET_SECONDS:.0f}")
        if self.transcription_max_audio_seconds is not None and self.transcription_max_audio_seconds <= 0:
            raise ConfigurationError("TRANSCRIPTION_MAX_AUDIO_SECONDS must be positive")
        if self.transcription_response_format not in ("auto", "json", "verbose_json", "diarized_json"):
            raise ConfigurationError(
                "TRANSCRIPTION_RESPONSE_FORMAT must be auto, json, verbose_json or diarized_json"
            )
        local_counts = (("LOCAL_THREADS", self.local_threads), ("LOCAL_BATCH_SIZE", self.local_batch_size))
        for name, count in local_counts:
            if count is not None and count < 1:
                raise ConfigurationError(f"{name} must be at least 1")
        if self.max_chunks < 1:
            raise ConfigurationError("MAX_CHUNKS must be positive")
        if self.max_duration_seconds <= 0:
            raise ConfigurationError("MAX_DURATION_SECONDS must be positive")
        for prefix in (self.upload_prefix, self.work_prefix):
            if prefix.startswith("/") or ".." in prefix.split("/"):
                raise ConfigurationError(f"invalid S3 prefix {prefix!r}")
        # Work files under the upload prefix would re-trigger the upload event: a job per chunk, forever.
        if self.work_prefix.startswith(self.upload_prefix) or self.upload_prefix.startswith(self.work_prefix):
            raise ConfigurationError("UPLOAD_PREFIX and WORK_PREFIX must not contain one another")
        if self.notes_provider not in ("off", "bedrock", "openai"):
            raise ConfigurationError("NOTES_PROVIDER must be off, bedrock or openai")
        if self.notes_max_input_tokens < 4_000:
            raise ConfigurationError("NOTES_MAX_INPUT_TOKENS must be at least 4000")
        if self.notion_parent_page_id and self.notion_database_id:
            raise ConfigurationError("NOTION_PARENT_PAGE_ID and NOTION_DATABASE_ID: set one, not both")
        if self.database_mode not in ("postgres", "data-api"):
            raise ConfigurationError("DATABASE_MODE must be postgres or data-api")
        if self.database_port is not None and not 0 < self.database_port < 65536:
            raise ConfigurationError("DATABASE_PORT must be a TCP port")
        for principal in self.api_admin_principals:
            if not _PRINCIPAL_ARN.match(principal):
                raise ConfigurationError(f"API_ADMIN_PRINCIPALS: {principal!r} is not an IAM or STS ARN")


_ENV_NAMES = {
    "temp_dir": "TEMP_DIR",
    "openai_api_key": "OPENAI_API_KEY",
    "openai_api_key_secret": "OPENAI_API_KEY_SECRET",
    "openai_base_url": "OPENAI_BASE_URL",
    "openai_model": "TRANSCRIPTION_MODEL",
    "bucket_name": "MEDIA_BUCKET",
    "api_url": "MEDIASCRIBE_API_URL",
    "aws_profile": "MEDIASCRIBE_AWS_PROFILE",
    "aws_region": "MEDIASCRIBE_AWS_REGION",
}


def env_variable(field_name: str) -> str:
    """The environment variable of a field: its name in capitals unless ``_ENV_NAMES`` says otherwise."""
    return _ENV_NAMES.get(field_name, field_name.upper())


def _parse(variable: str, field_type: Any, raw: str) -> Any:
    value = _comma_list(raw) if get_origin(field_type) is tuple else raw
    try:
        return _adapter(field_type).validate_python(value)
    except ValidationError as exc:
        raise ConfigurationError(f"{variable}: {exc.errors()[0]['msg']}") from None


def _comma_list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


@functools.cache
def _field_types() -> dict[str, Any]:
    return get_type_hints(Settings)


@functools.cache
def _adapter(field_type: Any) -> TypeAdapter[Any]:
    """One validator per field type, built on first use: most variables are never set."""
    return TypeAdapter(field_type)
