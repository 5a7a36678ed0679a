"""Placing text on the speech: pieces cut at the longest pauses, text spread over regions, onsets."""

from __future__ import annotations

from mediascribe.transcription.models import Segment, Word
from mediascribe.transcription.speech import SpeechRegion
from mediascribe.transcription.timing import on_speech, plan_pieces, segments_from_text

R = SpeechRegion


def test_pieces_are_cut_at_the_longest_pauses_and_padded_into_the_silence() -> None:
    regions = [R(1.0, 9.0), R(9.4, 18.0), R(20.0, 28.0), R(28.3, 36.0)]
    pieces = plan_pieces(regions, 40.0, max_seconds=20.0)

    assert [piece.regions for piece in pieces] == [tuple(regions[:2]), tuple(regions[2:])]
    assert (pieces[0].start, pieces[0].end) == (0.75, 18.25)
    assert (pieces[1].start, pieces[1].end) == (19.75, 36.25)


def test_padding_never_reaches_past_half_the_pause() -> None:
    pieces = plan_pieces([R(0.1, 5.0), R(5.2, 9.0)], 9.05, max_seconds=5.0)
    assert [(p.start, p.end) for p in pieces] == [(0.05, 5.1), (5.1, 9.025)]


def test_text_is_spread_by_speaking_time_and_cut_at_sentence_ends() -> None:
    text = "The first line is here. And this second line runs a little longer than that."
    segments = segments_from_text(text, [R(0.5, 2.0), R(3.0, 6.4)], offset=100.0)

    assert [(s.start, s.end, s.text) for s in segments] == [
        (100.5, 102.0, "The first line is here."),
        (103.0, 106.4, "And this second line runs a little longer than that."),
    ]


def test_without_punctuation_the_cut_follows_speaking_time() -> None:
    segments = segments_from_text("one two three four five six", [R(0.0, 1.0), R(2.0, 3.0)])
    assert [s.text for s in segments] == ["one two three", "four five six"]


def test_segments_move_onto_onsets_and_made_up_ones_go() -> None:
    regions = [R(1.0, 3.0), R(5.0, 8.0)]
    segments = [
        Segment(0.2, 2.8, "early start", words=(Word(0.2, 0.9, "early"), Word(1.2, 2.8, "start"))),
        Segment(3.4, 4.6, "in the pause"),
        Segment(5.2, 6.0, "just late"),
        Segment(6.5, 8.0, "mid speech"),
    ]

    kept = on_speech(segments, regions)

    assert [(s.start, s.text) for s in kept] == [
        (1.0, "early start"),
        (5.0, "just late"),
        (6.5, "mid speech"),
    ]
    assert kept[0].words[0] == Word(1.0, 1.0, "early")


def _evenly_spaced(count: int, speech: float, pause: float) -> list[SpeechRegion]:
    period = speech + pause
    return [R(round(n * period, 3), round(n * period + speech, 3)) for n in range(count)]


def test_evenly_spaced_speech_goes_as_few_long_pieces_not_one_region_each() -> None:
    regions = _evenly_spaced(120, 2.0, 0.5)  # five minutes, a pause every 2.5 s
    pieces = plan_pieces(regions, 300.0, max_seconds=30.0)

    spans = [piece.regions[-1].end - piece.regions[0].start for piece in pieces]
    assert len(pieces) == 10
    assert all(20.0 <= span <= 30.0 for span in spans), spans
    assert [region for piece in pieces for region in piece.regions] == regions


def test_the_last_piece_is_no_short_remnant() -> None:
    regions = _evenly_spaced(26, 2.0, 0.5)  # 64.5 s: three pieces of 30 s would leave 4.5 s over
    pieces = plan_pieces(regions, 65.0, max_seconds=30.0)

    spans = [piece.regions[-1].end - piece.regions[0].start for piece in pieces]
    assert len(pieces) == 3
    assert min(spans) >= 17.0, spans


def test_a_long_pause_wins_over_short_ones_nearer_the_middle() -> None:
    regions = [
        *_evenly_spaced(5, 2.0, 0.5),
        *[R(r.start + 15.0, r.end + 15.0) for r in _evenly_spaced(10, 2.0, 0.5)],
    ]
    pieces = plan_pieces(regions, 40.0, max_seconds=30.0)

    assert [piece.regions for piece in pieces] == [tuple(regions[:5]), tuple(regions[5:])]


def test_a_region_longer_than_a_piece_stays_whole() -> None:
    regions = [R(0.0, 5.0), R(6.0, 50.0), R(51.0, 55.0)]
    pieces = plan_pieces(regions, 56.0, max_seconds=30.0)

    assert [piece.regions for piece in pieces] == [(regions[0],), (regions[1],), (regions[2],)]
    assert (pieces[1].start, pieces[1].end) == (5.75, 50.25)
