"""The speech factory's timing is what the caption timing tests trust, so it is checked against the
encoded file itself: quiet just before each line's start and after its end, voiced right after."""

from __future__ import annotations

import math
import subprocess
from array import array
from pathlib import Path

import pytest

from support.media_factory import duration_of, ffmpeg_path
from support.speech_factory import FEMALE, MALE, Line, conversation, make_speech

RATE = 16000


def _levels(path: Path) -> array:
    """The decoded file as 16-bit samples at ``RATE``."""
    pcm = subprocess.run(
        [ffmpeg_path(), "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(RATE), "-f", "s16le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return array("h", pcm)


def _dbfs(samples: array, start: float, end: float) -> float:
    window = samples[int(start * RATE) : int(end * RATE)]
    power = sum(v * v for v in window) / max(len(window), 1)
    return 10 * math.log10(power / 32768**2) if power else -120.0


@pytest.mark.parametrize("suffix", ["wav", "mp3"])
def test_line_times_match_the_encoded_audio(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"talk.{suffix}"
    lines = make_speech(path, conversation(3), gap_seconds=[0.7, 1.5], lead_seconds=0.8)
    samples = _levels(path)
    assert [line.voice for line in lines] == [MALE, FEMALE, MALE]
    assert lines[0].start == pytest.approx(0.8, abs=0.002)
    assert lines[1].start - lines[0].end == pytest.approx(0.7, abs=0.002)
    for line in lines:
        assert _dbfs(samples, line.start - 0.15, line.start - 0.01) < -60
        assert _dbfs(samples, line.start, line.start + 0.3) > -40
        assert _dbfs(samples, line.end - 0.3, line.end) > -45
        assert _dbfs(samples, line.end + 0.01, line.end + 0.15) < -60
    assert duration_of(path) == pytest.approx(lines[-1].end + 0.5, abs=0.08)


def test_noise_fills_the_gaps_but_keeps_the_timing(tmp_path: Path) -> None:
    quiet = make_speech(tmp_path / "quiet.wav", [Line("One two three.", FEMALE), "Four five six."])
    noisy = make_speech(
        tmp_path / "noisy.wav", [Line("One two three.", FEMALE), "Four five six."], noise_amplitude=0.02
    )
    assert noisy == quiet
    samples = _levels(tmp_path / "noisy.wav")
    gap = _dbfs(samples, quiet[0].end + 0.2, quiet[1].start - 0.2)
    assert -60 < gap < -30
    assert _dbfs(samples, quiet[1].start, quiet[1].start + 0.3) > gap + 10


def test_gap_count_must_match_the_lines(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="2 gaps"):
        make_speech(tmp_path / "x.wav", conversation(3), gap_seconds=[1.0])
