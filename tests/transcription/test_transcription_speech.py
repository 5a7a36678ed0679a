"""Speech detection and speech-timed transcription on real generated speech, silence and noise.

The API stand-in answers with what the real offline Whisper model hears in each upload (it invents
words on silence, as the hosted models do), and the offline engine runs for real.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mediascribe.config import Settings
from mediascribe.transcription.local_engine import LocalWhisperEngine
from mediascribe.transcription.openai_engine import OpenAIEngine
from mediascribe.transcription.runner import SpeechTiming, speech_timing, transcribe_chunk
from mediascribe.transcription.speech import detect_speech
from support.caption_timing import caption_timing
from support.fake_openai import FakeTranscriptionServer
from support.media_factory import ffmpeg_path, make_audio, make_silence
from support.speech_factory import conversation, make_speech

GAPS = [0.4, 1.1, 0.6, 1.4, 0.8]


@pytest.fixture(scope="module")
def server():
    with FakeTranscriptionServer(offline_model=True) as running:
        yield running


def api_engine(server: FakeTranscriptionServer, model: str) -> OpenAIEngine:
    return OpenAIEngine(api_key="sk-speech", base_url=server.base_url, model=model, max_retries=0)


def pieces_timing() -> SpeechTiming:
    return SpeechTiming(ffmpeg=ffmpeg_path(), engine_timestamps=False)


@pytest.mark.parametrize("noise", [0.0, 0.03])
def test_each_spoken_line_is_found_where_it_is(tmp_path: Path, noise: float) -> None:
    path = tmp_path / "talk.mp3"
    lines = make_speech(path, conversation(6), gap_seconds=GAPS, noise_amplitude=noise)

    regions = detect_speech(path, ffmpeg_path())

    assert len(regions) == len(lines)
    for region, line in zip(regions, lines, strict=True):
        assert region.start == pytest.approx(line.start, abs=0.1)
        assert region.end == pytest.approx(line.end, abs=0.25)


@pytest.mark.parametrize("maker", ["silence", "noise"])
def test_silence_and_steady_noise_hold_no_speech(tmp_path: Path, maker: str) -> None:
    path = tmp_path / "quiet.mp3"
    if maker == "silence":
        make_silence(path, 20)
    else:
        make_audio(path, 20, noise=True)
    assert detect_speech(path, ffmpeg_path()) == ()


@pytest.mark.parametrize("maker", ["silence", "noise"])
async def test_silence_and_noise_are_never_sent_to_the_api(tmp_path: Path, server, maker: str) -> None:
    path = tmp_path / "quiet.mp3"
    if maker == "silence":
        make_silence(path, 20)
    else:
        make_audio(path, 20, noise=True)
    before = server.request_count

    transcript = await transcribe_chunk(
        api_engine(server, "gpt-transcribe"), 0, path, 0.0, duration_seconds=20.0, timing=pieces_timing()
    )

    assert server.request_count == before
    assert (transcript.text, transcript.segments, transcript.speech_seconds) == ("", (), 0.0)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["gpt-transcribe", "whisper-1"])
async def test_api_captions_start_with_the_spoken_lines(tmp_path: Path, server, model: str) -> None:
    path = tmp_path / "talk.mp3"
    lines = make_speech(path, conversation(6), gap_seconds=GAPS, noise_amplitude=0.01)
    before = server.request_count

    transcript = await transcribe_chunk(api_engine(server, model), 3, path, 0.0, timing=pieces_timing())

    timing = caption_timing(lines, transcript.segments)
    assert timing.missed == 0
    assert timing.median is not None and timing.median <= 0.5
    assert timing.p90 is not None and timing.p90 <= 1.0
    assert (timing.over_seconds, timing.over_lines) == (0, 0)
    assert 1 <= server.request_count - before <= len(lines)
    assert transcript.speech_seconds == pytest.approx(sum(line.end - line.start for line in lines), abs=1.0)


@pytest.mark.slow
async def test_offline_engine_captions_start_with_the_spoken_lines_and_silence_is_empty(
    tmp_path: Path,
) -> None:
    path = tmp_path / "talk.mp3"
    lines = make_speech(path, conversation(6), gap_seconds=GAPS, noise_amplitude=0.02)
    timing = SpeechTiming(ffmpeg=ffmpeg_path(), engine_timestamps=True)
    engine = LocalWhisperEngine()

    transcript = await transcribe_chunk(engine, 0, path, 0.0, timing=timing)
    silent = await engine.transcribe_file(make_silence(tmp_path / "silence.mp3", 20))

    result = caption_timing(lines, transcript.segments)
    assert result.missed == 0
    assert result.median is not None and result.median <= 0.5
    assert result.p90 is not None and result.p90 <= 1.0
    assert (result.over_seconds, result.over_lines) == (0, 0)
    assert silent.text == "" and silent.segments == ()


@pytest.mark.parametrize(
    ("options", "whole"),
    [
        ({"transcription_engine": "local"}, True),
        ({"transcription_engine": "openai", "openai_model": "gpt-transcribe"}, False),
        ({"transcription_engine": "openai", "openai_model": "whisper-1"}, False),
    ],
)
def test_models_with_word_timings_keep_them_and_openai_models_get_pieces(options, whole) -> None:
    timing = speech_timing(Settings(openai_api_key="sk-x", **options))
    assert timing.engine_timestamps is whole
    assert Path(timing.ffmpeg).name == "ffmpeg"
