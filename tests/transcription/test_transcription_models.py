"""Chunk transcripts cross the Map as JSON in S3: speakers, word timings and speech seconds survive."""

from __future__ import annotations

import json

from mediascribe.transcription.models import ChunkTranscript, Segment, Word


def test_segments_with_speakers_and_words_round_trip_through_chunk_json() -> None:
    chunk = ChunkTranscript(
        index=2,
        text="Hello there. Hi.",
        segments=(
            Segment(
                0.5, 1.6, "Hello there.", "Speaker 1", (Word(0.5, 0.9, "Hello"), Word(1.0, 1.6, "there."))
            ),
            Segment(2.0, 2.4, "Hi.", "Speaker 2"),
            Segment(3.0, 3.5, "Plain."),
        ),
        duration_seconds=4.0,
        offset_seconds=600.0,
        engine="amazon",
        model="amazon-transcribe",
        speech_seconds=2.1,
    )
    again = ChunkTranscript.from_dict(json.loads(json.dumps(chunk.to_dict())))
    assert again == chunk
    assert again.segments[0].words[1] == Word(1.0, 1.6, "there.")


def test_older_chunk_json_without_the_new_fields_still_loads() -> None:
    data = {
        "index": 0,
        "text": "x",
        "segments": [{"start": 0, "end": 1, "text": "x"}],
        "duration_seconds": None,
        "offset_seconds": 0,
        "engine": "openai",
        "model": "whisper-1",
    }
    chunk = ChunkTranscript.from_dict(data)
    assert chunk.segments == (Segment(0.0, 1.0, "x"),)
    assert chunk.speech_seconds is None
    assert chunk.segments[0].speaker is None and chunk.segments[0].words == ()


def test_shifting_a_segment_moves_its_words() -> None:
    segment = Segment(1.0, 2.0, "a b", "Speaker 1", (Word(1.0, 1.4, "a"), Word(1.5, 2.0, "b")))
    assert segment.shifted(10.0) == Segment(
        11.0, 12.0, "a b", "Speaker 1", (Word(11.0, 11.4, "a"), Word(11.5, 12.0, "b"))
    )
