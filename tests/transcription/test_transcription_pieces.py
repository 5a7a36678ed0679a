"""A chunk's speech pieces: cut in one ffmpeg pass, exactly, and counted as the engine receives them."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mediascribe.transcription import speech
from mediascribe.transcription.openai_engine import OpenAIEngine
from mediascribe.transcription.runner import SpeechTiming, transcribe_chunk
from mediascribe.transcription.speech import Cut, cut_pieces, piece_suffix
from support.fake_openai import FakeTranscriptionServer
from support.media_factory import ffmpeg_path, ffprobe_path, make_speech_like

CHUNK_SECONDS = 120.0


@pytest.fixture
def server() -> Iterator[FakeTranscriptionServer]:
    with FakeTranscriptionServer() as fake:
        yield fake


def _duration(path: Path) -> float:
    argv = [ffprobe_path(), "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)]
    return float(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)


def test_each_cut_lasts_exactly_its_span(tmp_path: Path) -> None:
    chunk = make_speech_like(tmp_path / "chunk.mp3", 30.0, bitrate="64k", channels=1, sample_rate=22050)
    spans = [(0.0, 4.25), (4.25, 11.5), (17.02, 29.9)]
    cuts = [Cut(start, end, tmp_path / f"{number}.flac") for number, (start, end) in enumerate(spans)]

    cut_pieces(chunk, cuts, ffmpeg_path())

    # FLAC holds every sample: a piece is its span to the sample (1/16000 s), not to an mp3 frame.
    for cut in cuts:
        assert _duration(cut.target) == pytest.approx(cut.end - cut.start, abs=1 / 16000 + 1e-6)


def test_pieces_too_long_for_flac_in_a_request_are_mp3() -> None:
    assert piece_suffix(30.0) == ".flac"
    assert piece_suffix(speech.FLAC_MAX_SECONDS + 1) == ".mp3"


async def test_a_chunk_is_cut_in_one_ffmpeg_pass_and_counted_as_sent(
    tmp_path: Path, server: FakeTranscriptionServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunk = make_speech_like(
        tmp_path / "chunk.mp3", CHUNK_SECONDS, bitrate="64k", channels=1, sample_rate=22050
    )
    calls: list[list[str]] = []
    run = subprocess.run

    def counted(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        # The stand-in's own ffprobe of each upload goes through the same module: only ffmpeg counts.
        if argv[0] == ffmpeg_path():
            calls.append(list(argv))
        return run(argv, **kwargs)

    monkeypatch.setattr(speech.subprocess, "run", counted)
    engine = OpenAIEngine(api_key="sk-pieces", base_url=server.base_url, model="whisper-1", max_retries=0)
    timing = SpeechTiming(ffmpeg=ffmpeg_path(), engine_timestamps=False)

    transcript = await transcribe_chunk(engine, 0, chunk, 0.0, duration_seconds=CHUNK_SECONDS, timing=timing)

    # One pass to find the speech and one to cut every piece, however many pieces there are.
    assert len(calls) == 2
    assert server.request_count >= 4
    assert transcript.requests == server.request_count
    received = sum(request.audio_seconds or 0.0 for request in server.requests)
    assert transcript.sent_seconds == pytest.approx(received, abs=0.01 * received)
