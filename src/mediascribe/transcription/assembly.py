"""Joining chunk transcripts into the file's transcript, in chunk order and on the file's timeline."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from mediascribe.errors import ChunkVerificationError
from mediascribe.transcription.cues import shape_cues
from mediascribe.transcription.models import ChunkTranscript, Segment, Transcript

# Speaking rate that gives untimed text (and a final chunk of unknown duration) a plausible caption span.
SECONDS_PER_WORD = 0.4


def assemble_transcript(chunk_transcripts: Iterable[ChunkTranscript]) -> Transcript:
    """Order by chunk index, shift segments by each chunk's offset and make readable, captions-safe
    cues of them (see ``cues.shape_cues``).

    Indexes must be unique and contiguous: a missing chunk would silently drop speech, so it is an
    error rather than a shorter transcript.
    """
    ordered = sorted(chunk_transcripts, key=lambda c: c.index)
    _check_indexes(ordered)
    text = " ".join(c.text.strip() for c in ordered if c.text.strip())
    raw: list[Segment] = []
    for position, chunk in enumerate(ordered):
        following = ordered[position + 1] if position + 1 < len(ordered) else None
        raw.extend(_absolute_segments(chunk, following))
    models = sorted({c.model for c in ordered})
    segments = _monotonic(shape_cues(raw))
    return Transcript(
        text=text,
        segments=tuple(segments),
        chunk_count=len(ordered),
        model="+".join(models),
        audio_seconds=_audio_seconds(ordered, raw),
        speech_seconds=_speech_seconds(ordered),
        speakers=tuple(dict.fromkeys(s.speaker for s in segments if s.speaker)),
    )


def _check_indexes(ordered: Sequence[ChunkTranscript]) -> None:
    indexes = [c.index for c in ordered]
    if indexes and indexes != list(range(indexes[0], indexes[0] + len(indexes))):
        raise ChunkVerificationError(f"chunk indexes are not unique and contiguous: {indexes}")


def _chunk_span(chunk: ChunkTranscript, following: ChunkTranscript | None) -> float:
    if chunk.duration_seconds is not None:
        return chunk.duration_seconds
    if following is not None:
        return max(following.offset_seconds - chunk.offset_seconds, 0.0)
    return max(1.0, SECONDS_PER_WORD * len(chunk.text.split()))


def _absolute_segments(chunk: ChunkTranscript, following: ChunkTranscript | None) -> list[Segment]:
    """Segments on the file's timeline; an untimed chunk's text (a text-only answer transcribed
    without speech timing) starts with the chunk and lasts as long as its words take to say."""
    span = _chunk_span(chunk, following)
    start, end = chunk.offset_seconds, chunk.offset_seconds + span
    if not chunk.segments:
        spoken = min(span, max(1.0, SECONDS_PER_WORD * len(chunk.text.split())))
        return [Segment(start, start + spoken, chunk.text.strip())] if chunk.text.strip() else []
    # Whisper sometimes reports an end slightly past the audio; keep it inside the chunk.
    shifted = (s.shifted(start) for s in chunk.segments)
    return [replace(s, start=min(s.start, end), end=min(s.end, end), text=s.text.strip()) for s in shifted]


def _monotonic(segments: Iterable[Segment]) -> list[Segment]:
    """Sorted, without empty text, each ending no later than the next one starts (unless they start
    together, where clamping would leave a zero-length cue)."""
    kept = sorted((s for s in segments if s.text.strip()), key=lambda s: (s.start, s.end))
    result: list[Segment] = []
    for position, segment in enumerate(kept):
        end = max(segment.end, segment.start)
        if position + 1 < len(kept) and segment.start < kept[position + 1].start < end:
            end = kept[position + 1].start
        result.append(replace(segment, end=end, text=segment.text.strip()))
    return result


def _speech_seconds(ordered: Sequence[ChunkTranscript]) -> float | None:
    """Speech found in all chunks; unknown when any chunk was not analysed."""
    seconds = [c.speech_seconds for c in ordered]
    if not seconds or any(s is None for s in seconds):
        return None
    return round(sum(s for s in seconds if s is not None), 3)


def _audio_seconds(ordered: Sequence[ChunkTranscript], segments: Sequence[Segment]) -> float:
    ends = [c.offset_seconds + c.duration_seconds for c in ordered if c.duration_seconds is not None]
    ends.extend(s.end for s in segments)
    return round(max(ends, default=0.0), 3)
