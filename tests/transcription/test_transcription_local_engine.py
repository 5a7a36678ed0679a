"""The offline engine on real speech: accuracy, caption times, its decoder process, chunked input."""

from __future__ import annotations

import os
import re
from itertools import pairwise
from pathlib import Path

import jiwer
import pytest

from mediascribe.config import Settings
from mediascribe.ids import job_id_for_object
from mediascribe.media.split import split_audio_file
from mediascribe.transcription import assemble_transcript, create_engine, transcribe_chunks
from mediascribe.transcription.local_engine import LocalWhisperEngine
from mediascribe.transcription.local_model import load_model, packaged_model
from mediascribe.transcription.runner import SpeechTiming, transcribe_chunk
from mediascribe.workspace import job_workspace
from support.caption_timing import caption_timing
from support.media_factory import ffmpeg_path
from support.process_tree import tree
from support.speech_factory import conversation, make_speech

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
pytestmark = pytest.mark.slow


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9' ]", " ", text.lower())).strip()


def word_error_rate(reference: str, hypothesis: str) -> float:
    return jiwer.wer(normalise(reference), normalise(hypothesis))


@pytest.fixture(scope="module")
def reference_text() -> str:
    return (SAMPLES / "speech-sample.txt").read_text()


async def test_sample_is_transcribed_accurately_with_increasing_timestamps(reference_text):
    engine = create_engine(Settings(transcription_engine="local"))
    assert isinstance(engine, LocalWhisperEngine)

    result = await engine.transcribe_file(SAMPLES / "speech-sample.mp3")

    assert word_error_rate(reference_text, result.text) <= 0.15
    assert result.duration_seconds == pytest.approx(13, abs=3)
    assert len(result.segments) >= 2
    assert all(s.start < s.end for s in result.segments)
    assert all(a.start < b.start and a.end <= b.end for a, b in pairwise(result.segments))
    assert result.segments[-1].end <= result.duration_seconds + 1.0


def test_model_is_loaded_once_per_process():
    path, _name = packaged_model()
    assert load_model(path) is load_model(path)


async def test_chunks_from_the_media_step_assemble_onto_the_source_timeline(tmp_path, reference_text):
    """Split the sample into two real mp3 chunks, transcribe both, check text and offsets."""
    settings = Settings(temp_dir=tmp_path, transcription_engine="local")
    job_id = job_id_for_object("bucket", "uploads/speech-sample.mp3", None)
    with job_workspace(settings.temp_dir, job_id):
        chunks = await split_audio_file(
            SAMPLES / "speech-sample.mp3", 80 * 1024, "speech-sample", job_id, settings=settings
        )
        assert len(chunks) >= 2
        results = await transcribe_chunks(create_engine(settings), chunks, max_concurrency=2)

    transcript = assemble_transcript(results)
    assert word_error_rate(reference_text, transcript.text) <= 0.15
    second_chunk_segments = [s for s in transcript.segments if s.start >= chunks[1].start_seconds]
    assert second_chunk_segments, "the second chunk's speech should sit after its offset"
    assert second_chunk_segments[0].start < chunks[1].start_seconds + 1.0
    segments = transcript.segments
    assert all(a.start <= b.start and a.end <= b.start + 1e-9 for a, b in pairwise(segments))
    assert transcript.audio_seconds == pytest.approx(sum(c.duration_seconds for c in chunks), abs=0.01)


async def test_speech_decoded_in_batches_gets_captions_on_its_lines(tmp_path):
    """Text-only batched decoding, timed by the speech regions: every cue starts on its line."""
    spoken = make_speech(tmp_path / "talk.mp3", conversation(14), gap_seconds=[0.4, 1.2] * 6 + [0.8])
    engine = LocalWhisperEngine.from_settings(Settings(transcription_engine="local", local_batch_size=2))
    timing = SpeechTiming(ffmpeg=ffmpeg_path(), engine_timestamps=True)

    transcript = await transcribe_chunk(engine, 0, tmp_path / "talk.mp3", 0.0, timing=timing)

    captions = caption_timing(spoken, transcript.segments)
    assert captions.missed == 0
    assert captions.median is not None and captions.median <= 0.5
    assert captions.p90 is not None and captions.p90 <= 1.0
    assert max(captions.errors) <= 1.0
    assert captions.over_seconds == 0
    assert word_error_rate(" ".join(line.text for line in spoken), transcript.text) <= 0.15


def test_the_model_runs_in_a_decoder_process_with_the_configured_threads():
    settings = Settings(transcription_engine="local", local_threads=1, local_batch_size=3)
    engine = LocalWhisperEngine.from_settings(settings)
    engine.load()

    decoders = [p for p in tree(os.getpid()) if "mediascribe.transcription.local_decoder" in p.command]
    assert (settings.local_compute_type, "1") in {p.command[-2:] for p in decoders}
    assert (engine.threads, engine.batch_size) == (1, 3)
