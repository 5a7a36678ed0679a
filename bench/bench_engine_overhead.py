"""The engines' own cost per chunk: request building, transfer, response parsing and assembly.

Both stand-ins answer a canned one-hour transcript of about 9,000 words at once, so what is measured
is the engine's side alone:

- ``amazon``: ``TranscribeAudio`` through the real boto3 client to ``support.fake_transcribe`` with
  the chunk's S3 URI (no audio in the request); the answer has word items, punctuation and speaker
  labels (``transcribe_stored_chunk``: parse, cue shaping, chunk transcript).
- ``openai`` (the baseline): ``whisper-1`` ``verbose_json`` through the real OpenAI SDK to
  ``support.fake_openai``, which needs the chunk uploaded: 24 MiB, the largest chunk the engine sends
  (about 52 minutes at 64 kbit/s) (``transcribe_chunk``: upload, parse, chunk transcript).

Each chunk is then assembled into the file's transcript (``assemble_transcript``) and rendered as
WebVTT. Both servers run in this process, so their own work (the fake OpenAI server parses the
multipart upload) is inside the wall time; the parse-only row measures the client's response
handling alone, from the same canned answers.

Run: PYTHONPATH=tests:bench .venv/bin/python bench/bench_engine_overhead.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from moto import mock_aws

from mediascribe.transcription.amazon_engine import AmazonOptions, AmazonTranscribeEngine, engine_result
from mediascribe.transcription.assembly import assemble_transcript
from mediascribe.transcription.captions import to_vtt
from mediascribe.transcription.engine import StoredAudio
from mediascribe.transcription.models import ChunkTranscript
from mediascribe.transcription.openai_engine import OpenAIEngine
from mediascribe.transcription.runner import transcribe_chunk
from mediascribe.transcription.stored import transcribe_stored_chunk
from results_file import write_section
from support import fake_openai, fake_transcribe

SECONDS = 3600.0
WORDS = 9_000
WORDS_PER_SENTENCE = 15
SENTENCES_PER_TURN = 3
CHUNK_BYTES = 24 * 1024 * 1024
BUCKET = "mediascribe-bench-engines"
KEY = "jobs/bench/chunks/00000.mp3"
VOCABULARY = ("budget", "quarter", "report", "meeting", "finance", "engineer", "project", "customer")


def spoken_words() -> list[tuple[float, float, str, int]]:
    """(start, end, text, speaker) for an hour of two people taking turns."""
    step = SECONDS / WORDS
    words = []
    for i in range(WORDS):
        sentence, position = divmod(i, WORDS_PER_SENTENCE)
        text = VOCABULARY[i % len(VOCABULARY)] + ("." if position == WORDS_PER_SENTENCE - 1 else "")
        words.append(
            (round(i * step, 3), round(i * step + step * 0.8, 3), text, sentence // SENTENCES_PER_TURN % 2)
        )
    return words


def amazon_body() -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for start, end, text, speaker in spoken_words():
        word, dot = text.rstrip("."), text.endswith(".")
        for content, a, b in [(word, start, end)] + ([(".", end, end)] if dot else []):
            item = {"Id": len(items), "Content": content, "StartTime": a, "EndTime": b}
            items.append({**item, "SpeakerLabel": f"spk_{speaker}"})
    transcript = fake_transcribe._results(items)
    return {
        "TranscriptResponse": {
            "Metadata": {"MediaFormat": "mp3", "MediaSampleRateHertz": 22050, "SpeakersCount": 2},
            "Results": transcript,
        }
    }


def openai_body() -> dict[str, Any]:
    words = spoken_words()
    segments = []
    for first in range(0, len(words), WORDS_PER_SENTENCE):
        run = words[first : first + WORDS_PER_SENTENCE]
        segments.append(
            {
                "id": len(segments),
                "seek": 0,
                "start": run[0][0],
                "end": run[-1][1],
                "text": " " + " ".join(w[2] for w in run),
                "tokens": [],
                "temperature": 0.0,
                "avg_logprob": -0.2,
                "compression_ratio": 1.4,
                "no_speech_prob": 0.01,
            }
        )
    return {
        "task": "transcribe",
        "language": "english",
        "duration": SECONDS,
        "text": " ".join(w[2] for w in words),
        "segments": segments,
    }


def finish(chunk: ChunkTranscript) -> str:
    """What the finalize step does with the chunk: assemble the file's transcript and render it."""
    return to_vtt(assemble_transcript([chunk]))


def timed(run: Callable[[], object], repeats: int) -> list[float]:
    run()  # warm: imports, first-call caches
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def timed_in_one_loop(run: Callable[[], Awaitable[object]], repeats: int) -> list[float]:
    """Like ``timed``, all runs in one event loop, as a warm Lambda reuses the engine's connections."""

    async def runs() -> list[float]:
        await run()
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            await run()
            times.append(time.perf_counter() - started)
        return times

    return asyncio.run(runs())


def bench_amazon(repeats: int) -> tuple[list[float], int]:
    body = amazon_body()
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="b", aws_secret_access_key="b")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"ID3")
        with fake_transcribe.FakeTranscribeServer(s3_client=s3) as server:
            client = boto3.client(
                "transcribe",
                endpoint_url=server.endpoint_url,
                region_name="us-east-1",
                aws_access_key_id="b",
                aws_secret_access_key="b",
                config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
            )
            engine = AmazonTranscribeEngine(AmazonOptions(languages=("en",), max_speakers=2), client=client)

            async def run() -> str:
                server.script(fake_transcribe.Reply(body=body))
                chunk = await transcribe_stored_chunk(
                    engine, 0, StoredAudio(BUCKET, KEY), 0.0, duration_seconds=SECONDS
                )
                assert len(chunk.segments) >= WORDS // 42 and chunk.segments[0].speaker == "Speaker 1"
                return finish(chunk)

            times = timed_in_one_loop(run, repeats)
            request_bytes = len(str(server.requests[-1].params).encode())
    return times, request_bytes


def bench_openai(repeats: int) -> list[float]:
    body = openai_body()
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as folder:
        chunk_file = Path(folder) / "bench_audio_0.mp3"
        chunk_file.write_bytes(b"ID3\x04\x00" + bytes(CHUNK_BYTES - 5))
        server = fake_openai.FakeTranscriptionServer(replies=lambda _request: fake_openai.Reply(body=body))
        with server:
            engine = OpenAIEngine(api_key="bench", model="whisper-1", base_url=server.base_url, max_retries=0)

            async def run() -> str:
                chunk = await transcribe_chunk(engine, 0, chunk_file, 0.0, duration_seconds=SECONDS)
                assert len(chunk.segments) == WORDS // WORDS_PER_SENTENCE
                return finish(chunk)

            return timed_in_one_loop(run, repeats)


def bench_parsing(repeats: int) -> tuple[list[float], list[float]]:
    """The client's response handling alone: JSON decoding and turning it into segments."""
    import json

    from openai.types.audio import TranscriptionVerbose

    from mediascribe.transcription.openai_engine import _engine_result

    amazon_json = json.dumps(amazon_body())
    openai_json = json.dumps(openai_body())
    amazon = timed(lambda: engine_result(json.loads(amazon_json), redacted=False), repeats)
    openai = timed(lambda: _engine_result(TranscriptionVerbose.model_validate_json(openai_json)), repeats)
    return amazon, openai


def row(name: str, times: list[float], baseline: list[float]) -> str:
    median = statistics.median(times)
    ratio = median / statistics.median(baseline)
    return f"| {name} | {median * 1000:.0f} ms | {max(times) * 1000:.0f} ms | {ratio:.2f}x |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    amazon, request_bytes = bench_amazon(args.repeats)
    openai = bench_openai(args.repeats)
    amazon_parse, openai_parse = bench_parsing(args.repeats)
    body = "\n".join(
        [
            f"A one-hour answer of {WORDS:,} words (two speakers) per chunk, {args.repeats} runs each after "
            "one warm-up; the OpenAI engine (whisper-1, verbose_json, 24 MiB upload) is the baseline.",
            "",
            "| Per chunk | Median | Slowest | Against openai |",
            "|---|---|---|---|",
            row("openai: upload + parse + chunk transcript + assemble + WebVTT", openai, openai),
            row("amazon: S3 URI request + parse + cues + assemble + WebVTT", amazon, openai),
            row("openai: response parsing only", openai_parse, openai_parse),
            row("amazon: response parsing only (word items to segments)", amazon_parse, openai_parse),
            "",
            f"The amazon request body is {request_bytes} bytes (the chunk's S3 URI and options); the openai "
            f"request carries the {CHUNK_BYTES // (1024 * 1024)} MiB chunk. Amazon's answer has a word item "
            "per word (start, end, speaker), so its parsing does more per word than OpenAI's segment list.",
        ]
    )
    print(body)
    write_section(
        "Engine overhead per chunk (amazon vs openai)",
        body,
        "PYTHONPATH=tests:bench .venv/bin/python bench/bench_engine_overhead.py",
    )


if __name__ == "__main__":
    main()
