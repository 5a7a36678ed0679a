"""Assembly on the file's timeline and the caption formats, parsed back by real readers."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
import srt
import webvtt

from mediascribe.errors import ChunkVerificationError
from mediascribe.transcription import ChunkTranscript, Segment, assemble_transcript
from mediascribe.transcription.captions import to_json, to_srt, to_text, to_vtt
from support.media_factory import ffmpeg_path

# Two chunks cut at 600.25 s (the media step reports real cut points, not round numbers). The first
# chunk's last segment runs past the cut; the second has a blank segment.
CHUNK_0 = ChunkTranscript(
    index=0,
    text="Hello there. This sentence crosses the cut.",
    segments=(Segment(0.0, 2.5, " Hello there."), Segment(597.0, 601.0, "This sentence crosses the cut.")),
    duration_seconds=600.25,
    offset_seconds=0.0,
    engine="openai",
    model="whisper-1",
)
CHUNK_1 = ChunkTranscript(
    index=1,
    text="Second chunk starts here.\nIt has two lines.",
    segments=(
        Segment(0.0, 1.5, "Second chunk starts here.\nIt has two lines."),
        Segment(1.5, 2.0, "   "),
        Segment(3125.25, 3126.5, "Much later --> still fine."),
    ),
    duration_seconds=3200.0,
    offset_seconds=600.25,
    engine="openai",
    model="whisper-1",
)


def td(seconds: float) -> timedelta:
    return timedelta(milliseconds=round(seconds * 1000))


def test_chunk_transcript_round_trips_through_json():
    restored = ChunkTranscript.from_dict(json.loads(json.dumps(CHUNK_1.to_dict())))
    assert restored == CHUNK_1


def test_assembly_orders_by_index_and_shifts_by_offset():
    transcript = assemble_transcript([CHUNK_1, CHUNK_0])

    assert transcript.text == f"{CHUNK_0.text} {CHUNK_1.text}"
    assert transcript.chunk_count == 2
    assert transcript.model == "whisper-1"
    assert transcript.audio_seconds == 3800.25
    assert [(s.start, s.end) for s in transcript.segments] == [
        (0.0, 2.5),
        (597.0, 600.25),  # clamped to the cut, where the next chunk starts
        (600.25, 601.75),
        (3725.5, 3726.75),
    ]
    assert transcript.segments[0].text == "Hello there."


def test_missing_chunk_is_an_error_not_a_shorter_transcript():
    third = ChunkTranscript.from_dict({**CHUNK_1.to_dict(), "index": 2})
    with pytest.raises(ChunkVerificationError, match="contiguous"):
        assemble_transcript([CHUNK_0, third])


def test_untimed_text_starts_with_its_chunk_and_lasts_as_long_as_its_words():
    chunks = [
        ChunkTranscript(i, f"Chunk {i} words.", (), duration, offset, "openai", "gpt-4o-transcribe")
        for i, (offset, duration) in enumerate([(0.0, 300.0), (300.0, None), (612.5, None)])
    ]
    transcript = assemble_transcript(chunks)

    assert transcript.text == "Chunk 0 words. Chunk 1 words. Chunk 2 words."
    assert [(s.start, s.end, s.text) for s in transcript.segments] == [
        (0.0, 1.2, "Chunk 0 words."),
        (300.0, 301.2, "Chunk 1 words."),
        (612.5, 613.7, "Chunk 2 words."),
    ]
    parsed = list(srt.parse(to_srt(transcript)))
    assert [(c.start, c.end) for c in parsed] == [
        (td(0), td(1.2)),
        (td(300), td(301.2)),
        (td(612.5), td(613.7)),
    ]


def test_srt_parses_back_with_monotonic_times_across_the_boundary():
    transcript = assemble_transcript([CHUNK_0, CHUNK_1])
    parsed = list(srt.parse(to_srt(transcript)))

    assert [c.index for c in parsed] == [1, 2, 3, 4]
    assert [(c.start, c.end) for c in parsed] == [(td(s.start), td(s.end)) for s in transcript.segments]
    assert parsed[2].content == "Second chunk starts here. It has two\nlines."
    assert parsed[3].content == "Much later -> still fine."
    assert all(a.end <= b.start for a, b in pairwise(parsed))
    assert "01:02:05,500 --> 01:02:06,750" in to_srt(transcript)


def test_vtt_parses_back_with_the_same_cues():
    transcript = assemble_transcript([CHUNK_0, CHUNK_1])
    document = to_vtt(transcript)
    assert document.startswith("WEBVTT\n\n")

    captions = webvtt.from_string(document).captions
    assert [(c.start, c.end) for c in captions] == [
        ("00:00:00.000", "00:00:02.500"),
        ("00:09:57.000", "00:10:00.250"),
        ("00:10:00.250", "00:10:01.750"),
        ("01:02:05.500", "01:02:06.750"),
    ]
    assert captions[1].text == "This sentence crosses the cut."


def test_ffmpeg_reads_the_srt(tmp_path: Path):
    transcript = assemble_transcript([CHUNK_0, CHUNK_1])
    source = tmp_path / "out.srt"
    source.write_text(to_srt(transcript), encoding="utf-8")
    rewritten = tmp_path / "rewritten.srt"

    subprocess.run(
        [ffmpeg_path(), "-v", "error", "-nostdin", "-i", str(source), "-c:s", "srt", str(rewritten)],
        check=True,
        capture_output=True,
    )

    original = list(srt.parse(source.read_text()))
    again = list(srt.parse(rewritten.read_text()))
    assert [(c.start, c.end, c.content) for c in again] == [(c.start, c.end, c.content) for c in original]


def test_json_and_text_outputs():
    transcript = assemble_transcript([CHUNK_0, CHUNK_1])

    document = json.loads(to_json(transcript))
    assert document["text"] == transcript.text
    assert document["chunk_count"] == 2
    assert document["model"] == "whisper-1"
    assert document["audio_seconds"] == 3800.25
    assert document["segments"][2] == {
        "start": 600.25,
        "end": 601.75,
        "text": "Second chunk starts here. It has two lines.",
    }
    assert to_text(transcript) == transcript.text + "\n"


def test_an_empty_transcript_gives_valid_empty_captions():
    silent = ChunkTranscript(0, "", (), 12.0, 0.0, "local", "faster-whisper/tiny.en")
    transcript = assemble_transcript([silent])

    assert transcript.text == ""
    assert transcript.segments == ()
    assert to_srt(transcript) == ""
    assert webvtt.from_string(to_vtt(transcript)).captions == []
    assert to_text(transcript) == ""
