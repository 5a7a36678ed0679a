"""The OpenAI engine with the real ``AsyncOpenAI`` client against the local fake transcription server."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

import pytest

from mediascribe.config import API_REQUEST_LIMIT_BYTES, Settings
from mediascribe.errors import (
    ChunkTooLargeError,
    ConfigurationError,
    PermanentTranscriptionError,
    RetryableTranscriptionError,
)
from mediascribe.transcription import create_engine
from mediascribe.transcription.catalog import OPENAI_MODELS
from mediascribe.transcription.local_engine import LocalWhisperEngine
from mediascribe.transcription.openai_engine import OpenAIEngine
from support.fake_openai import FakeTranscriptionServer, Reply, error_reply
from support.media_factory import make_audio

API_KEY = "sk-test-0123456789abcdef"
# Tells the SDK to wait 10 ms before retrying, keeping retry tests fast without changing their logic.
FAST_RETRY = {"retry-after-ms": "10"}


@pytest.fixture(scope="module")
def tone(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_audio(tmp_path_factory.mktemp("tone") / "tone.mp3", 10.0).read_bytes()


@pytest.fixture
def chunk(tmp_path: Path, tone: bytes) -> Path:
    """Real audio, as the API accepts nothing else, ending in bytes that look like a form boundary."""
    path = tmp_path / "talk_audio_0.mp3"
    path.write_bytes(tone + b"\r\n--not-a-boundary\r\n\x00\xff")
    return path


@pytest.fixture
def server():
    with FakeTranscriptionServer(api_key=API_KEY) as fake:
        yield fake


def engine_for(server: FakeTranscriptionServer, **overrides) -> OpenAIEngine:
    options = {"api_key": API_KEY, "base_url": server.base_url, "max_retries": 2, "timeout_seconds": 10.0}
    return OpenAIEngine(**(options | overrides))


async def test_success_returns_text_segments_and_duration(server, chunk):
    result = await engine_for(server, model="whisper-1").transcribe_file(chunk)

    assert result.text == "Transcript of talk_audio_0.mp3."
    assert [(s.start, s.end) for s in result.segments] == [(0.0, pytest.approx(10.0, abs=0.1))]
    assert result.duration_seconds == pytest.approx(10.0, abs=0.1)
    (request,) = server.requests
    assert request.authorized
    assert request.model == "whisper-1"
    assert request.response_format == "verbose_json"
    assert request.fields["timestamp_granularities[]"] == "segment"
    assert request.filename == "talk_audio_0.mp3"
    assert request.file_content_type == "audio/mpeg"
    assert request.file_bytes == chunk.read_bytes()


async def test_language_and_prompt_are_sent(server, chunk):
    await engine_for(server, language="en", prompt="Glossary: mediascribe").transcribe_file(chunk)

    assert server.requests[0].fields["language"] == "en"
    assert server.requests[0].fields["prompt"] == "Glossary: mediascribe"


async def test_two_rate_limits_then_success_uses_sdk_backoff(server, chunk):
    server.script(error_reply(429), error_reply(429))

    result = await engine_for(server).transcribe_file(chunk)

    assert result.text == "Transcript of talk_audio_0.mp3."
    assert server.request_count == 3


async def test_retry_after_header_is_honoured(server, chunk):
    server.script(error_reply(429, retry_after="1"))

    await engine_for(server).transcribe_file(chunk)

    first, second = server.requests
    # Without the header the SDK's first backoff is at most 0.5 s; with it, the retry waits 1 s.
    assert second.received_at - first.received_at >= 0.95


async def test_retry_after_beyond_sdk_limit_is_not_retried_and_stays_retryable(server, chunk):
    server.script(error_reply(429, retry_after="600"))

    with pytest.raises(RetryableTranscriptionError, match="429"):
        await engine_for(server).transcribe_file(chunk)
    assert server.request_count == 1


async def test_server_errors_until_retries_run_out(chunk):
    with FakeTranscriptionServer(replies=lambda _r: Reply(status=500, body={}, headers=FAST_RETRY)) as fake:
        with pytest.raises(RetryableTranscriptionError, match="500"):
            await engine_for(fake, max_retries=3).transcribe_file(chunk)
        assert fake.request_count == 4


async def test_wrong_key_is_permanent_and_sent_once(server, chunk):
    with pytest.raises(PermanentTranscriptionError, match="401"):
        await engine_for(server, api_key="sk-wrong").transcribe_file(chunk)
    assert server.request_count == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
async def test_client_errors_are_permanent_without_retry(server, chunk, status):
    server.script(error_reply(status))

    with pytest.raises(PermanentTranscriptionError, match=str(status)) as raised:
        await engine_for(server).transcribe_file(chunk)
    assert not isinstance(raised.value, RetryableTranscriptionError)
    assert not raised.value.retryable
    assert server.request_count == 1


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503])
async def test_transient_statuses_are_retried_then_retryable(server, chunk, status):
    server.script(*[Reply(status=status, body={}, headers=FAST_RETRY)] * 2)

    with pytest.raises(RetryableTranscriptionError, match=str(status)) as raised:
        await engine_for(server, max_retries=1).transcribe_file(chunk)
    assert raised.value.retryable
    assert server.request_count == 2


async def test_exhausted_quota_is_permanent_even_though_it_is_a_429(server, chunk):
    quota = {"error": {"message": "You exceeded your current quota", "type": "insufficient_quota",
                       "param": None, "code": "insufficient_quota"}}  # fmt: skip
    server.script(Reply(status=429, body=quota))

    with pytest.raises(PermanentTranscriptionError, match="429") as raised:
        await engine_for(server, max_retries=0).transcribe_file(chunk)
    assert not raised.value.retryable


async def test_timeout_is_retryable(chunk):
    with FakeTranscriptionServer(replies=lambda _r: Reply(hang=True), hang_seconds=3) as fake:
        with pytest.raises(RetryableTranscriptionError, match="timed out"):
            await engine_for(fake, timeout_seconds=0.3, max_retries=1).transcribe_file(chunk)
        assert fake.request_count == 2


async def test_dropped_connection_is_retryable(chunk):
    with FakeTranscriptionServer(replies=lambda _r: Reply(drop_connection=True)) as fake:
        with pytest.raises(RetryableTranscriptionError):
            await engine_for(fake, max_retries=0).transcribe_file(chunk)
        assert fake.request_count == 1


async def test_chunk_over_the_api_limit_is_refused_without_a_request(server, tmp_path):
    big = tmp_path / "big_audio_0.mp3"
    with big.open("wb") as handle:
        handle.truncate(API_REQUEST_LIMIT_BYTES + 1)

    with pytest.raises(ChunkTooLargeError, match=str(API_REQUEST_LIMIT_BYTES)):
        await engine_for(server).transcribe_file(big)
    assert server.request_count == 0


@pytest.mark.parametrize("model", ["gpt-4o-transcribe", "gpt-4o-mini-transcribe", "gpt-transcribe"])
async def test_json_only_models_give_text_without_segments(server, chunk, model):
    result = await engine_for(server, model=model).transcribe_file(chunk)

    assert server.requests[0].response_format == "json"
    assert server.requests[0].model == model
    assert result.text == "Transcript of talk_audio_0.mp3."
    assert result.segments == ()
    assert result.duration_seconds is None


async def test_silence_is_an_empty_text_not_an_error(chunk):
    with FakeTranscriptionServer(text_for=lambda _r: "") as fake:
        result = await engine_for(fake).transcribe_file(chunk)
    assert result.text == ""
    assert result.segments == ()


async def test_a_response_without_text_is_an_error_not_an_empty_transcript(server, chunk):
    server.script(Reply(status=200, body={"unexpected": True}))

    with pytest.raises(RetryableTranscriptionError, match="without text"):
        await engine_for(server).transcribe_file(chunk)


def test_engine_survives_a_new_event_loop_per_invocation(server, chunk):
    """A warm Lambda runs every invocation in its own loop with the same engine object."""
    engine = engine_for(server)
    first = asyncio.run(engine.transcribe_file(chunk))
    second = asyncio.run(engine.transcribe_file(chunk))
    assert first == second
    assert server.request_count == 2


async def test_api_key_never_reaches_the_logs(server, chunk, caplog):
    caplog.set_level(logging.DEBUG, logger="mediascribe")
    caplog.set_level(logging.DEBUG, logger="openai")
    server.script(error_reply(500), error_reply(401))

    with pytest.raises(PermanentTranscriptionError):
        await engine_for(server).transcribe_file(chunk)
    assert caplog.records, "the failure should have been logged"
    assert API_KEY not in caplog.text
    assert API_KEY not in repr(engine_for(server))


def test_auto_uses_openai_with_a_key_and_the_offline_model_without():
    settings = Settings(transcription_engine="auto", openai_model="gpt-transcribe")
    with_key = create_engine(settings, api_key=API_KEY)
    assert isinstance(with_key, OpenAIEngine)
    assert (with_key.name, with_key.model) == ("openai", "gpt-transcribe")
    without_key = create_engine(settings)
    assert isinstance(without_key, LocalWhisperEngine)
    assert without_key.model == "faster-whisper/tiny.en"


def test_explicit_engines_are_respected():
    local = create_engine(Settings(transcription_engine="local"), api_key=API_KEY)
    assert isinstance(local, LocalWhisperEngine)
    with pytest.raises(ConfigurationError, match="needs an API key"):
        create_engine(Settings(transcription_engine="openai"))


@pytest.mark.parametrize("model", sorted(OPENAI_MODELS))
async def test_every_listed_model_accepts_what_it_is_sent(server, chunk, model):
    """The stand-in refuses any format or option the real model refuses; nothing here may be refused."""
    engine = engine_for(
        server, model=model, language="en,de", prompt="A talk.", keywords=("Kubernetes", "mediascribe")
    )
    result = await engine.transcribe_file(chunk)

    assert result.text == "Transcript of talk_audio_0.mp3."
    (request,) = server.requests
    spec = OPENAI_MODELS[model]
    assert request.response_format == spec.response_format
    assert ("timestamp_granularities[]" in request.fields) is (spec.response_format == "verbose_json")
    assert bool(result.segments) is spec.returns_timestamps


async def test_gpt_transcribe_gets_keywords_and_languages_as_lists(server, chunk):
    engine = engine_for(server, model="gpt-transcribe", language="en, fr", keywords=("Aurora", "SAM"))
    await engine.transcribe_file(chunk)

    (request,) = server.requests
    assert request.lists["keywords[]"] == ("Aurora", "SAM")
    assert request.lists["languages[]"] == ("en", "fr")
    assert "prompt" not in request.fields and "language" not in request.fields


async def test_keywords_are_folded_into_the_prompt_where_the_model_takes_no_keyword_list(server, chunk):
    engine = engine_for(server, model="whisper-1", prompt="Weekly meeting.", keywords=("Aurora", "SAM"))
    await engine.transcribe_file(chunk)

    (request,) = server.requests
    assert request.fields["prompt"] == "Weekly meeting. Glossary: Aurora, SAM."
    assert "keywords[]" not in request.lists


async def test_several_languages_leave_detection_to_a_model_without_a_languages_option(server, chunk):
    await engine_for(server, model="gpt-4o-transcribe", language="en,de").transcribe_file(chunk)
    assert "language" not in server.requests[0].fields
    assert not server.requests[0].lists


async def test_the_diarize_model_returns_speaker_segments(server, chunk):
    engine = engine_for(server, model="gpt-4o-transcribe-diarize", prompt="ignored for this model")
    result = await engine.transcribe_file(chunk)

    (request,) = server.requests
    assert request.fields["chunking_strategy"] == "auto"
    assert request.response_format == "diarized_json"
    assert "prompt" not in request.fields
    assert [s.speaker for s in result.segments] == ["A"]


def test_settings_reach_the_request():
    settings = Settings(
        transcription_engine="openai",
        openai_model="gpt-transcribe",
        transcription_language="en,es",
        transcription_keywords=("Aurora",),
    )
    engine = create_engine(settings, api_key=API_KEY)
    assert isinstance(engine, OpenAIEngine)
    options = engine.request_options()
    assert options["languages"] == ["en", "es"]
    assert options["keywords"] == ["Aurora"]
    assert options["response_format"] == "json"


def test_invocations_in_parallel_threads_keep_their_own_client(server, chunk):
    """Local runs call one engine from several threads, each with its own event loop."""
    engine = engine_for(server)
    barrier = threading.Barrier(3)
    clients: list[object] = []

    def invocation() -> None:
        async def twice() -> None:
            barrier.wait()
            first = engine._client_for_running_loop()
            await engine.transcribe_file(chunk)
            await engine.transcribe_file(chunk)
            assert engine._client_for_running_loop() is first
            clients.append(first)

        asyncio.run(twice())

    threads = [threading.Thread(target=invocation) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(clients) == 3 and len({id(client) for client in clients}) == 3
    assert server.request_count == 6
