"""Full-text search over transcript segments: ranked, highlighted, paged hits with their times.

The query string is read by ``websearch_to_tsquery`` (quoted phrases, ``or``, ``-word``), so no user
input ever becomes tsquery syntax errors or SQL. Hits are ranked by ``ts_rank_cd`` (cover density:
query words close together in a segment rank higher) and highlighted by ``ts_headline``, which runs
on the returned page only because it re-parses each text. Pages follow a keyset cursor on
(rank, job, segment index), so a page costs the same wherever it is and a new job cannot repeat or
skip the hits of pages already read.

Which tsvector column a query uses (see migration 0003): without a language, or with one PostgreSQL
has no configuration for, ``words`` (``simple``) across every job; with a language it stems,
``stems`` of the segments indexed in that language. Either way the match is ``column @@ tsquery`` on
a stored column with a GIN index, which the planner can use for any query.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mediascribe.errors import MediascribeError
from mediascribe.ids import validate_job_id
from mediascribe.jobs.executor import Executor, Row
from mediascribe.search.languages import SIMPLE, configuration_for

DEFAULT_LIMIT = 20
MAX_LIMIT = 50
MAX_QUERY_CHARS = 256
MAX_CURSOR_CHARS = 200
# Matched words are marked with « », which no HTML renderer treats as markup.
HEADLINE_OPTIONS = "StartSel=«, StopSel=», MaxWords=35, MinWords=15"


class InvalidSearchError(MediascribeError, ValueError):
    """The search request is malformed (empty query, bad limit or cursor); the message says which."""


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after the hit with this rank, job and segment index."""

    rank: float
    job_id: str
    index: int

    def encode(self) -> str:
        raw = json.dumps([self.rank, self.job_id, self.index], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """A cursor this module wrote; anything else is refused with one message."""
        try:
            if len(text) > MAX_CURSOR_CHARS:
                raise ValueError("too long")
            rank, job_id, index = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            if isinstance(rank, bool) or not isinstance(rank, int | float) or not math.isfinite(rank):
                raise ValueError("rank")
            if isinstance(index, bool) or not isinstance(index, int) or index < 0:
                raise ValueError("index")
            return cls(float(rank), validate_job_id(str(job_id)), index)
        except (ValueError, TypeError, binascii.Error) as exc:
            raise InvalidSearchError("the cursor is not one a search returned") from exc


@dataclass(frozen=True)
class SearchQuery:
    """One page's worth of a search; ``language`` (ISO 639-1) switches to stemmed matching."""

    text: str
    limit: int = DEFAULT_LIMIT
    after: Cursor | None = None
    language: str | None = None

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise InvalidSearchError("give the words to search for (q)")
        if len(self.text) > MAX_QUERY_CHARS:
            raise InvalidSearchError(f"the query is longer than {MAX_QUERY_CHARS} characters")
        if isinstance(self.limit, bool) or not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidSearchError(f"limit must be from 1 to {MAX_LIMIT}")

    @classmethod
    def from_params(cls, params: Mapping[str, str | None]) -> SearchQuery:
        """From the request's query string: ``q``, ``limit``, ``cursor``, ``language``."""
        limit = params.get("limit") or str(DEFAULT_LIMIT)
        if not limit.isdigit():
            raise InvalidSearchError(f"limit must be from 1 to {MAX_LIMIT}")
        cursor = params.get("cursor")
        return cls(
            text=params.get("q") or "",
            limit=int(limit),
            after=Cursor.decode(cursor) if cursor else None,
            language=params.get("language") or None,
        )

    @property
    def configuration(self) -> str:
        return configuration_for(self.language)


@dataclass(frozen=True)
class Hit:
    """A segment that matched: which job, where in the recording (seconds), and the marked snippet."""

    job_id: str
    title: str
    source_key: str
    start: float
    end: float
    speaker: str | None
    snippet: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "title": self.title,
            "source_key": self.source_key,
            "start": self.start,
            "end": self.end,
            "speaker": self.speaker,
            "snippet": self.snippet,
        }


@dataclass(frozen=True)
class SearchPage:
    hits: tuple[Hit, ...]
    next_cursor: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"hits": [hit.to_dict() for hit in self.hits], "next_cursor": self.next_cursor}


def search_statement(configuration: str) -> str:
    """The statement for a configuration: which column it reads, and whether it keeps to the
    segments indexed in that language. Only these two fixed texts are ever produced."""
    column, scope = ("words", "") if configuration == SIMPLE else ("stems", _SAME_LANGUAGE)
    return _SEARCH.format(column=column, scope=scope)


_QUERY = "websearch_to_tsquery(CAST(%(config)s AS regconfig), %(query)s)"
_SAME_LANGUAGE = "AND s.config = CAST(%(config)s AS regconfig)"
# The matches are found first, with one scan of the GIN index (MATERIALIZED keeps the planner from
# repeating that scan once per job when it misjudges how many jobs there are), then kept to completed
# jobs in the caller's folder by the rule of ``workflow.access.may_read`` (the key starts with the
# prefix and has no ".." part; a NULL prefix, an administrator or a local search, sees every job);
# only the page's rows are read again for their times and snippets.
_SEARCH = f"""
    WITH matches AS MATERIALIZED (
        SELECT s.job_id, s.idx, CAST(ts_rank_cd(s.{{column}}, {_QUERY}) AS double precision) AS rank
        FROM transcript_segments s
        WHERE s.{{column}} @@ {_QUERY} {{scope}}
    ), page AS (
        SELECT m.job_id, m.idx, m.rank, COALESCE(a.title, a.original_filename) AS title, a.source_key
        FROM matches m
        JOIN assets_processing_jobs j ON j.id = m.job_id
        JOIN assets a ON a.id = j.asset_id
        WHERE j.status = 'completed'
          AND (CAST(%(prefix)s AS text) IS NULL
               OR (starts_with(a.source_key, CAST(%(prefix)s AS text))
                   AND NOT '..' = ANY(string_to_array(a.source_key, '/'))))
          AND (CAST(%(after_rank)s AS double precision) IS NULL
               OR m.rank < CAST(%(after_rank)s AS double precision)
               OR (m.rank = CAST(%(after_rank)s AS double precision)
                   AND (m.job_id, m.idx) > (CAST(%(after_job)s AS uuid), CAST(%(after_index)s AS integer))))
        ORDER BY m.rank DESC, m.job_id, m.idx
        LIMIT %(limit)s
    )
    SELECT p.job_id, p.idx, s.start_seconds, s.end_seconds, s.speaker, p.rank, p.title, p.source_key,
           ts_headline(CAST(%(config)s AS regconfig), s.text, {_QUERY}, %(headline)s) AS snippet
    FROM page p
    JOIN transcript_segments s ON (s.job_id, s.idx) = (p.job_id, p.idx)
    ORDER BY p.rank DESC, p.job_id, p.idx
"""  # noqa: S608 - the two formatted names come from search_statement, never from input


class SegmentSearch:
    """Searches the segments of completed jobs, over either executor."""

    def __init__(self, executor: Executor) -> None:
        self._db = executor

    def search(self, query: SearchQuery, *, prefix: str | None) -> SearchPage:
        """One page of hits; ``prefix`` limits them to jobs whose source key is in that folder."""
        after = query.after
        rows = self._db.execute(
            search_statement(query.configuration),
            {
                "config": query.configuration,
                "query": query.text,
                "prefix": prefix,
                "after_rank": after.rank if after else None,
                "after_job": after.job_id if after else None,
                "after_index": after.index if after else None,
                # One more than a page tells whether there is a next one.
                "limit": query.limit + 1,
                "headline": HEADLINE_OPTIONS,
            },
        )
        page = rows[: query.limit]
        more = len(rows) > query.limit
        next_cursor = _cursor_after(page[-1]).encode() if more and page else None
        return SearchPage(tuple(_hit(row) for row in page), next_cursor)


def _hit(row: Row) -> Hit:
    return Hit(
        job_id=str(row["job_id"]),
        title=str(row["title"]),
        source_key=str(row["source_key"]),
        start=float(row["start_seconds"]),
        end=float(row["end_seconds"]),
        speaker=row["speaker"],
        snippet=str(row["snippet"]),
    )


def _cursor_after(row: Row) -> Cursor:
    return Cursor(float(row["rank"]), str(row["job_id"]), int(row["idx"]))
