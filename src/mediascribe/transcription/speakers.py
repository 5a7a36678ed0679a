"""Speaker labels across chunks.

An engine numbers the speakers of each request from 1, so "Speaker 1" of the second chunk need not be
the person who was "Speaker 1" in the first. A label must never silently change its person mid-file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from mediascribe.config import Settings
from mediascribe.transcription.catalog import ModelSpec
from mediascribe.transcription.models import ChunkTranscript


def distinct_speakers(chunks: Sequence[ChunkTranscript]) -> list[ChunkTranscript]:
    """Chunks in order, with file-wide speaker labels when more than one chunk has speakers.

    Speakers are numbered in order of first appearance and each chunk's speakers count as new ones:
    a person who talks on both sides of a chunk boundary gets a second label, but no label ever
    names two people. A file that fits in one chunk keeps the engine's own labels.
    """
    ordered = sorted(chunks, key=lambda chunk: chunk.index)
    if sum(1 for chunk in ordered if any(s.speaker for s in chunk.segments)) <= 1:
        return ordered
    names: dict[tuple[int, str], str] = {}
    relabelled = []
    for chunk in ordered:
        segments = tuple(
            replace(s, speaker=names.setdefault((chunk.index, s.speaker), f"Speaker {len(names) + 1}"))
            if s.speaker
            else s
            for s in chunk.segments
        )
        relabelled.append(replace(chunk, segments=segments))
    return relabelled


def planning_settings(settings: Settings, spec: ModelSpec) -> Settings:
    """The settings the chunk planner works with: with speaker labels on, chunks as long as the
    model's cap and the byte budget allow (``CHUNK_TARGET_SECONDS`` is not applied), so most files are
    one request and keep one set of labels."""
    if settings.transcription_speakers and spec.returns_speakers and spec.max_audio_seconds:
        return settings.with_overrides(
            chunk_target_seconds=max(spec.max_audio_seconds, settings.chunk_target_seconds)
        )
    return settings
