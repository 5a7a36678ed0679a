"""Searching stored segments over both adapters: query syntax, ranking, snippets, paging, visibility."""

from __future__ import annotations

import pytest

from mediascribe.search.queries import SearchQuery, SegmentSearch
from mediascribe.transcription.models import Segment
from mediascribe.workflow.access import Caller, may_read


def _search(executor, text: str, *, prefix: str | None = None, **options) -> list[dict]:
    page = SegmentSearch(executor).search(SearchQuery(text, **options), prefix=prefix)
    return [hit.to_dict() for hit in page.hits]


def test_a_hit_names_its_job_and_where_the_words_were_said(finished_job, executor) -> None:
    job = finished_job(
        [
            Segment(0.0, 3.2, "Good morning everyone.", "Speaker 1"),
            Segment(3.2, 7.9, "Today we look at the budget for the quarter.", "Speaker 2"),
        ],
        filename="planning.mp3",
    )
    (hit,) = _search(executor, "budget quarter")
    assert hit == {
        "job_id": job.id,
        "title": "planning.mp3",
        "source_key": job.source.key,
        "start": 3.2,
        "end": 7.9,
        "speaker": "Speaker 2",
        "snippet": "Today we look at the «budget» for the «quarter».",
    }


def test_web_search_syntax_phrases_or_and_leaving_words_out(finished_job, executor) -> None:
    job = finished_job(
        [
            "the red house by the river",
            "a house that is red",
            "the blue boat on the lake",
        ]
    )
    texts = {hit["start"]: hit for hit in _search(executor, '"red house"')}
    assert sorted(texts) == [0.0]
    assert sorted(hit["start"] for hit in _search(executor, "river or lake")) == [0.0, 10.0]
    assert sorted(hit["start"] for hit in _search(executor, "red -river")) == [5.0]
    assert {hit["job_id"] for hit in _search(executor, "house")} == {job.id}
    # Operators and punctuation a tsquery would choke on are only words here.
    assert _search(executor, "red & | ! :* (house") != []


def test_the_closest_match_ranks_first(finished_job, executor) -> None:
    far = finished_job(["budget talk, and much later, after many other words, the quarter"])
    near = finished_job(["the quarter budget"])
    hits = _search(executor, "quarter budget")
    assert [hit["job_id"] for hit in hits] == [near.id, far.id]


def test_pages_follow_the_cursor_without_repeats_or_gaps(finished_job, repository, executor) -> None:
    for _ in range(3):
        finished_job([f"meeting number {n}" for n in range(5)])
    everything = _search(executor, "meeting", limit=50)
    assert len(everything) == 15
    seen, cursor, pages = [], None, 0
    while True:
        page = SegmentSearch(executor).search(
            SearchQuery("meeting", limit=4, after=cursor and _decode(cursor)), prefix=None
        )
        seen.extend(hit.to_dict() for hit in page.hits)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 4
    assert seen == everything


def _decode(cursor: str):
    from mediascribe.search.queries import Cursor

    return Cursor.decode(cursor)


def test_only_completed_jobs_are_found(finished_job, executor) -> None:
    finished_job(["the budget draft"], complete=False)
    done = finished_job(["the budget"])
    assert [hit["job_id"] for hit in _search(executor, "budget")] == [done.id]


def test_a_caller_finds_only_jobs_under_its_folder_by_the_rule_of_job_status(finished_job, executor) -> None:
    mine = "uploads/u-0123456789abcdef0123/"
    keys = {
        "own": finished_job(["budget"], folder=f"{mine}a"),
        "own, deeper": finished_job(["budget"], folder=f"{mine}a/b"),
        "another caller's": finished_job(["budget"], folder="uploads/u-ffffffffffffffffffff"),
        "a look-alike folder": finished_job(["budget"], folder="uploads/u-0123456789abcdef01234"),
        "climbing out": finished_job(["budget"], folder=f"{mine}../u-ffffffffffffffffffff"),
        "dropped in the bucket": finished_job(["budget"], folder="uploads"),
    }
    caller = Caller("arn:aws:iam::123456789012:user/a", mine, is_admin=False)
    expected = {job.id for job in keys.values() if may_read(caller, job.source.key)}
    assert expected == {keys["own"].id, keys["own, deeper"].id}
    assert {hit["job_id"] for hit in _search(executor, "budget", prefix=mine)} == expected
    assert len(_search(executor, "budget", prefix=None)) == len(keys)


def test_a_prefix_with_like_wildcards_is_taken_literally(finished_job, executor) -> None:
    finished_job(["budget"], folder="uploads/u-aXb")
    assert _search(executor, "budget", prefix="uploads/u-a_b/") == []
    assert _search(executor, "budget", prefix="uploads/u-%/") == []


def test_a_language_search_stems_within_that_languages_jobs(finished_job, executor) -> None:
    english = finished_job(["The meetings were planned"], language="en")
    finished_job(["Die Besprechungen wurden geplant"], language="de")
    unknown = finished_job(["the meeting was planned"])
    assert [hit["job_id"] for hit in _search(executor, "meeting plans", language="en")] == [english.id]
    assert {hit["job_id"] for hit in _search(executor, "meeting planned")} == {unknown.id}
    # A language PostgreSQL has no configuration for searches words, in every job.
    assert {hit["job_id"] for hit in _search(executor, "planned", language="ja")} == {
        english.id,
        unknown.id,
    }


@pytest.mark.parametrize("text", ["", "   ", "x" * 257])
def test_an_empty_or_overlong_query_is_refused(text) -> None:
    from mediascribe.search.queries import InvalidSearchError

    with pytest.raises(InvalidSearchError):
        SearchQuery(text)
