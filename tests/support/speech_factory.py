"""Real speech with known timing, synthesised with espeak-ng, for tests and benchmarks.

Each line is spoken on its own by ``espeak-ng``; the lines are joined with silence between them and,
optionally, mixed with background noise. The true start and end of every line are measured from the
synthesised samples (espeak pads its output with silence), so a test can compare caption times with
when the words were really spoken.

    lines = make_speech(tmp / "talk.mp3", [Line("Good morning.", "en-us+m3"), Line("Hi.", "en-us+f3")])
    lines[1].start  # seconds into talk.mp3 where "Hi." begins
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from support.media_factory import AUDIO_FORMATS, run_ffmpeg

SAMPLE_RATE = 22050  # espeak-ng's own output rate
MALE = "en-us+m3"
FEMALE = "en-us+f3"
# A sample counts as voiced above this amplitude (about -50 dBFS); espeak's padding is exact zeros.
_VOICED_AMPLITUDE = 100

# Plain sentences of varied length for generated talks; every word is in a small model's vocabulary.
SENTENCES: tuple[str, ...] = (
    "Good morning and welcome to the weekly planning meeting.",
    "Today we will look at the budget for the next quarter.",
    "The new office opens in March, a little later than we hoped.",
    "Please send your reports to the finance team by Friday.",
    "We hired three engineers and one designer this month.",
    "The river flooded the lower fields after the storm.",
    "Most of the farmers moved their animals to higher ground.",
    "A small bakery on the corner sells bread until noon.",
    "She painted the kitchen yellow because it felt warmer.",
    "The train to the coast leaves every hour on the hour.",
    "Children learn to read faster when they read every day.",
    "The museum will be closed on Monday for repairs.",
    "He forgot his umbrella and walked home in the rain.",
    "Our customers asked for a simpler way to pay their bills.",
    "The garden needs water twice a week during the summer.",
    "We should test the new version before we release it.",
    "The library has more than ten thousand old books.",
    "Fresh fruit is cheaper at the market on Saturday morning.",
    "The team finished the project two weeks ahead of time.",
    "Remember to lock the door when you leave the building.",
    "The mountain road is narrow and very steep in places.",
    "Coffee and tea will be served after the second talk.",
    "Thank you all for coming, and see you next week.",
    "The weather will be cold and windy for the rest of the week.",
)


@dataclass(frozen=True)
class Line:
    """What to say and in which espeak-ng voice (for example ``en-us+m3`` or ``en-us+f3``)."""

    text: str
    voice: str = MALE


@dataclass(frozen=True)
class SpokenLine:
    """A line as it sits in the generated file: ``start``/``end`` are when its voice starts and stops."""

    text: str
    voice: str
    start: float
    end: float


def conversation(count: int, voices: Sequence[str] = (MALE, FEMALE)) -> list[Line]:
    """``count`` lines from ``SENTENCES`` (cycled), taking turns between ``voices``."""
    return [Line(SENTENCES[i % len(SENTENCES)], voices[i % len(voices)]) for i in range(count)]


def make_speech(
    path: Path,
    lines: Iterable[Line | str],
    *,
    gap_seconds: float | Sequence[float] = 1.0,
    lead_seconds: float = 0.5,
    tail_seconds: float = 0.5,
    noise_amplitude: float = 0.0,
    words_per_minute: int = 160,
    fmt: str | None = None,
) -> list[SpokenLine]:
    """Write the spoken ``lines`` to ``path`` and return where each one really is.

    ``gap_seconds`` is the silence between two lines' voices (one value, or one per gap);
    ``lead_seconds``/``tail_seconds`` the silence before the first and after the last line.
    ``noise_amplitude`` (0..1, e.g. 0.02) mixes seeded pink noise under the whole file. The container
    comes from ``fmt`` or the path's suffix (a key of ``media_factory.AUDIO_FORMATS``).
    """
    wanted = [line if isinstance(line, Line) else Line(line) for line in lines]
    if not wanted:
        raise ValueError("make_speech needs at least one line")
    gaps = _gaps(gap_seconds, len(wanted) - 1)
    samples = array("h")
    spoken: list[SpokenLine] = []
    for position, line in enumerate(wanted):
        voice = _trimmed(_synthesise(line, words_per_minute))
        pause = lead_seconds if position == 0 else gaps[position - 1]
        samples.extend(_silence(pause))
        start = len(samples) / SAMPLE_RATE
        samples.extend(voice)
        spoken.append(
            SpokenLine(line.text, line.voice, round(start, 3), round(len(samples) / SAMPLE_RATE, 3))
        )
    samples.extend(_silence(tail_seconds))
    _encode(samples, Path(path), fmt, noise_amplitude)
    return spoken


def _gaps(gap_seconds: float | Sequence[float], count: int) -> list[float]:
    if isinstance(gap_seconds, int | float):
        return [float(gap_seconds)] * count
    gaps = [float(g) for g in gap_seconds]
    if len(gaps) != count:
        raise ValueError(f"{count} gaps needed between the lines, got {len(gaps)}")
    return gaps


def _synthesise(line: Line, words_per_minute: int) -> array[int]:
    """espeak-ng's 16-bit mono samples for one line."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise RuntimeError("espeak-ng is not installed (make setup installs it: scripts/ensure-espeak.sh)")
    with tempfile.TemporaryDirectory(prefix="speech-") as tmp:
        out = Path(tmp) / "line.wav"
        subprocess.run(
            [espeak, "-v", line.voice, "-s", str(words_per_minute), "-w", str(out), "--", line.text],
            check=True,
            capture_output=True,
        )
        with wave.open(str(out), "rb") as audio:
            if (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) != (1, 2, SAMPLE_RATE):
                raise RuntimeError(f"unexpected espeak-ng output format: {audio.getparams()}")
            samples = array("h")
            samples.frombytes(audio.readframes(audio.getnframes()))
    return samples


def _trimmed(samples: array[int]) -> array[int]:
    """The samples from the first to the last voiced one: the line's measured extent."""
    voiced = [i for i, value in enumerate(samples) if abs(value) > _VOICED_AMPLITUDE]
    if not voiced:
        raise RuntimeError("espeak-ng produced no audible speech")
    return samples[voiced[0] : voiced[-1] + 1]


def _silence(seconds: float) -> array[int]:
    return array("h", bytes(2 * round(seconds * SAMPLE_RATE)))


def _encode(samples: array[int], path: Path, fmt: str | None, noise_amplitude: float) -> None:
    """Write the samples as a wav, then let ffmpeg mix in noise and encode to the wanted container."""
    muxer, codec = AUDIO_FORMATS[fmt or path.suffix.lstrip(".").lower()]
    with tempfile.TemporaryDirectory(prefix="speech-") as tmp:
        raw = Path(tmp) / "speech.wav"
        with wave.open(str(raw), "wb") as audio:
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(SAMPLE_RATE)
            audio.writeframes(samples.tobytes())
        if noise_amplitude > 0:
            noise = f"anoisesrc=c=pink:r={SAMPLE_RATE}:a={noise_amplitude}:seed=11"
            run_ffmpeg(
                "-i", str(raw), "-f", "lavfi", "-i", noise,
                "-filter_complex", "[0:a][1:a]amix=inputs=2:duration=first:normalize=0",
                *codec, "-f", muxer, str(path),
            )  # fmt: skip
        else:
            run_ffmpeg("-i", str(raw), *codec, "-f", muxer, str(path))
