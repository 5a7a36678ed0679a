"""What a job costs: the engine's price for the audio it is sent, and the stack's own share.

One model serves ``mediascribe estimate`` (before a run, from probed quantities) and the status
document of a finished job (from counted ones), so the two always agree on how quantities become
dollars. Prices are US East (N. Virginia) list prices, each with the page it was read from and the
date it was read; none includes a free tier (the stack's share is what a busy account pays).

The stack's share has five parts: Lambda GB-seconds (each step's duration times the template's
memory size), Step Functions state transitions, RDS Data API requests, S3 requests and storage, and
the notes model's tokens when notes are written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mediascribe.search.segment_rows import BATCH_REQUEST_BYTES
from mediascribe.transcription.models import ChunkTranscript

READ_ON = "2026-12-08"


@dataclass(frozen=True)
class Price:
    """``dollars`` per ``unit``, as published at ``source`` on ``read_on``."""

    dollars: float
    unit: str
    source: str
    read_on: str = READ_ON


LAMBDA_GB_SECOND = Price(
    0.0000166667,
    "GB-second (x86_64, first 6 billion GB-seconds a month)",
    "https://aws.amazon.com/lambda/pricing/",
)
LAMBDA_REQUEST = Price(0.20 / 1e6, "invocation", "https://aws.amazon.com/lambda/pricing/")
STATE_TRANSITION = Price(
    0.025 / 1000, "state transition (Standard)", "https://aws.amazon.com/step-functions/pricing/"
)
DATA_API_REQUEST = Price(
    0.35 / 1e6,
    "Data API request (first billion a month, each 32 KB)",
    "https://aws.amazon.com/rds/aurora/pricing/",
)
S3_WRITE_REQUEST = Price(
    0.005 / 1000, "PUT, COPY, POST or LIST request", "https://aws.amazon.com/s3/pricing/"
)
S3_READ_REQUEST = Price(0.0004 / 1000, "GET request", "https://aws.amazon.com/s3/pricing/")
S3_STORAGE = Price(0.023, "GB-month (S3 Standard, first 50 TB)", "https://aws.amazon.com/s3/pricing/")
# Per minute of audio sent; OpenAI bills the audio of each request.
OPENAI_MINUTE: dict[str, Price] = {
    "whisper-1": Price(0.006, "minute of audio", "https://openai.com/api/pricing/"),
    "gpt-4o-transcribe": Price(
        0.006, "minute of audio (estimated by OpenAI)", "https://openai.com/api/pricing/"
    ),
    "gpt-4o-transcribe-diarize": Price(
        0.006, "minute of audio (estimated by OpenAI)", "https://openai.com/api/pricing/"
    ),
    "gpt-4o-mini-transcribe": Price(
        0.003, "minute of audio (estimated by OpenAI)", "https://openai.com/api/pricing/"
    ),
    "gpt-4o-mini-transcribe-2025-12-15": Price(
        0.003, "minute of audio (estimated by OpenAI)", "https://openai.com/api/pricing/"
    ),
}
# Standard batch transcription, tier 1 (the first 250,000 minutes a month): billed per second with
# a minimum of 15 seconds per request.
TRANSCRIBE_MINUTE = Price(
    0.024, "minute of audio (batch, tier 1)", "https://aws.amazon.com/transcribe/pricing/"
)
TRANSCRIBE_MINIMUM_SECONDS = 15.0
# Notes: tokens of the transcript in and of the notes out (Amazon Nova Micro on Bedrock by default).
NOTES_INPUT_TOKEN = Price(
    0.035 / 1e6, "input token (Amazon Nova Micro)", "https://aws.amazon.com/bedrock/pricing/"
)
NOTES_OUTPUT_TOKEN = Price(
    0.14 / 1e6, "output token (Amazon Nova Micro)", "https://aws.amazon.com/bedrock/pricing/"
)
CHARACTERS_PER_TOKEN = 4.0
NOTES_OUTPUT_TOKENS = 1500
# Transcript text per second of speech (about 150 words a minute of 5.5 characters with a space).
CHARACTERS_PER_SPEECH_SECOND = 16.0

# MemorySize of each step's function in template.yaml, or its Globals (a test holds them to it).
MEMORY_MB: dict[str, int] = {
    "StartJobFunction": 256,
    "ProbeMediaFunction": 1024,
    "PrepareAudioFunction": 3008,
    "TranscribeChunkFunction": 512,
    "FinalizeTranscriptFunction": 1024,
    "WriteNotesFunction": 512,
}
# Step durations: fixed seconds plus seconds per second of audio (prepare: of the file; a chunk: of
# the audio it sends, without the engine's own wait, which ``ENGINE_WAIT_PER_AUDIO_SECOND`` adds).
# The per-second figures of prepare (the split) and of a chunk (speech detection and cutting) are the
# local run's (bench/bench_time_to_transcript.py, one core); the fixed ones are rounded up from it.
STEP_SECONDS: dict[str, tuple[float, float]] = {
    "StartJobFunction": (0.2, 0.0),
    "ProbeMediaFunction": (0.3, 0.0),
    "PrepareAudioFunction": (1.0, 0.0005),
    "TranscribeChunkFunction": (0.5, 0.0065),
    "FinalizeTranscriptFunction": (0.5, 0.0001),
    "WriteNotesFunction": (10.0, 0.0),
}
# How long a chunk's function waits on the engine per second of audio it sends. Assumed, not
# measured against the real services: OpenAI answers a request in about a tenth of its audio's
# length and a chunk's pieces (about 20) are all in flight at once, so it waits for the longest; Amazon
# Transcribe a quarter of the audio's length; the offline engine's decoding on the function's share
# of a vCPU about a third.
ENGINE_WAIT_PER_AUDIO_SECOND: dict[str, float] = {"openai": 0.1 / 20, "amazon": 0.25, "local": 0.3}

# The states a successful job enters (statemachine/transcribe_media.asl.json): each is one state
# transition; the Map's item state is entered once per chunk, the notes states only with notes.
SUCCESS_STATES = (
    "Probe media",
    "Route by media type",
    "Prepare audio",
    "Transcribe chunks",
    "Finalize transcript",
    "Announce completion",
    "Notes wanted?",
    "Transcript ready",
)
CHUNK_STATES = ("Transcribe chunk",)
NOTES_STATES = ("Write notes", "Announce notes")

# Data API requests on the successful path, counted in the local run (a statement on its own is one
# ExecuteStatement; a transaction is BeginTransaction, its statements and CommitTransaction): 21 for
# the job's creation, start, media, chunk total, progress and completion, one per chunk, and one per
# batch of search segments (``segment_rows.BATCH_REQUEST_BYTES`` each, about 40 bytes a second of
# speech); the notes step adds about 6 (not counted).
DATA_API_FIXED = 21
DATA_API_PER_CHUNK = 1
SEGMENT_BYTES_PER_SPEECH_SECOND = 40.0
DATA_API_NOTES = 6
# S3: the source read, each chunk written once and read once, its result written and read and
# checked for, the five outputs written; kept for the work prefix's lifetime (the template's
# WorkRetentionDays default).
S3_WRITES_FIXED = 7
S3_READS_FIXED = 3
S3_WRITES_PER_CHUNK = 2
S3_READS_PER_CHUNK = 3
STORED_DAYS = 7.0
DAYS_PER_MONTH = 30.0
# The chunks' bytes per second of audio (mp3 at 64 kbit/s); the source is counted as large again.
CHUNK_BYTES_PER_SECOND = 8000


@dataclass(frozen=True)
class Quantities:
    """What one job uses: audio, requests, and the stack's counted or estimated operations."""

    engine: str
    model: str
    duration_seconds: float
    chunks: int
    requests: int
    sent_seconds: float
    speech_seconds: float | None = None
    notes: bool = False

    @property
    def transitions(self) -> int:
        notes = len(NOTES_STATES) if self.notes else 0
        return len(SUCCESS_STATES) + len(CHUNK_STATES) * self.chunks + notes

    @property
    def data_api_requests(self) -> int:
        speech = self.sent_seconds if self.speech_seconds is None else self.speech_seconds
        inserts = max(1, math.ceil(speech * SEGMENT_BYTES_PER_SPEECH_SECOND / BATCH_REQUEST_BYTES))
        notes = DATA_API_NOTES if self.notes else 0
        return DATA_API_FIXED + DATA_API_PER_CHUNK * self.chunks + inserts + notes

    @property
    def invocations(self) -> dict[str, int]:
        steps = {name: 1 for name in MEMORY_MB if name != "WriteNotesFunction"}
        steps["TranscribeChunkFunction"] = self.chunks
        if self.notes:
            steps["WriteNotesFunction"] = 1
        return steps

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "model": self.model,
            "duration_seconds": round(self.duration_seconds, 3),
            "speech_seconds": None if self.speech_seconds is None else round(self.speech_seconds, 3),
            "chunks": self.chunks,
            "requests": self.requests,
            "sent_seconds": round(self.sent_seconds, 3),
            "state_transitions": self.transitions,
            "data_api_requests": self.data_api_requests,
        }


@dataclass(frozen=True)
class Cost:
    """Dollars by part; ``engine`` is ``None`` when no price for the model was read."""

    engine: float | None
    stack: dict[str, float] = field(default_factory=dict)

    @property
    def stack_total(self) -> float:
        return sum(self.stack.values())

    @property
    def total(self) -> float | None:
        return None if self.engine is None else self.engine + self.stack_total

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": None if self.engine is None else round(self.engine, 6),
            "stack": {part: round(dollars, 6) for part, dollars in self.stack.items()},
            "stack_total": round(self.stack_total, 6),
            "total": None if self.total is None else round(self.total, 6),
            "currency": "USD",
            "prices_read_on": READ_ON,
        }


def billed_seconds(engine: str, sent_seconds: float, requests: int) -> float:
    """The audio the engine bills: OpenAI each request's audio, Amazon Transcribe at least 15 s per
    request; the offline engine bills nothing (its cost is the chunk step's compute)."""
    if engine == "amazon":
        return max(sent_seconds, TRANSCRIBE_MINIMUM_SECONDS * requests)
    if engine == "openai":
        return sent_seconds
    return 0.0


def engine_cost(quantities: Quantities) -> float | None:
    """The engine's price for the job; ``None`` for an OpenAI model without a published price."""
    if quantities.engine == "local":
        return 0.0
    if quantities.engine == "amazon":
        price: Price | None = TRANSCRIBE_MINUTE
    else:
        price = OPENAI_MINUTE.get(quantities.model)
    if price is None:
        return None
    return (
        billed_seconds(quantities.engine, quantities.sent_seconds, quantities.requests) / 60 * price.dollars
    )


def lambda_gb_seconds(quantities: Quantities) -> dict[str, float]:
    """GB-seconds per step: its modelled duration times its memory size."""
    wait = ENGINE_WAIT_PER_AUDIO_SECOND.get(quantities.engine, 0.0)
    usage = {}
    for name, count in quantities.invocations.items():
        fixed, per_second = STEP_SECONDS[name]
        if name == "TranscribeChunkFunction":
            seconds = fixed * count + (per_second + wait) * quantities.sent_seconds
        else:
            seconds = fixed * count + per_second * quantities.duration_seconds
        usage[name] = seconds * MEMORY_MB[name] / 1024
    return usage


def stack_cost(quantities: Quantities) -> dict[str, float]:
    """The stack's own dollars for the job, by part."""
    writes = S3_WRITES_FIXED + S3_WRITES_PER_CHUNK * quantities.chunks
    reads = S3_READS_FIXED + S3_READS_PER_CHUNK * quantities.chunks
    # The source and its chunks stay for the work prefix's lifetime.
    audio_gb = 2 * CHUNK_BYTES_PER_SECOND * quantities.duration_seconds / 1e9
    stored_gb_months = audio_gb * STORED_DAYS / DAYS_PER_MONTH
    cost = {
        "lambda": sum(lambda_gb_seconds(quantities).values()) * LAMBDA_GB_SECOND.dollars
        + sum(quantities.invocations.values()) * LAMBDA_REQUEST.dollars,
        "step_functions": quantities.transitions * STATE_TRANSITION.dollars,
        "data_api": quantities.data_api_requests * DATA_API_REQUEST.dollars,
        "s3": writes * S3_WRITE_REQUEST.dollars
        + reads * S3_READ_REQUEST.dollars
        + stored_gb_months * S3_STORAGE.dollars,
    }
    if quantities.notes:
        speech = (
            quantities.speech_seconds if quantities.speech_seconds is not None else quantities.sent_seconds
        )
        tokens_in = speech * CHARACTERS_PER_SPEECH_SECOND / CHARACTERS_PER_TOKEN
        cost["notes"] = (
            tokens_in * NOTES_INPUT_TOKEN.dollars + NOTES_OUTPUT_TOKENS * NOTES_OUTPUT_TOKEN.dollars
        )
    return cost


def job_cost(quantities: Quantities) -> Cost:
    return Cost(engine=engine_cost(quantities), stack=stack_cost(quantities))


def usage_document(quantities: Quantities) -> dict[str, Any]:
    """The quantities and their estimated cost, as the status document and ``estimate`` show them."""
    return {
        **quantities.to_dict(),
        "billed_seconds": round(
            billed_seconds(quantities.engine, quantities.sent_seconds, quantities.requests), 3
        ),
        "estimated_cost": job_cost(quantities).to_dict(),
    }


def counted_quantities(chunks: Sequence[ChunkTranscript], duration_seconds: float) -> Quantities:
    """What a finished job used, counted from its chunk results (results stored before requests
    were counted count as one request for the whole chunk). Notes come after and are not in it."""
    first = chunks[0] if chunks else None
    return Quantities(
        engine=first.engine if first else "",
        model=first.model if first else "",
        duration_seconds=duration_seconds,
        chunks=len(chunks),
        requests=sum(1 if c.requests is None else c.requests for c in chunks),
        sent_seconds=sum(_sent_seconds(c) for c in chunks),
        speech_seconds=None
        if any(c.speech_seconds is None for c in chunks)
        else sum(c.speech_seconds or 0.0 for c in chunks),
    )


def _sent_seconds(chunk: ChunkTranscript) -> float:
    if chunk.sent_seconds is not None:
        return chunk.sent_seconds
    return chunk.duration_seconds or 0.0


def prices() -> Mapping[str, Price]:
    """Every price the model uses, by name (for docs and ``estimate --json``)."""
    named = {
        "lambda_gb_second": LAMBDA_GB_SECOND,
        "lambda_request": LAMBDA_REQUEST,
        "state_transition": STATE_TRANSITION,
        "data_api_request": DATA_API_REQUEST,
        "s3_write_request": S3_WRITE_REQUEST,
        "s3_read_request": S3_READ_REQUEST,
        "s3_storage": S3_STORAGE,
        "transcribe_minute": TRANSCRIBE_MINUTE,
        "notes_input_token": NOTES_INPUT_TOKEN,
        "notes_output_token": NOTES_OUTPUT_TOKEN,
    }
    named |= {f"openai_minute:{model}": price for model, price in OPENAI_MINUTE.items()}
    return named
