"""What splitting costs in accuracy: WER of the offline engine per chunk target against the unsplit file.

Each file is transcribed once whole and once per chunk target. A split is the product's own
(``split_audio_file`` with ``CHUNK_TARGET_SECONDS`` set, cuts in silences); the chunks' texts are
joined in order as the finalize step joins them. Files: ``samples/speech-sample.mp3`` (shorter than
any target, so it stays one chunk) and generated espeak-ng speech of the given lengths (two voices
taking turns, 1 s pauses) whose reference text is known.

Run: PYTHONPATH=tests:bench .venv/bin/python bench/bench_chunk_wer.py
[--minutes 10 30] [--targets 120 300 600]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import jiwer

from mediascribe.config import Settings
from mediascribe.media.split import split_audio_file
from mediascribe.transcription.local_engine import LocalWhisperEngine
from mediascribe.workspace import job_workspace
from results_file import write_section
from support.speech_factory import conversation, make_speech

ROOT = Path(__file__).resolve().parents[1]

SAMPLE = ROOT / "samples" / "speech-sample.mp3"
REFERENCE = ROOT / "samples" / "speech-sample.txt"
SECONDS_PER_LINE = 3.95  # one generated sentence at 160 words per minute plus its pause


@dataclass(frozen=True)
class Row:
    name: str
    audio_seconds: float
    target: str
    chunks: int
    wer: float
    seconds: float


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9' ]", " ", text.lower())).strip()


async def transcribe_split(
    engine: LocalWhisperEngine, source: Path, target: float, scratch: Path
) -> tuple[str, int, float]:
    settings = Settings(temp_dir=scratch, transcription_engine="local", chunk_target_seconds=target)
    job_id = str(uuid.uuid4())
    with job_workspace(settings.temp_dir, job_id):
        chunks = await split_audio_file(
            source, settings.max_chunk_size_bytes, source.name, job_id, settings=settings
        )
        texts = [(await engine.transcribe_file(chunk.path)).text for chunk in chunks]
    return " ".join(t for t in texts if t), len(chunks), sum(c.duration_seconds for c in chunks)


def measure(
    engine: LocalWhisperEngine, name: str, source: Path, reference: str, targets: list[float]
) -> list[Row]:
    rows = []
    started = time.perf_counter()
    whole = asyncio.run(engine.transcribe_file(source))
    duration = whole.duration_seconds or 0.0
    rows.append(
        Row(
            name,
            duration,
            "unsplit",
            1,
            jiwer.wer(reference, normalise(whole.text)),
            time.perf_counter() - started,
        )
    )
    print(rows[-1], flush=True)
    for target in targets:
        with tempfile.TemporaryDirectory(prefix="wer-") as scratch:
            started = time.perf_counter()
            text, count, _ = asyncio.run(transcribe_split(engine, source, target, Path(scratch)))
            rows.append(
                Row(
                    name,
                    duration,
                    f"{target:.0f} s",
                    count,
                    jiwer.wer(reference, normalise(text)),
                    time.perf_counter() - started,
                )
            )
        print(rows[-1], flush=True)
    return rows


def table(rows: list[Row]) -> str:
    lines = [
        "| file | audio | chunk target | chunks | WER | vs unsplit (points) | time |",
        "|---|---|---|---|---|---|---|",
    ]
    unsplit = {row.name: row.wer for row in rows if row.target == "unsplit"}
    for row in rows:
        delta = (row.wer - unsplit[row.name]) * 100
        lines.append(
            f"| {row.name} | {row.audio_seconds / 60:.1f} min | {row.target} | {row.chunks} "
            f"| {row.wer * 100:.2f} % | {delta:+.2f} | {row.seconds:.0f} s |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="*", default=[10.0, 30.0])
    parser.add_argument("--targets", type=float, nargs="+", default=[120.0, 300.0, 600.0])
    args = parser.parse_args()
    engine = LocalWhisperEngine.from_settings(Settings(transcription_engine="local"))
    engine.load()
    rows = measure(engine, "speech-sample.mp3", SAMPLE, normalise(REFERENCE.read_text()), args.targets)
    command = "bench/bench_chunk_wer.py --minutes " + " ".join(f"{m:g}" for m in args.minutes)
    command += " --targets " + " ".join(f"{t:g}" for t in args.targets)
    for minutes in args.minutes:
        with tempfile.TemporaryDirectory(prefix="wer-speech-") as tmp:
            path = Path(tmp) / f"speech-{minutes:g}min.mp3"
            lines = make_speech(path, conversation(round(minutes * 60 / SECONDS_PER_LINE)))
            reference = normalise(" ".join(line.text for line in lines))
            rows += measure(engine, f"espeak {minutes:g} min", path, reference, args.targets)
        body = (
            "Offline engine (faster-whisper tiny.en, int8, CPU). Each split is the product's own "
            "(`CHUNK_TARGET_SECONDS`, cuts in silences); chunk texts are joined in order. "
            '"vs unsplit" is the WER difference to the same file transcribed whole.\n\n' + table(rows)
        )
        write_section(
            "Chunk target: WER of split against unsplit (offline engine)",
            body,
            f"PYTHONPATH=tests:bench .venv/bin/python {command}",
        )
    print(table(rows))


if __name__ == "__main__":
    main()
