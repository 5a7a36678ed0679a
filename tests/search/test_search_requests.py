"""Search requests without a database: query parameters, cursors, languages and segment batches."""

from __future__ import annotations

import json

import pytest

from mediascribe.local.search_cli import format_hit
from mediascribe.search.languages import configuration_for, normalised_language
from mediascribe.search.queries import MAX_LIMIT, Cursor, InvalidSearchError, SearchQuery
from mediascribe.search.segment_rows import request_bytes, segment_batches
from mediascribe.transcription.models import Segment

JOB = "5e5bf43a-895e-5e60-a69a-c91905330277"


def test_query_parameters_become_a_query() -> None:
    cursor = Cursor(0.25, JOB, 7)
    query = SearchQuery.from_params(
        {"q": "budget", "limit": "5", "cursor": cursor.encode(), "language": "en"}
    )
    assert query == SearchQuery("budget", limit=5, after=cursor, language="en")
    assert query.configuration == "english"
    assert SearchQuery.from_params({"q": "budget"}) == SearchQuery("budget", limit=20)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "budget", "limit": "0"},
        {"q": "budget", "limit": str(MAX_LIMIT + 1)},
        {"q": "budget", "limit": "-1"},
        {"q": "budget", "limit": "1e3"},
    ],
)
def test_a_missing_query_or_a_limit_out_of_range_is_refused(params) -> None:
    with pytest.raises(InvalidSearchError):
        SearchQuery.from_params(params)


def test_a_cursor_survives_the_round_trip_exactly() -> None:
    # A float4 rank widened to double: its exact value must come back, or a page would repeat a hit.
    rank = 0.10000000149011612
    assert Cursor.decode(Cursor(rank, JOB, 3).encode()) == Cursor(rank, JOB, 3)


@pytest.mark.parametrize(
    "raw",
    [
        "not base64 !",
        json.dumps([0.1, JOB]),
        json.dumps([0.1, "not-a-uuid", 1]),
        json.dumps([0.1, JOB, -1]),
        json.dumps([True, JOB, 1]),
        json.dumps(["NaN", JOB, 1]),
        json.dumps([0.1, JOB, 1]) + " " * 300,
    ],
)
def test_a_cursor_the_search_did_not_write_is_refused(raw) -> None:
    import base64

    text = raw if raw.startswith("not") else base64.urlsafe_b64encode(raw.encode()).decode()
    with pytest.raises(InvalidSearchError, match="cursor"):
        Cursor.decode(text)


@pytest.mark.parametrize(
    ("language", "configuration", "recorded"),
    [
        ("en", "english", "en"),
        ("EN-us", "english", "en"),
        ("de", "german", "de"),
        ("ja", "simple", "ja"),
        (None, "simple", None),
        ("english", "simple", None),
    ],
)
def test_languages_map_to_configurations(language, configuration, recorded) -> None:
    assert configuration_for(language) == configuration
    assert normalised_language(language) == recorded


def test_batches_keep_to_the_request_budget_with_every_escape_counted() -> None:
    text = 'Grüße "aus" Köln \\ 😀 ' * 30
    segments = [Segment(float(i), i + 1.0, text) for i in range(200)]
    limit = 20_000
    batches = list(segment_batches(segments, limit=limit))
    assert len(batches) > 1
    assert all(request_bytes(batch) <= limit for batch in batches)
    assert [row["idx"] for batch in batches for row in batch] == list(range(200))


def test_a_segment_larger_than_the_budget_is_a_batch_of_its_own() -> None:
    segments = [Segment(0.0, 1.0, "short"), Segment(1.0, 2.0, "x" * 5000), Segment(2.0, 3.0, "short")]
    assert [len(batch) for batch in segment_batches(segments, limit=1000)] == [1, 1, 1]


def test_a_hit_prints_on_one_line_with_its_time_span() -> None:
    hit = {
        "job_id": JOB,
        "title": "talk.mp3",
        "source_key": "uploads/talk.mp3",
        "start": 3725.4,
        "end": 3731.0,
        "speaker": "Speaker 2",
        "snippet": "the «budget»",
    }
    assert format_hit(hit) == f"{JOB}  [1:02:05-1:02:11]  talk.mp3  Speaker 2: the «budget»"
