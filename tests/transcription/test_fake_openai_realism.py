"""The API stand-in refuses what the hosted API refuses, with the same status and error text.

Every request goes through the real ``openai`` SDK, so the form fields are the ones the SDK encodes.
"""

from __future__ import annotations

import time
from pathlib import Path

import openai
import pytest

from support.fake_openai import FakeTranscriptionServer
from support.media_factory import make_audio, make_silence

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "speech-sample.mp3"


@pytest.fixture(scope="module")
def long_audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1501 s of low-bitrate mp3: over the 1500 s cap of the gpt-4o models, 1.5 MB."""
    return make_silence(tmp_path_factory.mktemp("fake") / "long.mp3", 1501.0)


@pytest.fixture(scope="module")
def short_audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_audio(tmp_path_factory.mktemp("fake") / "short.mp3", 3.0)


def client(server: FakeTranscriptionServer) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0)


def refusal(server: FakeTranscriptionServer, audio: Path, **options: object) -> openai.APIStatusError:
    with pytest.raises(openai.APIStatusError) as caught:
        client(server).audio.transcriptions.create(file=audio, **options)  # type: ignore[call-overload]
    return caught.value


def said(error: openai.APIStatusError) -> str:
    """The API's own message, without the SDK's "Error code: 400 -" prefix."""
    assert isinstance(error.body, dict)
    return str(error.body["message"])


@pytest.mark.parametrize(
    ("model", "cap"),
    [("gpt-4o-transcribe", "1500"), ("gpt-4o-mini-transcribe", "1500"), ("gpt-transcribe", "1400")],
)
def test_audio_over_the_duration_cap_gets_the_real_400(long_audio: Path, model: str, cap: str) -> None:
    with FakeTranscriptionServer() as server:
        error = refusal(server, long_audio, model=model)
    assert error.status_code == 400
    assert error.code == "invalid_value"
    assert said(error).startswith("audio duration 1501.")
    assert said(error).endswith(f"seconds is longer than {cap} seconds which is the maximum for this model")


def test_whisper_has_no_duration_cap(long_audio: Path) -> None:
    with FakeTranscriptionServer() as server:
        result = client(server).audio.transcriptions.create(file=long_audio, model="whisper-1")
        assert result.text
        assert server.requests[0].audio_seconds == pytest.approx(1501.0, abs=0.1)


@pytest.mark.parametrize("model", ["gpt-transcribe", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"])
def test_verbose_json_is_refused_except_by_whisper(short_audio: Path, model: str) -> None:
    with FakeTranscriptionServer() as server:
        error = refusal(server, short_audio, model=model, response_format="verbose_json")
        assert (error.status_code, error.code) == (400, "unsupported_value")
        assert said(error) == (
            f"response_format 'verbose_json' is not compatible with model '{model}'. "
            "Use 'json' or 'text' instead."
        )
        verbose = client(server).audio.transcriptions.create(
            file=short_audio,
            model="whisper-1",
            response_format="verbose_json",
            timestamp_granularities=["segment"],
        )
    assert verbose.segments


def test_only_gpt_transcribe_takes_keywords_and_languages(short_audio: Path) -> None:
    with FakeTranscriptionServer() as server:
        error = refusal(server, short_audio, model="gpt-4o-transcribe", keywords=["Kubernetes"])
        assert (error.status_code, error.param) == (400, "keywords")
        client(server).audio.transcriptions.create(
            file=short_audio,
            model="gpt-transcribe",
            keywords=["Kubernetes", "Aurora"],
            languages=["en", "de"],
        )
    assert server.requests[-1].lists["keywords[]"] == ("Kubernetes", "Aurora")
    assert server.requests[-1].lists["languages[]"] == ("en", "de")


def test_the_diarize_model_needs_a_chunking_strategy_and_takes_no_prompt(short_audio: Path) -> None:
    model = "gpt-4o-transcribe-diarize"
    with FakeTranscriptionServer() as server:
        missing = refusal(server, short_audio, model=model)
        assert said(missing) == "chunking_strategy is required for diarization models"
        prompt = refusal(server, short_audio, model=model, chunking_strategy="auto", prompt="names")
        assert prompt.param == "prompt"
        diarized = client(server).audio.transcriptions.create(
            file=short_audio, model=model, chunking_strategy="auto", response_format="diarized_json"
        )
    assert diarized.segments[0].speaker


def test_unknown_models_and_formats_are_refused(short_audio: Path, tmp_path: Path) -> None:
    named = tmp_path / "talk.aiff"
    named.write_bytes(short_audio.read_bytes())
    with FakeTranscriptionServer() as server:
        assert refusal(server, short_audio, model="whisper-2").status_code == 404
        wrong = refusal(server, named, model="gpt-transcribe")
    assert wrong.status_code == 400
    assert said(wrong).startswith("Invalid file format. Supported formats: ['flac'")


def test_a_request_over_25_mb_gets_413(tmp_path: Path) -> None:
    big = tmp_path / "big.mp3"
    big.write_bytes(b"\xff" * (26_214_400 + 1))
    with FakeTranscriptionServer() as server:
        error = refusal(server, big, model="gpt-transcribe")
    assert error.status_code == 413
    assert said(error).startswith("Maximum content size limit (26214400) exceeded")


def test_undecodable_audio_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"not audio at all" * 100)
    with FakeTranscriptionServer() as server:
        error = refusal(server, junk, model="gpt-transcribe")
    assert said(error) == "Audio file might be corrupted or unsupported"


def test_latency_grows_with_the_audio(short_audio: Path) -> None:
    with FakeTranscriptionServer(latency_per_audio_second=0.2) as server:
        started = time.monotonic()
        client(server).audio.transcriptions.create(file=short_audio, model="gpt-transcribe")
        elapsed = time.monotonic() - started
    assert elapsed >= 0.6  # 3 s of audio at 0.2 s per second, a lower bound only


def test_offline_model_hears_the_audio() -> None:
    with FakeTranscriptionServer(offline_model=True) as server:
        text = client(server).audio.transcriptions.create(file=SAMPLE, model="gpt-transcribe").text
        verbose = client(server).audio.transcriptions.create(
            file=SAMPLE,
            model="whisper-1",
            response_format="verbose_json",
            timestamp_granularities=["segment"],
        )
    assert "spoken words" in text.lower()
    assert verbose.text == text
    assert len(verbose.segments) > 1
    assert verbose.segments[-1].end <= 16.0
