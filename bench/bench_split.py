"""Benchmark: split_audio_file against the common pydub approach on long generated mp3 files.

Each measurement runs in its own child process (``--worker``), which reports the wall time of the
operation alone and its peak RSS from ``resource.getrusage``: RUSAGE_SELF for the Python process and
RUSAGE_CHILDREN for the ffmpeg processes it waited for. The larger of the two is reported. They are not
added: Linux carries the spawning process's high-water mark across exec into the child's ru_maxrss, so
a child's figure already includes the Python process's size at the moment it was started.

Run: PYTHONPATH=tests:bench .venv/bin/python bench/bench_split.py
(about 5 minutes on 2 cores; --minutes to scale down)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from mediascribe.config import DEFAULT_MAX_CHUNK_SIZE_BYTES, Settings
from mediascribe.media.split import split_audio_file
from mediascribe.workspace import job_workspace
from results_file import write_section
from support.media_factory import ffmpeg_path, make_speech_like

ROOT = Path(__file__).resolve().parent.parent

MIB = 1024 * 1024


def peak_rss_mib() -> tuple[float, float]:
    """(this process, largest waited-for child) peak RSS in MiB; Linux reports kilobytes."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def cpu_seconds() -> float:
    """CPU time used so far by this process and the children it waited for (user + system)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def work_split(source: Path, limit: int, temp_dir: Path) -> int:
    settings = Settings(temp_dir=temp_dir)
    job_id = str(uuid.uuid4())

    async def run() -> int:
        with job_workspace(temp_dir, job_id):
            chunks = await split_audio_file(source, limit, "bench", job_id, settings=settings)
            return len(chunks)

    return asyncio.run(run())


def work_pydub(source: Path, limit: int, temp_dir: Path) -> int:
    """The usual approach: decode everything, slice by nominal duration, re-encode every slice."""
    from pydub import AudioSegment

    audio = AudioSegment.from_file(source)
    pieces = math.ceil(source.stat().st_size / (limit * 0.95))
    length_ms = math.ceil(len(audio) / pieces)
    for index, start in enumerate(range(0, len(audio), length_ms)):
        audio[start : start + length_ms].export(temp_dir / f"piece-{index}.mp3", format="mp3", bitrate="128k")
    return pieces


WORKERS = {"split": work_split, "pydub": work_pydub}


def worker_main(mode: str, source: Path, limit: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-split-") as temp:
        started, cpu_before = time.perf_counter(), cpu_seconds()
        chunks = WORKERS[mode](source, limit, Path(temp))
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_before
    own, children = peak_rss_mib()
    result = {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "chunks": chunks,
        "own_mib": own,
        "children_mib": children,
    }
    print(json.dumps(result))


def measure(mode: str, source: Path, limit: int) -> dict:
    env = dict(os.environ)
    if mode == "pydub":
        # pydub finds ffmpeg on PATH only; give this child alone the static build.
        env["PATH"] = f"{Path(ffmpeg_path()).parent}{os.pathsep}{env.get('PATH', '')}"
    argv = [sys.executable, __file__, "--worker", mode, "--source", str(source), "--limit", str(limit)]
    output = subprocess.run(argv, check=True, capture_output=True, text=True, env=env).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_mib"] = max(result["own_mib"], result["children_mib"])
    print(f"{mode:5} {source.name} limit={limit / MIB:.0f} MiB: {result}", file=sys.stderr)
    return result


def generated(cache: Path, minutes: int) -> Path:
    path = cache / f"speech-like-{minutes}min-128k.mp3"
    if not path.exists():
        make_speech_like(path.with_suffix(".part"), minutes * 60)
        path.with_suffix(".part").rename(path)
    return path


def row(label: str, split: dict, pydub: dict | None) -> str:
    ours = describe(split)
    if pydub is None:
        return f"| {label} | {ours} | - | - | - | - |"
    wall = pydub["seconds"] / split["seconds"]
    cpu = pydub["cpu_seconds"] / split["cpu_seconds"]
    memory = pydub["peak_mib"] / split["peak_mib"]
    return f"| {label} | {ours} | {describe(pydub)} | {wall:.0f}x | {cpu:.0f}x | 1/{memory:.0f} |"


def describe(result: dict) -> str:
    return (
        f"{result['seconds']:.2f} s wall, {result['cpu_seconds']:.2f} s CPU, "
        f"{result['peak_mib']:.0f} MiB, {result['chunks']} chunks"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--short-minutes", type=int, default=30)
    parser.add_argument("--small-limit-mib", type=int, default=10)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "mediascribe-bench")
    parser.add_argument("--worker", choices=sorted(WORKERS))
    parser.add_argument("--source", type=Path)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker, args.source, args.limit)
        return

    args.cache.mkdir(parents=True, exist_ok=True)
    long_file = generated(args.cache, args.minutes)
    short_file = generated(args.cache, args.short_minutes)
    small = args.small_limit_mib * MIB
    default_label = f"{DEFAULT_MAX_CHUNK_SIZE_BYTES // MIB} MiB"
    runs = [
        (f"{args.minutes} min, {default_label} limit", long_file, DEFAULT_MAX_CHUNK_SIZE_BYTES, True),
        (f"{args.minutes} min, {args.small_limit_mib} MiB limit", long_file, small, True),
        (f"{args.short_minutes} min, {default_label} limit", short_file, DEFAULT_MAX_CHUNK_SIZE_BYTES, False),
    ]
    lines = [
        f"Input: generated speech-like mp3 (tone bursts with 0.5 s pauses), 128 kbit/s stereo 44.1 kHz; "
        f"{args.minutes} min = {long_file.stat().st_size / MIB:.1f} MiB, "
        f"{args.short_minutes} min = {short_file.stat().st_size / MIB:.1f} MiB.",
        "Baseline: pydub decodes the whole file, slices by duration and re-encodes each slice at 128k.",
        "Peak memory = the larger of RUSAGE_SELF and RUSAGE_CHILDREN ru_maxrss, read in a fresh child "
        "process per run (Python and the ffmpeg processes it waited for; Linux carries the parent's "
        "high-water mark into a spawned child, so the two are not added).",
        "",
        "| run | split_audio_file | pydub baseline | faster (wall) | faster (CPU) | memory vs baseline |",
        "|---|---|---|---|---|---|",
    ]
    splits = {}
    for label, source, limit, with_baseline in runs:
        splits[label] = measure("split", source, limit)
        baseline = measure("pydub", source, limit) if with_baseline else None
        lines.append(row(label, splits[label], baseline))
    long_peak, short_peak = (splits[runs[0][0]]["peak_mib"], splits[runs[2][0]]["peak_mib"])
    lines += [
        "",
        f"Memory against length: {long_peak:.0f} MiB for {args.minutes} min vs {short_peak:.0f} MiB "
        f"for {args.short_minutes} min (ratio {long_peak / short_peak:.2f}); ffmpeg streams the file, "
        "so the peak does not grow with the recording's length.",
        "Targets: at least 20x faster and at most 1/8 of the baseline's peak memory. The machine's two "
        "cores are shared with other work, so wall times are noisy; CPU time (user + system of the "
        "worker and its ffmpeg children, from getrusage) is the steadier comparison.",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("Media split", body, "PYTHONPATH=tests:bench .venv/bin/python bench/bench_split.py")


if __name__ == "__main__":
    main()
