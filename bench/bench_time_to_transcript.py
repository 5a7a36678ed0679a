"""Time to transcript of a long recording: chunks planned by bytes only against the duration-aware plan.

The API stand-in's latency grows with the audio of each request (0.05 s per audio second by
default); MaxConcurrency 10. The byte-only plan is today's behaviour: chunks as large as 24 MiB allow
(about 52 minutes at 64 kbit/s), which only whisper-1 accepts, so every plan is measured with
whisper-1 and only the plan differs.

Two levels:

- default: the product's split (``split_audio_file``), then one request per chunk through the OpenAI
  engine and SDK, ``transcribe_chunks`` at concurrency 10. This is how engines that keep their own
  times are called (the diarizing model, Amazon Transcribe, the offline engine).
- ``--workflow`` also: the whole local workflow (template state machine on moto, handlers
  in-process), upload event to finished execution. Text-only answers are then requested per speech
  piece (at most 30 s, 4 in flight per chunk), so a chunk is already several requests; on a shared
  2-core machine the per-piece work (speech detection, cutting, the stand-in's ffprobe) dominates.

Reported per run: requests, wall time, the sum of the API request times and its ratio to the wall
time (how much ran in parallel), and the speed-up against the byte-only plan in the same run.

Run: PYTHONPATH=tests:bench .venv/bin/python bench/bench_time_to_transcript.py
[--minutes 60] [--targets 180 360 600] [--workflow]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench_jobs import openai_workflow, timed_job
from mediascribe.config import Settings
from mediascribe.local.postgres import LocalPostgres
from mediascribe.media.split import split_audio_file
from mediascribe.transcription import transcribe_chunks
from mediascribe.transcription.openai_engine import OpenAIEngine
from mediascribe.workspace import job_workspace
from results_file import write_section
from support.fake_openai import FakeTranscriptionServer
from support.media_factory import make_speech_like

MAP_CONCURRENCY = 10
MODEL = "whisper-1"
# Larger than any recording mediascribe accepts: the target never decides, bytes do.
BYTES_ONLY_TARGET = 10 * 24 * 3600
BENCH_JOB = "00000000-0000-4000-8000-0000000000aa"


@dataclass(frozen=True)
class Run:
    plan: str
    requests: int
    wall: float
    request_sum: float


def plan_name(target: float) -> str:
    return "bytes only" if target == BYTES_ONLY_TARGET else f"target {target:g} s"


def checked_run(fake: FakeTranscriptionServer, target: float, wall: float) -> Run:
    if set(fake.statuses) != {200}:
        raise RuntimeError(f"the stand-in refused requests: {sorted(set(fake.statuses))}")
    return Run(plan_name(target), fake.request_count, wall, sum(fake.request_seconds))


def run_chunks(media: Path, latency: float, target: float) -> Run:
    """Split with the product's planner, then one request per chunk at concurrency 10."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-ttt-") as work,
        FakeTranscriptionServer(latency_per_audio_second=latency) as fake,
    ):
        settings = Settings(temp_dir=Path(work), chunk_target_seconds=target)
        engine = OpenAIEngine(api_key="sk-bench", model=MODEL, base_url=fake.base_url, max_retries=0)
        started = time.perf_counter()
        with job_workspace(settings.temp_dir, BENCH_JOB):
            chunks = asyncio.run(
                split_audio_file(
                    media, settings.max_chunk_size_bytes, media.name, BENCH_JOB, settings=settings
                )
            )
            asyncio.run(transcribe_chunks(engine, chunks, MAP_CONCURRENCY))
        return checked_run(fake, target, time.perf_counter() - started)


def run_workflow(media: Path, database_url: str, latency: float, target: float) -> Run:
    """The whole local workflow, upload event to finished execution."""
    with FakeTranscriptionServer(latency_per_audio_second=latency) as fake:
        environment = {"TRANSCRIPTION_MODEL": MODEL, "CHUNK_TARGET_SECONDS": f"{target:g}"}
        with openai_workflow(
            database_url, fake, concurrency=MAP_CONCURRENCY, environment=environment
        ) as workflow:
            _, wall = timed_job(workflow, media, f"uploads/ttt-{target:g}/{media.name}")
        return checked_run(fake, target, wall)


def table(runs: list[Run]) -> str:
    baseline = runs[0].wall
    lines = [
        "| plan | requests | wall | sum of request times | sum / wall | speed-up |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run.plan} | {run.requests} | {run.wall:.1f} s | {run.request_sum:.1f} s "
            f"| {run.request_sum / run.wall:.2f} | {baseline / run.wall:.2f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per second of audio")
    parser.add_argument("--targets", type=float, nargs="+", default=[180.0, 360.0, 600.0])
    parser.add_argument("--workflow", action="store_true", help="also run the whole local workflow")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    plans = [BYTES_ONLY_TARGET, *args.targets]
    with tempfile.TemporaryDirectory(prefix="bench-ttt-media-") as scratch:
        media = make_speech_like(
            Path(scratch) / "podcast.mp3", args.minutes * 60, bitrate="64k", channels=1, sample_rate=22050
        )
        runs = []
        for target in plans:
            runs.append(run_chunks(media, args.latency, target))
            print(runs[-1], flush=True)
        body = (
            f"Input: generated speech-like mp3, {args.minutes:g} min, 64 kbit/s mono. The API stand-in "
            f"answers after {args.latency:g} s per second of uploaded audio; concurrency {MAP_CONCURRENCY}; "
            f"{MODEL} for every plan; default `CHUNK_TARGET_SECONDS` {Settings().chunk_target_seconds:g}.\n\n"
            "### Split, then one request per chunk\n\n" + table(runs)
        )
        if args.workflow:
            with LocalPostgres() as database:
                flows = []
                for target in plans:
                    flows.append(run_workflow(media, database.dsn, args.latency, target))
                    print(flows[-1], flush=True)
            body += "\n\n### Whole local workflow (upload event to finished execution)\n\n" + table(flows)
    command = "PYTHONPATH=tests:bench .venv/bin/python bench/bench_time_to_transcript.py"
    command += f" --minutes {args.minutes:g} --latency {args.latency:g}"
    command += " --targets " + " ".join(f"{t:g}" for t in args.targets)
    command += " --workflow" if args.workflow else ""
    write_section("Time to transcript: byte-only against duration-aware chunk plans", body, command)
    print(body)


if __name__ == "__main__":
    main()
