"""Benchmark: how long `mediascribe transcribe` takes before any work, and what each extra file costs.

A skipped text file does no media work, so its end-to-end time is the local workflow's own cost. The
CLI runs as a child process (as a person runs it) against a PostgreSQL server already running
(``DATABASE_URL`` set), and reports when each stage ended:

- start: interpreter start and the command's imports;
- setup: moto, the bucket, the functions and the state machine (``LocalWorkflow`` entered);
- job: upload, S3 event, execution, status (the job's own time);
- teardown: leaving the workflow and printing the result;
- exit: the interpreter's shutdown.

The baseline is the same command with the start-up work done as before, in the same run: all
handler modules imported up front, moto's EC2 models imported through moto.batch, and the
interpreter's final collection over every object. Batches: the same command on 1 and on 6 text
files; the difference divided by 5 is what each file after the first adds.

Run: PYTHONPATH=tests:bench .venv/bin/python bench/bench_local_run.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from mediascribe.local.postgres import LocalPostgres
from results_file import write_section

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("start", "setup", "job", "teardown", "exit")

# Runs the CLI in the child, noting when each stage ends; BASELINE switches the start-up work back.
CHILD = """
import json, os, sys, time
marks = {}
from mediascribe.local import workflow, lambda_bridge
if os.environ.get("BENCH_BASELINE") == "1":
    import gc
    workflow.defer_moto_batch = lambda: None
    class Eager(dict):
        def __init__(self, specs):
            super().__init__()
            self.specs = specs
        def __missing__(self, name):
            self.update({n: lambda_bridge.load_handler(s) for n, s in self.specs.items() if n not in self})
            return dict.__getitem__(self, name)
    workflow.LazyHandlers = Eager
    gc.freeze = lambda: None
enter, leave = workflow.LocalWorkflow.__enter__, workflow.LocalWorkflow.__exit__
def entered(self):
    result = enter(self)
    marks["setup"] = time.time()
    return result
def left(self, *exc):
    marks["job"] = time.time()
    return leave(self, *exc)
workflow.LocalWorkflow.__enter__, workflow.LocalWorkflow.__exit__ = entered, left
from mediascribe.cli import main
marks["imported"] = time.time()
code = main(["transcribe", *sys.argv[2:]])
marks["teardown"] = time.time()
with open(sys.argv[1], "w") as out:
    json.dump({"marks": marks, "code": code}, out)
"""


def run_cli(files: list[Path], *, database_url: str, baseline: bool) -> dict[str, float]:
    """Seconds per stage and in total for one run of the command on ``files``."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        env = {**os.environ, "DATABASE_URL": database_url, "BENCH_BASELINE": "1" if baseline else "0"}
        env.pop("OPENAI_API_KEY", None)
        cpu_before = _children_cpu()
        spawned = time.time()
        subprocess.run(
            [sys.executable, "-c", CHILD, report.name, *map(str, files)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        ended = time.time()
        cpu = _children_cpu() - cpu_before
        marks = json.loads(Path(report.name).read_text())["marks"]
    times = {
        "start": marks["imported"] - spawned,
        "setup": marks["setup"] - marks["imported"],
        "job": marks["job"] - marks["setup"],
        "teardown": marks["teardown"] - marks["job"],
        "exit": ended - marks["teardown"],
    }
    times["total"] = ended - spawned
    times["cpu"] = cpu
    return times


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def text_files(folder: Path, count: int) -> list[Path]:
    """Fresh text files: new content each time, so a persistent database never finds a finished job."""
    files = []
    folder.mkdir(exist_ok=True)
    for index in range(count):
        path = folder / f"notes-{index}.txt"
        path.write_text(f"Meeting notes {uuid.uuid4()}\nNothing to hear here.\n", encoding="utf-8")
        files.append(path)
    return files


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} (1 min), {five:.1f} (5 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    load_before = load()
    with tempfile.TemporaryDirectory(prefix="bench-local-run-") as scratch, LocalPostgres() as database:
        folder = Path(scratch)
        current, baseline, batch_one, batch_six = [], [], [], []
        for _ in range(args.repeat):
            # Interleaved, so both see the same load on a shared machine.
            baseline.append(run_cli(text_files(folder / "b", 1), database_url=database.dsn, baseline=True))
            current.append(run_cli(text_files(folder / "c", 1), database_url=database.dsn, baseline=False))
            batch_one.append(
                run_cli(text_files(folder / "one", 1), database_url=database.dsn, baseline=False)
            )
            batch_six.append(
                run_cli(text_files(folder / "six", 6), database_url=database.dsn, baseline=False)
            )
    load_after = load()

    rows = [
        f"| {stage} | {median(baseline, stage):.2f} | {median(current, stage):.2f} | "
        f"{median(baseline, stage) / max(median(current, stage), 1e-3):.1f}x |"
        for stage in (*STAGES, "total", "cpu")
    ]
    per_file = (median(batch_six, "total") - median(batch_one, "total")) / 5
    per_file_cpu = (median(batch_six, "cpu") - median(batch_one, "cpu")) / 5
    body = "\n".join(
        [
            "`mediascribe transcribe notes.txt` (a skipped text file) with `DATABASE_URL` set to a running "
            f"server; medians of {args.repeat} interleaved runs, in seconds.",
            "",
            "| stage | before (baseline) | now | faster |",
            "|---|---|---|---|",
            *rows,
            "",
            "`cpu` is the command's CPU time (user + system), which depends less on the machine's load than "
            "wall time: on an idle machine the command takes about that long.",
            "",
            f"Batch: 1 file {median(batch_one, 'cpu'):.2f} s of CPU "
            f"({median(batch_one, 'total'):.2f} s wall), "
            f"6 files in one run {median(batch_six, 'cpu'):.2f} s of CPU ({median(batch_six, 'total'):.2f} s "
            f"wall): each file after the first adds {per_file_cpu:.2f} s of CPU ({per_file:.2f} s wall; "
            "a wall difference near zero or below it is the load's noise).",
            "",
            f"Load average {load_before} before, {load_after} after, on a machine shared with other work: "
            "the absolute seconds move with the load; the ratios are the steadier figure.",
        ]
    )
    print(body)
    if not args.no_write:
        write_section("Local run", body, "PYTHONPATH=tests:bench .venv/bin/python bench/bench_local_run.py")


if __name__ == "__main__":
    main()
