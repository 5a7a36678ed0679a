"""``mediascribe transcribe`` with the real offline engine on silence and on speech under noise."""

from __future__ import annotations

import json

import pytest
import srt

from mediascribe.cli import main
from mediascribe.transcription.models import Segment
from support.caption_timing import caption_timing
from support.media_factory import make_silence
from support.speech_factory import conversation, make_speech


@pytest.fixture
def offline_env(monkeypatch, postgres_dsn, database):
    """The command as a user without a key runs it: the offline engine."""
    monkeypatch.setenv("DATABASE_URL", postgres_dsn)
    for name in ("OPENAI_API_KEY", "OPENAI_API_KEY_SECRET", "OPENAI_BASE_URL", "TRANSCRIPTION_ENGINE"):
        monkeypatch.delenv(name, raising=False)
    yield


def test_twenty_seconds_of_silence_give_an_empty_transcript(offline_env, tmp_path, capsys) -> None:
    media = make_silence(tmp_path / "quiet room.wav", 20.0)
    code = main(["transcribe", str(media), "--json"])
    document = json.loads(capsys.readouterr().out)

    assert code == 0
    assert document["status"] == "completed"
    assert document["content"] == ""
    assert document["result"]["speech_seconds"] == 0
    assert document["result"]["audio_seconds"] == pytest.approx(20.0, abs=0.2)


@pytest.mark.slow
def test_speech_under_noise_gives_timed_readable_captions(offline_env, tmp_path, capsys) -> None:
    lines = make_speech(
        tmp_path / "talk.mp3",
        conversation(4),
        gap_seconds=[0.5, 1.2, 0.8],
        lead_seconds=3.0,
        noise_amplitude=0.03,
    )
    out = tmp_path / "out"
    code = main(["transcribe", str(tmp_path / "talk.mp3"), "--out", str(out), "--json"])
    document = json.loads(capsys.readouterr().out)

    assert code == 0
    spoken = sum(line.end - line.start for line in lines)
    assert document["result"]["speech_seconds"] == pytest.approx(spoken, abs=1.0)
    cues = json.loads((out / "talk.json").read_text())["segments"]

    timing = caption_timing(lines, [Segment.from_dict(cue) for cue in cues])
    assert timing.missed == 0 and timing.p90 is not None and timing.p90 <= 1.0
    subtitles = list(srt.parse((out / "talk.srt").read_text()))
    assert subtitles[0].start.total_seconds() == pytest.approx(lines[0].start, abs=0.5)
    assert all((s.end - s.start).total_seconds() <= 7.0 for s in subtitles)
    assert all(len(line) <= 42 for s in subtitles for line in s.content.splitlines())
