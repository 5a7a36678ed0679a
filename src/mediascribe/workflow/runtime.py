"""What every step works with: settings, the bucket, the jobs table and (lazily) the engine.

Built once per container and settings, because clients, the database connection and a loaded offline
model are expensive to create and safe to reuse across invocations.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError
from mediascribe.jobs.connect import executor_from_settings
from mediascribe.jobs.repository import JobRepository
from mediascribe.storage import MediaStore
from mediascribe.transcription.credentials import resolve_openai_api_key
from mediascribe.transcription.engine import TranscriptionEngine
from mediascribe.transcription.factory import create_engine

_BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})
# Presigned uploads must be SigV4: buckets created since 2020 refuse SigV2, which botocore still
# picks for presigning in us-east-1.
_S3_CONFIG = _BOTO_CONFIG.merge(Config(signature_version="s3v4"))


@dataclass
class Runtime:
    settings: Settings
    store: MediaStore
    jobs: JobRepository
    sfn: Any = field(repr=False)
    _engine: TranscriptionEngine | None = field(default=None, repr=False)
    _engine_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _events: Any = field(default=None, repr=False)

    def events(self) -> Any:
        """The EventBridge client, made on first use: only the steps that announce without the state
        machine (the sweeper, a notes rewrite) call it."""
        with self._engine_lock:
            if self._events is None:
                self._events = aws_client("events")
            return self._events

    def engine(self) -> TranscriptionEngine:
        """The transcription engine, created on first use: only the chunk step pays for it."""
        with self._engine_lock:
            if self._engine is None:
                # Only an engine that may call OpenAI reads the key: the others must not need its secret.
                wants_key = self.settings.transcription_engine in ("auto", "openai")
                api_key = resolve_openai_api_key(self.settings) if wants_key else None
                self._engine = create_engine(self.settings, api_key=api_key)
            return self._engine


def aws_client(service: str) -> Any:
    return boto3.client(service, config=_S3_CONFIG if service == "s3" else _BOTO_CONFIG)


# In Lambda a container has one function's settings; the local runner serves every function of the
# stack from one process, each with its own settings.
@functools.lru_cache(maxsize=16)
def runtime_for(settings: Settings) -> Runtime:
    if not settings.bucket_name:
        raise ConfigurationError("MEDIA_BUCKET is not set")
    store = MediaStore(aws_client("s3"), settings.bucket_name, settings.work_prefix)
    return Runtime(
        settings=settings,
        store=store,
        jobs=JobRepository(executor_from_settings(settings)),
        sfn=aws_client("stepfunctions"),
    )


def reset_runtimes() -> None:
    """Drop cached runtimes (and their clients); the local runner starts each run like a cold start."""
    runtime_for.cache_clear()
