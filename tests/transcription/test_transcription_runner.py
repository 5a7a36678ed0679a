"""Transcribing many chunks at once: bounded concurrency, order by index, no partial results."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mediascribe.errors import ChunkTooLargeError, ChunkVerificationError, PermanentTranscriptionError
from mediascribe.media.chunks import AudioChunk, chunk_name
from mediascribe.transcription import assemble_transcript, transcribe_chunk, transcribe_chunks
from mediascribe.transcription.models import EngineResult
from mediascribe.transcription.openai_engine import OpenAIEngine
from support.fake_openai import FakeTranscriptionServer, Reply, error_reply, text_from_marker
from support.media_factory import make_audio

API_KEY = "sk-runner-test"


@pytest.fixture(scope="module")
def tone(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_audio(tmp_path_factory.mktemp("tone") / "tone.mp3", 2.0).read_bytes()


def make_chunks(directory: Path, count: int, tone: bytes, *, seconds: float = 10.0) -> list[AudioChunk]:
    """Chunk files of real audio, each ending in a line that names the words the fake server 'hears'."""
    chunks = []
    for index in range(count):
        name = chunk_name("talk", index)
        path = directory / name
        path.write_bytes(tone + b"\nTEXT:Words of chunk %d.\n" % index)
        chunks.append(AudioChunk(index, path, name, path.stat().st_size, index * seconds, seconds))
    return chunks


def engine_for(server: FakeTranscriptionServer, **overrides) -> OpenAIEngine:
    options = {"api_key": API_KEY, "base_url": server.base_url, "max_retries": 0, "timeout_seconds": 30.0}
    return OpenAIEngine(**(options | overrides))


@dataclass
class ObservingEngine:
    """Wraps a real engine and records when each chunk finishes or is cancelled."""

    inner: OpenAIEngine
    finished: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def model(self) -> str:
        return self.inner.model

    async def transcribe_file(self, path: Path) -> EngineResult:
        try:
            result = await self.inner.transcribe_file(path)
        except asyncio.CancelledError:
            self.cancelled.append(path.name)
            raise
        self.finished.append(path.name)
        return result


async def test_out_of_order_completion_is_returned_and_joined_in_index_order(tmp_path, tone):
    chunks = make_chunks(tmp_path, 8, tone)
    with FakeTranscriptionServer(text_for=text_from_marker, latency=(0.0, 0.4), seed=11) as server:
        engine = ObservingEngine(engine_for(server))
        results = await transcribe_chunks(engine, list(reversed(chunks)), max_concurrency=8)

    assert engine.finished != [c.name for c in chunks], "latency should have shuffled completion order"
    assert [r.index for r in results] == list(range(8))
    assert [r.text for r in results] == [f"Words of chunk {i}." for i in range(8)]
    transcript = assemble_transcript(results)
    assert transcript.text == " ".join(f"Words of chunk {i}." for i in range(8))
    assert [s.start for s in transcript.segments] == [i * 10.0 for i in range(8)]
    assert server.max_in_flight > 1


async def test_concurrency_is_bounded(tmp_path, tone):
    chunks = make_chunks(tmp_path, 6, tone)
    with FakeTranscriptionServer(latency=0.2) as server:
        results = await transcribe_chunks(engine_for(server), chunks, max_concurrency=2)

    assert len(results) == 6
    assert server.request_count == 6
    assert server.max_in_flight == 2


async def test_one_failure_cancels_the_rest_and_raises_the_typed_error(tmp_path, tone):
    chunks = make_chunks(tmp_path, 5, tone)

    def replies(request):
        if request.filename == chunks[2].name:
            return error_reply(403, delay_seconds=0.2)
        return Reply(delay_seconds=20)

    with FakeTranscriptionServer(replies=replies, hang_seconds=1) as server:
        engine = ObservingEngine(engine_for(server))
        with pytest.raises(PermanentTranscriptionError, match="403"):
            await transcribe_chunks(engine, chunks, max_concurrency=5)

    assert engine.finished == []
    assert sorted(engine.cancelled) == sorted(c.name for i, c in enumerate(chunks) if i != 2)


async def test_duplicate_indexes_are_refused_before_any_request(tmp_path, tone):
    chunk = make_chunks(tmp_path, 1, tone)[0]
    with FakeTranscriptionServer() as server:
        with pytest.raises(ChunkVerificationError, match="duplicate"):
            await transcribe_chunks(engine_for(server), [chunk, chunk], max_concurrency=2)
        assert server.request_count == 0


async def test_single_chunk_carries_offset_engine_and_chunk_duration_for_text_only_models(tmp_path, tone):
    chunk = make_chunks(tmp_path, 3, tone)[2]
    with FakeTranscriptionServer(text_for=text_from_marker) as server:
        engine = engine_for(server, model="gpt-4o-mini-transcribe")
        result = await transcribe_chunk(engine, 2, chunk.path, 20.0, duration_seconds=9.5)

    assert result.index == 2
    assert result.text == "Words of chunk 2."
    assert result.segments == ()
    assert result.offset_seconds == 20.0
    assert result.duration_seconds == 9.5
    assert (result.engine, result.model) == ("openai", "gpt-4o-mini-transcribe")


async def test_oversized_chunk_is_refused_by_transcribe_chunk_without_a_request(tmp_path):
    big = tmp_path / "talk_audio_0.mp3"
    with big.open("wb") as handle:
        handle.truncate(26_214_401)
    with FakeTranscriptionServer() as server:
        with pytest.raises(ChunkTooLargeError):
            await transcribe_chunk(engine_for(server), 0, big, 0.0)
        assert server.request_count == 0
