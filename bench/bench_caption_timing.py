"""Caption timing on speech with known timing, per engine: today's behaviour against speech-timed cues.

The speech is generated with espeak-ng (two voices taking turns, pauses of 0.3-1.5 s between lines),
so every line's true start is measured from the audio. The engines:

- ``gpt-transcribe`` (text only) and ``whisper-1`` (segments) through the OpenAI SDK against the
  stand-in API, whose answers come from the real offline Whisper model hearing the upload;
- the offline engine (faster-whisper tiny.en).

Baseline ("today"): one request for the whole file; the engine's segments are the cues as returned,
and a text-only answer is one cue over the file. Speech-timed: ``transcribe_chunk`` with
``SpeechTiming`` (speech detection; OpenAI models get pieces cut at pauses, their text spread over the
speech; the offline engine keeps its word times, moved onto voice onsets; cues shaped to at most 7 s
and 2 lines of 42 characters). Each engine runs on the same lines twice: with digital silence
between them, and under pink noise.

Metric (``support.caption_timing``), per spoken line: the cue that shows the line's first recognised
word (reference and caption words aligned with difflib), and the distance between that cue's start
and the line's true start. A line none of whose words were recognised counts as missed. Reported:
cues, median and 90th percentile of that distance, lines missed, the longest cue, cues over 7 s,
cues over 2 lines of 42 characters.

Run: PYTHONPATH=tests:bench .venv/bin/python bench/bench_caption_timing.py [--lines 60] [--noise 0.02]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
from pathlib import Path

from mediascribe.transcription.local_engine import LocalWhisperEngine
from mediascribe.transcription.local_model import load_model, packaged_model
from mediascribe.transcription.models import EngineResult, Segment
from mediascribe.transcription.openai_engine import OpenAIEngine
from mediascribe.transcription.runner import SpeechTiming, transcribe_chunk
from results_file import write_section
from support.caption_timing import CaptionTiming, caption_timing
from support.fake_openai import FakeTranscriptionServer
from support.media_factory import ffmpeg_path
from support.speech_factory import SpokenLine, conversation, make_speech

ROOT = Path(__file__).resolve().parents[1]


def generate(path: Path, count: int, noise: float) -> list[SpokenLine]:
    gaps = [round(random.Random(count + i).uniform(0.3, 1.5), 2) for i in range(count - 1)]
    return make_speech(path, conversation(count), gap_seconds=gaps, noise_amplitude=noise, fmt="mp3")


async def baseline_cues(engine, path: Path, duration: float) -> list[Segment]:
    result = await engine.transcribe_file(path)
    if result.segments:
        return [Segment(s.start, s.end, s.text) for s in result.segments if s.text.strip()]
    return [Segment(0.0, duration, result.text)] if result.text.strip() else []


async def timed_cues(engine, path: Path, engine_timestamps: bool) -> list[Segment]:
    timing = SpeechTiming(ffmpeg=ffmpeg_path(), engine_timestamps=engine_timestamps)
    transcript = await transcribe_chunk(engine, 0, path, 0.0, timing=timing)
    return list(transcript.segments)


class TodaysOfflineEngine:
    """The offline engine as it was: faster-whisper on the whole file, no VAD, no word timestamps."""

    async def transcribe_file(self, path: Path) -> EngineResult:
        return await asyncio.to_thread(self._transcribe, path)

    def _transcribe(self, path: Path) -> EngineResult:
        pieces, info = load_model(packaged_model()[0]).transcribe(str(path), beam_size=5)
        segments = [Segment(s.start, s.end, s.text.strip()) for s in pieces]
        return EngineResult(" ".join(s.text for s in segments), tuple(segments), info.duration)


def row(name: str, mode: str, background: str, result: CaptionTiming) -> str:
    def seconds(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f} s"

    return (
        f"| {name} | {background} | {mode} | {result.cues} | {seconds(result.median)} | "
        f"{seconds(result.p90)} | {result.missed} | {result.longest:.1f} s | {result.over_seconds} | "
        f"{result.over_lines} |"
    )


async def condition_rows(path: Path, lines: list[SpokenLine], background: str) -> list[str]:
    """Today's captions and speech-timed cues of every engine on one generated file."""
    duration = lines[-1].end + 0.5
    measured: list[tuple[str, str, list[Segment]]] = []
    with FakeTranscriptionServer(offline_model=True) as server:
        for model in ("gpt-transcribe", "whisper-1"):
            engine = OpenAIEngine(
                api_key="bench", base_url=server.base_url, model=model, max_retries=0, timeout_seconds=3600
            )
            measured.append((model, "today", await baseline_cues(engine, path, duration)))
            measured.append((model, "speech-timed", await timed_cues(engine, path, False)))
    measured.append(("offline", "today", await baseline_cues(TodaysOfflineEngine(), path, duration)))
    measured.append(("offline", "speech-timed", await timed_cues(LocalWhisperEngine(), path, True)))
    rows = [row(name, mode, background, caption_timing(lines, cues)) for name, mode, cues in measured]
    print(*rows, sep="\n", flush=True)
    return rows


async def run(count: int, noise: float) -> str:
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-captions-") as tmp:
        for amplitude, background in ((0.0, "silence"), (noise, f"pink noise, amplitude {noise}")):
            path = Path(tmp) / f"talk-{amplitude}.mp3"
            lines = generate(path, count, amplitude)
            rows += await condition_rows(path, lines, background)
    header = (
        f"{count} spoken lines, {lines[-1].end / 60:.1f} minutes, two espeak-ng voices, pauses 0.3-1.5 s,\n"
        "between the lines either digital silence or pink noise.\n"
        "Error: distance from a line's true start to the start of the cue showing its first\n"
        'recognised word. "today": one request per file, the engine\'s segments as cues (a text-only\n'
        "answer is one cue), the offline engine without VAD or word timestamps. The 24 sentences repeat,\n"
        "so where captions lose lines the alignment can pair a line with the same sentence elsewhere.\n\n"
        "| engine | between lines | captions | cues | median error | 90th percentile | lines missed "
        "| longest cue | cues > 7 s | cues over 2 lines of 42 |\n|---|---|---|---|---|---|---|---|---|---|\n"
    )
    return header + "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=60)
    parser.add_argument("--noise", type=float, default=0.02, help="pink noise amplitude of the noisy run")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    body = asyncio.run(run(args.lines, args.noise))
    print(body)
    if not args.no_write:
        write_section(
            "Caption timing",
            body,
            f"PYTHONPATH=tests:bench .venv/bin/python bench/bench_caption_timing.py --lines {args.lines} "
            f"--noise {args.noise}",
        )


if __name__ == "__main__":
    main()
