"""Time to transcript of a long recording through the whole local workflow, with where the time goes.

A generated speech-like recording goes through the template's state machine on moto (handlers
in-process), upload event to finished execution, with the OpenAI engine pointed at the API stand-in,
whose latency grows with the audio of each request (``--latency`` seconds per audio second), and the
Map's MaxConcurrency 10. A text-only model (whisper-1) gets speech pieces of at most 30 s, several
in flight per chunk, so a chunk is several requests.

The figure is the sum of the stand-in's request times over the wall time: how much of the API's own
work ran at once (the API's latency is the floor of any plan; the rest is overhead on top of it).

The breakdown times each phase where it runs, by wrapping the functions that do it:

- steps: the wall time of each Lambda step (first start to last end), and the orchestration left
  between them (the local Step Functions interpreter, polling);
- inside the chunk steps, summed over chunks (they overlap): speech detection, piece cutting, the
  client's request time, and the local run's own services (moto S3 calls, PostgreSQL transactions),
  which a deployment replaces with S3 and the Data API;
- the split (in the prepare step) and the assembly (in the finalize step).

Run: PYTHONPATH=tests:bench .venv/bin/python bench/bench_time_to_transcript.py
[--minutes 64] [--latency 0.1] [--repeats 2]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_jobs import openai_workflow, timed_job
from mediascribe.jobs.database import Database
from mediascribe.local.postgres import LocalPostgres
from mediascribe.local.workflow import LocalWorkflow
from mediascribe.storage.objects import MediaStore
from mediascribe.transcription import runner
from mediascribe.transcription.openai_engine import OpenAIEngine
from mediascribe.workflow import finalize, prepare
from results_file import write_section
from support.fake_openai import FakeTranscriptionServer
from support.media_factory import make_speech_like

MAP_CONCURRENCY = 10
MODEL = "whisper-1"
SECTION = "Time to transcript"
# The local run's own S3 (moto) is timed per method of the store.
STORE_METHODS = ("exists", "download", "upload_file", "put_text", "put_json", "delete_prefix", "get_json")
# The functions timed: (phase, module or class, attribute).
PHASES: list[tuple[str, Any, str]] = [
    ("split (prepare step)", prepare, "split_audio_file"),
    ("speech detection", runner, "detect_speech"),
    ("piece cutting", runner, "cut_pieces"),
    ("requests (client side)", OpenAIEngine, "transcribe_file"),
    ("assembly (finalize step)", finalize, "assemble_transcript"),
    ("local PostgreSQL transactions", Database, "run"),
    *(("local moto S3 calls", MediaStore, name) for name in STORE_METHODS),
]
PHASE_NAMES = list(dict.fromkeys(phase for phase, _, _ in PHASES))


class PhaseClock:
    """Seconds spent inside each phase, summed over every call (calls in parallel add up)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def timed(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        if getattr(function, "__code__", None) and function.__code__.co_flags & 0x80:  # a coroutine
            return self._timed_coroutine(phase, function)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self._add(phase, time.perf_counter() - started)

        return wrapper

    def _timed_coroutine(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                self._add(phase, time.perf_counter() - started)

        return wrapper

    def _add(self, phase: str, seconds: float) -> None:
        with self._lock:
            self.seconds[phase] += seconds
            self.calls[phase] += 1


@contextmanager
def phases_timed(clock: PhaseClock) -> Iterator[None]:
    """Wrap every phase's function for the block, and put the originals back after it."""
    with ExitStack() as stack:
        for phase, owner, name in PHASES:
            original = getattr(owner, name)
            setattr(owner, name, clock.timed(phase, original))
            stack.callback(setattr, owner, name, original)
        yield


@dataclass(frozen=True)
class Run:
    requests: int
    audio_sent: float
    request_sum: float
    wall: float
    steps: dict[str, float]
    orchestration: float
    phases: dict[str, float]

    @property
    def ratio(self) -> float:
        return self.request_sum / self.wall


def step_spans(workflow: LocalWorkflow) -> tuple[dict[str, float], float]:
    """Each step's span (first start to last end) and the time inside no step at all."""
    spans: dict[str, tuple[float, float]] = {}
    intervals = []
    for record in workflow.invocations.records:
        start, end = record["started"], record["started"] + record["seconds"]
        first, last = spans.get(record["function"], (start, end))
        spans[record["function"]] = (min(first, start), max(last, end))
        intervals.append((start, end))
    covered, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        covered += max(0.0, end - max(start, reach))
        reach = max(reach, end)
    return {name: last - first for name, (first, last) in spans.items()}, covered


def run_once(media: Path, database_url: str, latency: float) -> Run:
    clock = PhaseClock()
    with FakeTranscriptionServer(latency_per_audio_second=latency) as fake:
        environment = {"TRANSCRIPTION_MODEL": MODEL}
        with (
            openai_workflow(database_url, fake, concurrency=MAP_CONCURRENCY, environment=environment) as flow,
            phases_timed(clock),
        ):
            _, wall = timed_job(flow, media, f"uploads/ttt/{time.monotonic_ns()}/{media.name}")
            steps, covered = step_spans(flow)
        if set(fake.statuses) != {200}:
            raise RuntimeError(f"the stand-in refused requests: {sorted(set(fake.statuses))}")
        audio = sum(request.audio_seconds or 0.0 for request in fake.requests)
        return Run(
            fake.request_count,
            audio,
            sum(fake.request_seconds),
            wall,
            steps,
            wall - covered,
            dict(clock.seconds),
        )


def report(runs: list[Run]) -> str:
    median = statistics.median
    lines = [
        "| run | requests | audio sent | sum of request times | wall | sum / wall |",
        "|---|---|---|---|---|---|",
    ]
    for number, run in enumerate(runs, 1):
        lines.append(
            f"| {number} | {run.requests} | {run.audio_sent:.0f} s | {run.request_sum:.1f} s "
            f"| {run.wall:.1f} s | {run.ratio:.1f}x |"
        )
    lines += ["", "Wall time of each step (first start to last end), median of the runs:", ""]
    lines += ["| step | seconds |", "|---|---|"]
    for name in runs[0].steps:
        lines.append(f"| {name} | {median(run.steps.get(name, 0.0) for run in runs):.2f} |")
    lines.append(f"| orchestration (in no step) | {median(run.orchestration for run in runs):.2f} |")
    lines += ["", "Time inside each phase, summed over calls (chunks overlap), median of the runs:", ""]
    lines += ["| phase | seconds |", "|---|---|"]
    for phase in PHASE_NAMES:
        lines.append(f"| {phase} | {median(run.phases.get(phase, 0.0) for run in runs):.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=64.0)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per second of audio")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-ttt-media-") as scratch, LocalPostgres() as database:
        media = make_speech_like(
            Path(scratch) / "podcast.mp3", args.minutes * 60, bitrate="64k", channels=1, sample_rate=22050
        )
        runs = []
        for _ in range(args.repeats):
            runs.append(run_once(media, database.dsn, args.latency))
            print(runs[-1], flush=True)
    load_after = os.getloadavg()
    body = (
        f"Input: generated speech-like mp3, {args.minutes:g} min, 64 kbit/s mono, through the whole "
        f"local workflow. The API stand-in answers after {args.latency:g} s per second of uploaded "
        f"audio; MaxConcurrency {MAP_CONCURRENCY}; {MODEL} (speech pieces of at most 30 s).\n\n"
        + report(runs)
        + f"\n\nLoad average {load_before[0]:.1f} before, {load_after[0]:.1f} after (1 min), on a "
        "2-core machine shared with other work: the ratio moves with the load."
    )
    command = "PYTHONPATH=tests:bench .venv/bin/python bench/bench_time_to_transcript.py"
    command += f" --minutes {args.minutes:g} --latency {args.latency:g} --repeats {args.repeats}"
    write_section(SECTION, body, command)
    print(body)


if __name__ == "__main__":
    main()
