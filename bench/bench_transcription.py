"""Transcription benchmarks: parallel chunk fan-out against a fixed-latency API, and the offline engine.

1. The fake transcription server answers every request after a fixed latency L. N chunks are sent at
   concurrency N and at concurrency 1 through the real OpenAI engine; wall time is reported in units
   of L (the goal: about 1 L in parallel, N L sequentially).
2. The offline engine (faster-whisper tiny.en, CPU int8): model load time, and the real-time factor
   (processing seconds per second of audio) on samples/speech-sample.mp3, plus its WER.

Run: PYTHONPATH=tests:bench .venv/bin/python bench/bench_transcription.py [--latency 0.5] [--chunks 8]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from pathlib import Path

import jiwer

from mediascribe.media.chunks import AudioChunk, chunk_name
from mediascribe.transcription import transcribe_chunks
from mediascribe.transcription.local_engine import LocalWhisperEngine
from mediascribe.transcription.local_model import load_model, packaged_model
from mediascribe.transcription.openai_engine import OpenAIEngine
from results_file import write_section
from support.fake_openai import FakeTranscriptionServer

ROOT = Path(__file__).resolve().parents[1]

SAMPLE = ROOT / "samples" / "speech-sample.mp3"
REFERENCE = ROOT / "samples" / "speech-sample.txt"


def fake_chunks(directory: Path, count: int) -> list[AudioChunk]:
    chunks = []
    for index in range(count):
        path = directory / chunk_name("bench", index)
        path.write_bytes(b"ID3\x04\x00" + bytes(64 * 1024))
        chunks.append(AudioChunk(index, path, path.name, path.stat().st_size, index * 600.0, 600.0))
    return chunks


async def timed_fan_out(
    base_url: str, chunks: list[AudioChunk], concurrency: int, repeats: int
) -> list[float]:
    """Wall times of ``repeats`` runs with one engine, so later runs reuse the open connections."""
    engine = OpenAIEngine(api_key="bench", base_url=base_url, max_retries=0)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        results = await transcribe_chunks(engine, chunks, max_concurrency=concurrency)
        times.append(time.perf_counter() - started)
        assert [r.index for r in results] == [c.index for c in chunks]
    return times


def bench_fan_out(latency: float, count: int, repeats: int) -> tuple[str, float]:
    with tempfile.TemporaryDirectory() as scratch, FakeTranscriptionServer(latency=latency) as server:
        chunks = fake_chunks(Path(scratch), count)
        parallel = asyncio.run(timed_fan_out(server.base_url, chunks, count, repeats))
        in_flight = server.max_in_flight
        sequential = asyncio.run(timed_fan_out(server.base_url, chunks, 1, repeats))
    rows = ["| run | first (s) | median (s) | best (s) | best / L |", "|---|---:|---:|---:|---:|"]
    for label, times in ((f"concurrency {count}", parallel), ("concurrency 1", sequential)):
        rows.append(
            f"| {count} chunks, {label} | {times[0]:.2f} | {statistics.median(times):.2f} "
            f"| {min(times):.2f} | {min(times) / latency:.2f} |"
        )
    ratio = min(parallel) / latency
    verdict = "met" if ratio <= 1.5 else "NOT met"
    body = (
        f"### Parallel chunk transcription (fake API, fixed latency L = {latency} s per request)\n\n"
        + "\n".join(rows)
        + f"\n\n{repeats} runs each; the first opens the connections. Speed-up (best vs best) "
        f"{min(sequential) / min(parallel):.1f}x; the server saw {in_flight} requests in flight at once. "
        f"Target, concurrency >= N within 1.5 L: {verdict} ({ratio:.2f} L).\n"
    )
    return body, ratio


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9' ]", " ", text.lower())).strip()


def bench_offline() -> str:
    path, name = packaged_model()
    started = time.perf_counter()
    load_model(path)
    load_seconds = time.perf_counter() - started
    engine = LocalWhisperEngine(model_path=path)
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        result = asyncio.run(engine.transcribe_file(SAMPLE))
        runs.append(time.perf_counter() - started)
    audio = result.duration_seconds or 0.0
    best = min(runs)
    all_runs = ", ".join(f"{r:.2f}" for r in runs)
    wer = jiwer.wer(normalise(REFERENCE.read_text()), normalise(result.text))
    return (
        f"### Offline engine (faster-whisper {name}, CPU int8) on samples/speech-sample.mp3\n\n"
        "| measure | value |\n|---|---:|\n"
        f"| model load (first, per process) | {load_seconds:.2f} s |\n"
        f"| audio duration | {audio:.2f} s |\n"
        f"| transcription time, best of {len(runs)} ({all_runs}) | {best:.2f} s |\n"
        f"| real-time factor (processing / audio, best) | {best / audio:.3f} |\n"
        f"| WER against the known text | {wer:.1%} |\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--chunks", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    fan_out, ratio = bench_fan_out(args.latency, args.chunks, args.repeats)
    offline = bench_offline()
    print(fan_out, offline, sep="\n")
    command = "PYTHONPATH=tests:bench .venv/bin/python bench/bench_transcription.py"
    if (args.latency, args.chunks) != (0.5, 8):
        command += f" --latency {args.latency} --chunks {args.chunks}"
    write_section("Transcription", fan_out + "\n" + offline, command)
    print(f"parallel wall time / L = {ratio:.2f}")


if __name__ == "__main__":
    main()
