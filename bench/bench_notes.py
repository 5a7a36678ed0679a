"""Notes step overhead: everything the step does for a long transcript except waiting for the model.

A six-hour transcript (about 54,000 words in 2,700 segments, as a talk at 150 words per minute gives)
goes through ``write_notes`` at the default input budget:

1. with a model that answers instantly in-process: token estimates, part planning, prompt building,
   JSON validation and the combine round, i.e. the step's own CPU cost;
2. through boto3's real ``bedrock-runtime`` client to the Converse stand-in on 127.0.0.1 (answering
   at once): adds the SDK's serialisation, signing, HTTP and parsing per call.

Baseline, measured in the same run: parsing the transcript's JSON document, which the step must do
anyway. Also reported: the number of model calls and the input tokens sent (stand-in count, about
4 characters per token), from which the cost per hour of audio follows.

Run: PYTHONPATH=tests:bench .venv/bin/python bench/bench_notes.py [--hours 6] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable

from mediascribe.notes.prompt import NotesRequest
from mediascribe.notes.providers import ModelReply
from mediascribe.notes.writer import DEFAULT_INPUT_TOKENS, PART_CONCURRENCY, Segment, write_notes
from results_file import write_section
from support.fake_bedrock import FakeBedrockServer
from support.notes_clients import bedrock_model
from support.notes_scripts import count_tokens, default_notes

WORDS_PER_MINUTE = 150
SEGMENT_WORDS = 20
# Words for generated speech; names and "will" give the notes action items to find.
_VOCABULARY = [
    *("we", "the", "budget", "release", "team", "will", "next", "quarter", "review", "customer"),
    *("data", "plan", "agreed", "meeting", "Maria", "Tom", "send", "report", "Friday", "numbers"),
    *("hiring", "product", "launch", "risk", "question", "answer", "follow", "up"),
]


class InstantModel:
    """Answers at once with notes derived from the request, as the stand-ins do."""

    provider = "bench"
    model = "instant"

    def __init__(self) -> None:
        self.input_tokens = 0
        self.combining_calls = 0

    def complete(self, request: NotesRequest) -> ModelReply:
        self.input_tokens += count_tokens(request.system) + count_tokens(request.user)
        self.combining_calls += "<part_notes>" in request.user
        return ModelReply(data=default_notes(request.user))


def transcript(hours: float, seed: int = 7) -> dict:
    rng = random.Random(seed)
    words = int(hours * 60 * WORDS_PER_MINUTE)
    seconds_per_segment = SEGMENT_WORDS / WORDS_PER_MINUTE * 60
    segments = []
    for index in range(words // SEGMENT_WORDS):
        text = " ".join(rng.choice(_VOCABULARY) for _ in range(SEGMENT_WORDS)).capitalize() + "."
        start = round(index * seconds_per_segment, 3)
        segments.append({"start": start, "end": round(start + seconds_per_segment, 3), "text": text})
    return {"text": " ".join(s["text"] for s in segments), "segments": segments}


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    raw = json.dumps(transcript(args.hours))
    segments = [Segment(s["start"], s["text"]) for s in json.loads(raw)["segments"]]
    baseline = median_seconds(lambda: json.loads(raw), args.repeat)

    instant = InstantModel()
    notes = write_notes(segments, instant)
    calls, tokens = notes.model_calls, instant.input_tokens
    in_process = median_seconds(lambda: write_notes(segments, InstantModel()), args.repeat)

    with FakeBedrockServer() as server:
        model = bedrock_model(server, retries=0)
        through_sdk = median_seconds(lambda: write_notes(segments, model), max(1, args.repeat // 2))

    one_hour = write_notes(segments[: len(segments) // int(args.hours or 1)], InstantModel()).model_calls
    rows = [
        ("Parse the transcript JSON (baseline)", baseline, 1.0),
        ("Notes step, instant in-process model", in_process, in_process / baseline),
        ("Notes step, boto3 Converse to the local stand-in", through_sdk, through_sdk / baseline),
    ]
    table = "\n".join(
        f"| {name} | {seconds * 1000:.0f} ms | {ratio:.1f} x |" for name, seconds, ratio in rows
    )
    words = sum(len(s.text.split()) for s in segments)
    combining = instant.combining_calls
    body = f"""
A {args.hours:g}-hour transcript: {len(segments):,} segments, {len(raw) / 1e6:.1f} MB of JSON,
{words:,} words; input budget {DEFAULT_INPUT_TOKENS:,} tokens per request.

| Work | Median time | Against the baseline |
|---|---|---|
{table}

Model calls: {calls} for {args.hours:g} hours ({calls - combining} parts, {combining} combining),
{one_hour} for one hour.
Input sent to the model: about {tokens:,} tokens for {args.hours:g} hours (stand-in count), about
{tokens / args.hours:,.0f} per hour of audio. Model latency is not included: each call adds the
provider's answer time (typically seconds); parts are sent {PART_CONCURRENCY} at a time.
"""
    print(body)
    write_section("Notes step overhead", body, "PYTHONPATH=tests:bench .venv/bin/python bench/bench_notes.py")


if __name__ == "__main__":
    main()
