"""Benchmark of the local workflow (the template's state machine on moto, handlers in-process).

1. A generated 60-minute speech-like recording with a zero-latency fake transcription API: wall time
   of each stage (from the execution history) and the orchestration overhead, as a ratio of the
   ffmpeg work alone (probe + split called directly on the same file).
2. A short recording cut into many chunks with a fixed-latency fake API: the Map state's speed-up
   at MaxConcurrency N over MaxConcurrency 1.

Run: PYTHONPATH=tests:bench .venv/bin/python bench/bench_workflow.py
(writes the "Workflow" section of bench/RESULTS.md)
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from pathlib import Path

from bench_jobs import openai_workflow, timed_job
from mediascribe.config import Settings
from mediascribe.local.postgres import LocalPostgres
from mediascribe.media.probe import probe_media
from mediascribe.media.split import split_audio_file
from mediascribe.workspace import job_workspace
from results_file import write_section
from support.fake_openai import FakeTranscriptionServer
from support.media_factory import make_speech_like

STAGES = ("Probe media", "Prepare audio", "Transcribe chunks", "Finalize transcript")
LONG_SECONDS = 3600.0
LATENCY_SECONDS = 1.0
MAP_CONCURRENCY = 8
BENCH_JOB = "00000000-0000-4000-8000-00000000beef"


def stage_seconds(history: list[dict]) -> dict[str, float]:
    """Entered → exited time of each top-level state, from the execution history timestamps."""
    entered: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for event in history:
        entered_details = event.get("stateEnteredEventDetails")
        exited_details = event.get("stateExitedEventDetails")
        if entered_details and entered_details["name"] in STAGES:
            entered.setdefault(entered_details["name"], event["timestamp"].timestamp())
        if exited_details and exited_details["name"] in STAGES:
            seconds[exited_details["name"]] = event["timestamp"].timestamp() - entered[exited_details["name"]]
    return seconds


def run_workflow(
    media: Path,
    database_url: str,
    fake: FakeTranscriptionServer,
    environment: dict[str, str],
    concurrency: int,
) -> tuple[float, dict[str, float], int]:
    """One job end to end; returns (wall seconds from upload event to finished, stages, chunks)."""
    with openai_workflow(database_url, fake, concurrency=concurrency, environment=environment) as workflow:
        outcome, wall = timed_job(workflow, media, f"uploads/concurrency-{concurrency}/{media.name}")
        history = workflow.history(outcome.execution_arn)
        chunks = len(outcome.output["audio"]["results"])
    return wall, stage_seconds(history), chunks


def ffmpeg_alone(media: Path, settings: Settings) -> float:
    """The media work of probe + prepare without S3, Lambda, Step Functions or the database."""
    started = time.perf_counter()
    with job_workspace(settings.temp_dir, BENCH_JOB):
        asyncio.run(probe_media(media, settings=settings))
        asyncio.run(
            split_audio_file(media, settings.max_chunk_size_bytes, media.name, BENCH_JOB, settings=settings)
        )
    return time.perf_counter() - started


def main() -> None:
    logging.disable(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="bench-workflow-") as scratch, LocalPostgres() as database:
        root = Path(scratch)
        long_media = make_speech_like(root / "podcast.mp3", LONG_SECONDS)
        alone = ffmpeg_alone(long_media, Settings(temp_dir=root))
        with FakeTranscriptionServer() as fake:
            wall, stages, chunks = run_workflow(long_media, database.dsn, fake, {}, MAP_CONCURRENCY)
        media_stages = stages["Probe media"] + stages["Prepare audio"]

        short_media = make_speech_like(
            root / "interview.mp3", 96.0, bitrate="64k", channels=1, sample_rate=22050
        )
        small_chunks = {"MAX_CHUNK_SIZE_BYTES": "65536"}
        with FakeTranscriptionServer(latency=LATENCY_SECONDS) as fake:
            serial_wall, serial, many = run_workflow(short_media, database.dsn, fake, small_chunks, 1)
            parallel_wall, parallel, _ = run_workflow(
                short_media, database.dsn, fake, small_chunks, MAP_CONCURRENCY
            )

    rows = "\n".join(f"| {name} | {stages[name]:.2f} |" for name in STAGES)
    body = f"""
### 60-minute recording, zero-latency fake API

Input: generated speech-like mp3, {LONG_SECONDS / 60:.0f} min, 128 kbit/s stereo ({long_media.name}),
default chunk limit: {chunks} chunks, MaxConcurrency {MAP_CONCURRENCY}.

| Stage (state entered → exited) | Seconds |
|---|---|
{rows}

- Upload event → execution finished: **{wall:.2f} s**.
- ffmpeg work alone (probe + split called directly, no S3/Lambda/Step Functions/database): **{alone:.2f} s**.
- Probe + prepare stages / ffmpeg alone: **{media_stages / alone:.2f}x** (adds two S3 downloads of the
  source, the chunk uploads and the job-row updates).
- Whole job / ffmpeg alone: **{wall / alone:.2f}x**; orchestration overhead beyond the ffmpeg work:
  **{wall - alone:.2f} s**.

### Map speed-up, fake API with {LATENCY_SECONDS:.1f} s latency per request

Input: 96 s mp3 at 64 kbit/s, 64 KiB chunk limit: {many} chunks.

| MaxConcurrency | Map seconds | Job seconds |
|---|---|---|
| 1 | {serial["Transcribe chunks"]:.2f} | {serial_wall:.2f} |
| {MAP_CONCURRENCY} | {parallel["Transcribe chunks"]:.2f} | {parallel_wall:.2f} |

Map speed-up: **{serial["Transcribe chunks"] / parallel["Transcribe chunks"]:.2f}x** (ideal
{min(MAP_CONCURRENCY, many)}x; the local run shares two cores between moto, the in-process handlers
and the fake server, while in AWS every Map item is its own Lambda).
"""
    write_section("Workflow", body, "PYTHONPATH=tests:bench .venv/bin/python bench/bench_workflow.py")
    print(body)


if __name__ == "__main__":
    main()
