"""Speaker labels across chunks: a label never names two people in one file."""

from __future__ import annotations

from mediascribe.config import Settings
from mediascribe.transcription.catalog import AMAZON_MODEL
from mediascribe.transcription.models import ChunkTranscript, Segment
from mediascribe.transcription.speakers import distinct_speakers, planning_settings


def chunk(index: int, *speakers: str | None) -> ChunkTranscript:
    segments = tuple(Segment(float(i), i + 0.5, f"line {i}", speaker) for i, speaker in enumerate(speakers))
    return ChunkTranscript(
        index=index,
        text=" ".join(s.text for s in segments),
        segments=segments,
        duration_seconds=10.0,
        offset_seconds=10.0 * index,
        engine="amazon",
        model="transcribe-audio",
    )


def labels(chunks: list[ChunkTranscript]) -> list[list[str | None]]:
    return [[s.speaker for s in c.segments] for c in chunks]


def test_one_chunk_keeps_the_engines_labels() -> None:
    only = [chunk(0, "Speaker 1", "Speaker 2", "Speaker 1")]
    assert distinct_speakers(only) == only


def test_each_chunks_speakers_are_new_speakers_numbered_across_the_file() -> None:
    chunks = [chunk(1, "Speaker 1", "Speaker 2"), chunk(0, "Speaker 1", "Speaker 2", "Speaker 1")]
    assert labels(distinct_speakers(chunks)) == [
        ["Speaker 1", "Speaker 2", "Speaker 1"],
        ["Speaker 3", "Speaker 4"],
    ]


def test_chunks_without_speakers_stay_unlabelled() -> None:
    chunks = [chunk(0, "Speaker 1"), chunk(1, None, None), chunk(2, "Speaker 1")]
    assert labels(distinct_speakers(chunks)) == [["Speaker 1"], [None, None], ["Speaker 2"]]


def test_with_speaker_labels_the_planner_gets_no_chunk_target_below_the_models_cap() -> None:
    labelled = Settings(transcription_engine="amazon", transcription_speakers=2, chunk_target_seconds=600.0)
    assert planning_settings(labelled, AMAZON_MODEL).chunk_target_seconds == 3600.0
    unlabelled = Settings(transcription_engine="amazon", chunk_target_seconds=600.0)
    assert planning_settings(unlabelled, AMAZON_MODEL) is unlabelled
