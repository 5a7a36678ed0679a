"""Time to transcript of a long recording: chunks planned by bytes only against the duration-aware plan.

One run of the local workflow (the template's state machine on moto, handlers in-process) per plan,
against the API stand-in whose latency grows with the audio of each request (0.05 s per audio
second by default), at MaxConcurrency 10. The byte-only plan is today's behaviour: chunks as large
as 24 MiB allow (about 52 minutes at 64 kbit/s), which only whisper-1 accepts; it is measured with
whisper-1, and so is each chunk target, so only the plan differs. The default model
(gpt-transcribe, capped at 1400 s) is measured at the default target too.

Reported per run: chunks, wall time from the upload event to the finished execution, the sum of the
API request times and its ratio to the wall time (how much of the work ran in parallel), and the
speed-up against the byte-only plan.

Run: PYTHONPATH=tests:bench .venv/bin/python bench/bench_time_to_transcript.py
[--minutes 60] [--targets 120 300 600]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mediascribe.config import Settings
from mediascribe.local.postgres import LocalPostgres
from mediascribe.local.workflow import LocalOptions, LocalWorkflow
from results_file import write_section
from support.fake_openai import FakeTranscriptionServer
from support.media_factory import make_speech_like

ROOT = Path(__file__).resolve().parents[1]

TEMPLATE = ROOT / "template.yaml"
MAP_CONCURRENCY = 10
# Larger than any recording mediascribe accepts: the target never decides, bytes do.
BYTES_ONLY_TARGET = 10 * 24 * 3600


@dataclass(frozen=True)
class Run:
    plan: str
    model: str
    chunks: int
    wall: float
    request_sum: float


def run_job(media: Path, database_url: str, latency: float, model: str, target: float) -> Run:
    with (
        tempfile.TemporaryDirectory(prefix="bench-ttt-") as work,
        FakeTranscriptionServer(latency_per_audio_second=latency) as fake,
    ):
        options = LocalOptions(
            database_url=database_url,
            temp_dir=Path(work),
            map_max_concurrency=MAP_CONCURRENCY,
            environment={
                "TRANSCRIPTION_ENGINE": "openai",
                "OPENAI_API_KEY": "sk-bench",
                "OPENAI_BASE_URL": fake.base_url,
                "TRANSCRIPTION_MODEL": model,
                "CHUNK_TARGET_SECONDS": f"{target:g}",
            },
        )
        with LocalWorkflow(TEMPLATE, options) as workflow:
            key = workflow.upload(media, f"uploads/ttt-{model}-{target:g}/{media.name}")
            started = time.perf_counter()
            job_id = workflow.deliver_upload_event(key)["jobs"][0]["job_id"]
            outcome = workflow.wait(workflow.execution_arn(job_id), poll_seconds=0.05)
            wall = time.perf_counter() - started
        if outcome.status != "SUCCEEDED":
            raise RuntimeError(f"benchmark job ended {outcome.status}: {outcome.cause}")
        refused = [r for r in fake.requests if r.audio_seconds is None]
        if refused:
            raise RuntimeError("the stand-in received requests without audio")
        plan = "bytes only" if target == BYTES_ONLY_TARGET else f"target {target:g} s"
        return Run(plan, model, len(fake.requests), wall, sum(fake.request_seconds))


def table(runs: list[Run]) -> str:
    baseline = runs[0].wall
    lines = [
        "| plan | model | requests | wall (upload → transcript) | sum of request times "
        "| sum / wall | speed-up |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run.plan} | {run.model} | {run.chunks} | {run.wall:.1f} s | {run.request_sum:.1f} s "
            f"| {run.request_sum / run.wall:.2f} | {baseline / run.wall:.2f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per second of audio")
    parser.add_argument("--targets", type=float, nargs="+", default=[120.0, 300.0, 600.0])
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    default_target = Settings().chunk_target_seconds
    with tempfile.TemporaryDirectory(prefix="bench-ttt-media-") as scratch, LocalPostgres() as database:
        media = make_speech_like(
            Path(scratch) / "podcast.mp3", args.minutes * 60, bitrate="64k", channels=1, sample_rate=22050
        )
        runs = [run_job(media, database.dsn, args.latency, "whisper-1", BYTES_ONLY_TARGET)]
        print(runs[-1], flush=True)
        for target in args.targets:
            runs.append(run_job(media, database.dsn, args.latency, "whisper-1", target))
            print(runs[-1], flush=True)
        runs.append(run_job(media, database.dsn, args.latency, "gpt-transcribe", default_target))
        print(runs[-1], flush=True)
    body = (
        f"Input: generated speech-like mp3, {args.minutes:g} min, 64 kbit/s mono. The API stand-in answers "
        f"after {args.latency:g} s per second of uploaded audio; MaxConcurrency {MAP_CONCURRENCY}. "
        f"Default `CHUNK_TARGET_SECONDS`: {default_target:g}. Speed-up is against the byte-only plan "
        "in the same run.\n\n" + table(runs)
    )
    command = "PYTHONPATH=tests:bench .venv/bin/python bench/bench_time_to_transcript.py"
    command += f" --minutes {args.minutes:g} --latency {args.latency:g}"
    command += " --targets " + " ".join(f"{t:g}" for t in args.targets)
    write_section("Time to transcript: byte-only against duration-aware chunk plans", body, command)
    print(table(runs))


if __name__ == "__main__":
    main()
