"""Readable cues whatever the engine returns, and speakers shown in every format."""

from __future__ import annotations

import json
from itertools import pairwise

import srt
import webvtt

from mediascribe.transcription import ChunkTranscript, Segment, assemble_transcript
from mediascribe.transcription.captions import to_json, to_srt, to_text, to_vtt
from mediascribe.transcription.cues import MAX_CUE_SECONDS, shape_cues, wrap
from mediascribe.transcription.models import Word

LONG = (
    "Good morning and welcome to the weekly planning meeting. Today we will look at the budget for the "
    "next quarter, and then at the hiring plan. The new office opens in March, a little later than we "
    "hoped, because the builders found problems with the roof."
)


def chunk(*segments: Segment, text: str = "x") -> ChunkTranscript:
    return ChunkTranscript(0, text, segments, 60.0, 0.0, "amazon", "amazon-transcribe")


def test_a_long_segment_becomes_short_cues_of_two_short_lines_in_order() -> None:
    cues = shape_cues([Segment(10.0, 34.0, LONG)])

    assert " ".join(cue.text for cue in cues) == LONG
    assert all(cue.end - cue.start <= MAX_CUE_SECONDS for cue in cues)
    assert all(len(wrap(cue.text)) <= 2 and all(len(line) <= 42 for line in wrap(cue.text)) for cue in cues)
    assert cues[0].start == 10.0 and cues[-1].end == 34.0
    assert all(a.end <= b.start for a, b in pairwise(cues))
    # A cut after a sentence end is preferred to one in the middle of the next sentence.
    assert cues[1].text.startswith("Today")


def test_word_timings_decide_where_cues_start() -> None:
    words = tuple(Word(1.0 + i * 0.9, 1.6 + i * 0.9, f"word{i}") for i in range(12))
    cues = shape_cues([Segment(0.5, 12.0, " ".join(w.text for w in words), "Speaker 2", words)])

    assert [cue.start for cue in cues] == [words[0].start, *[c.words[0].start for c in cues[1:]]]
    assert cues[0].start == 1.0
    assert all(cue.speaker == "Speaker 2" and cue.words for cue in cues)
    assert all(cue.end - cue.start <= MAX_CUE_SECONDS for cue in cues)


def test_speakers_in_srt_vtt_text_and_json() -> None:
    transcript = assemble_transcript(
        [
            chunk(
                Segment(0.0, 2.0, "Hello, who is there?", "Speaker 1"),
                Segment(2.5, 4.0, "It is me.", "Speaker 2"),
                Segment(4.5, 6.0, "Come in, then.", "Speaker 1"),
                Segment(6.5, 8.0, "Thank you.", "Speaker 1"),
            )
        ]
    )
    assert transcript.speakers == ("Speaker 1", "Speaker 2")

    subtitles = [s.content for s in srt.parse(to_srt(transcript))]
    assert subtitles == [
        "Speaker 1: Hello, who is there?",
        "Speaker 2: It is me.",
        "Speaker 1: Come in, then.",
        "Thank you.",  # same speaker as the cue before: no prefix
    ]
    captions = webvtt.from_string(to_vtt(transcript)).captions
    assert [c.voice for c in captions] == ["Speaker 1", "Speaker 2", "Speaker 1", "Speaker 1"]
    assert captions[1].text == "It is me."
    assert to_text(transcript) == (
        "Speaker 1: Hello, who is there?\n\nSpeaker 2: It is me.\n\nSpeaker 1: Come in, then. Thank you.\n"
    )
    document = json.loads(to_json(transcript))
    assert document["speakers"] == ["Speaker 1", "Speaker 2"]
    assert document["segments"][1]["speaker"] == "Speaker 2"


def test_speaker_prefix_counts_towards_the_line_length() -> None:
    text = "This sentence is just long enough to need both of the two lines here."
    transcript = assemble_transcript([chunk(Segment(0.0, 5.0, text, "Speaker 12"))])
    for cue in srt.parse(to_srt(transcript)):
        assert all(len(line) <= 42 for line in cue.content.splitlines())
        assert len(cue.content.splitlines()) <= 2


def test_without_speakers_the_outputs_name_none() -> None:
    transcript = assemble_transcript([chunk(Segment(0.0, 2.0, "Just text."), text="Just text.")])
    assert transcript.speakers == ()
    assert [s.content for s in srt.parse(to_srt(transcript))] == ["Just text."]
    assert "<v" not in to_vtt(transcript)
    assert to_text(transcript) == "Just text.\n"
    assert json.loads(to_json(transcript))["speakers"] == []
