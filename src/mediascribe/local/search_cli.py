"""The ``mediascribe search`` and ``mediascribe reindex`` commands (registered by ``mediascribe.cli``).

Workstation only, like the rest of ``mediascribe.local``: the Lambda layer leaves it out.

``search`` reads the database in ``DATABASE_URL`` directly (every job in it), or a deployed stack's
``GET /search`` with ``--api`` (the caller's own jobs). ``reindex`` stores the segments of jobs
completed before search existed, from the transcript JSON in ``MEDIA_BUCKET``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError
from mediascribe.search.queries import DEFAULT_LIMIT, MAX_LIMIT, Cursor, SearchQuery

EXIT_OK, EXIT_FAILED = 0, 1
ApiArgument = Callable[..., None]


def add_search_commands(commands: Any, add_api_argument: ApiArgument) -> None:
    """Add both commands to the CLI's subparsers; ``add_api_argument`` is the CLI's ``--api`` option."""
    search = commands.add_parser(
        "search",
        help="find where in the transcripts something was said",
        description="Search every transcript: quoted phrases, `or`, and -word to leave a word out. "
        "Prints one line per hit (job, time span, title, speaker, the text with matches in « »), best "
        "first. Searches DATABASE_URL, or with --api (or MEDIASCRIBE_API_URL) your jobs on a deployed stack.",
    )
    search.add_argument("query", metavar="QUERY", help='words to find, e.g. "budget meeting" -draft')
    search.add_argument(
        "--limit", type=int, default=DEFAULT_LIMIT, metavar="N", help=f"hits per page (1-{MAX_LIMIT})"
    )
    search.add_argument("--cursor", metavar="C", help="the next page: the cursor a previous search printed")
    search.add_argument(
        "--language", metavar="CODE", help="stem words in this language (ISO 639-1, e.g. en): jobs in it only"
    )
    search.add_argument(
        "--json",
        action="store_true",
        help="print the hits as a JSON list (job_id, title, source_key, start, end, speaker, snippet)",
    )
    add_api_argument(search, required=False)
    search.set_defaults(run=run_search)

    reindex = commands.add_parser(
        "reindex",
        help="make earlier transcripts searchable",
        description="Store the search segments of every completed job in DATABASE_URL from its transcript "
        "JSON in MEDIA_BUCKET. Safe to repeat: jobs already indexed end up unchanged.",
    )
    reindex.add_argument(
        "--language", metavar="CODE", help="the jobs' language (default: TRANSCRIPTION_LANGUAGE, if one)"
    )
    reindex.set_defaults(run=run_reindex)


def run_search(args: argparse.Namespace) -> int:
    query = SearchQuery(
        text=args.query,
        limit=args.limit,
        after=Cursor.decode(args.cursor) if args.cursor else None,
        language=args.language,
    )
    settings = Settings.from_env()
    api_url = args.api or settings.api_url
    page = _remote_search(api_url, query) if api_url else _local_search(settings, query)
    hits: list[dict[str, Any]] = page["hits"]
    if args.json:
        print(json.dumps(hits, indent=2, ensure_ascii=False))
    else:
        for hit in hits:
            print(format_hit(hit))
    if page.get("next_cursor"):
        print(f"more: --cursor {page['next_cursor']}", file=sys.stderr)
    return EXIT_OK


def run_reindex(args: argparse.Namespace) -> int:
    from mediascribe.search.reindex import reindex_jobs
    from mediascribe.transcription.catalog import single_language
    from mediascribe.workflow.runtime import runtime_for

    settings = Settings.from_env()
    if not settings.database_url:
        raise ConfigurationError("set DATABASE_URL to the jobs database and MEDIA_BUCKET to its bucket")
    runtime = runtime_for(settings)
    report = reindex_jobs(
        runtime.jobs,
        runtime.store,
        args.language or single_language(settings),
        on_job=lambda job_id, count: print(f"{job_id}: {count} segments", file=sys.stderr),
    )
    for job_id, reason in report.failed.items():
        print(f"mediascribe: {job_id} not reindexed: {reason}", file=sys.stderr)
    print(f"reindexed {report.jobs} jobs, {report.segments} segments, {len(report.failed)} failed")
    return EXIT_FAILED if report.failed else EXIT_OK


def format_hit(hit: dict[str, Any]) -> str:
    """``<job id>  [0:01:05-0:01:09]  <title>  <speaker>: <snippet>`` on one line."""
    speaker = f"{hit['speaker']}: " if hit.get("speaker") else ""
    span = f"[{_clock(hit['start'])}-{_clock(hit['end'])}]"
    return f"{hit['job_id']}  {span}  {hit['title']}  {speaker}{hit['snippet']}"


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def _local_search(settings: Settings, query: SearchQuery) -> dict[str, Any]:
    from mediascribe.jobs.connect import executor_from_settings
    from mediascribe.search.queries import SegmentSearch

    if not settings.database_url:
        raise ConfigurationError("set DATABASE_URL to the jobs database (or give --api)")
    return SegmentSearch(executor_from_settings(settings)).search(query, prefix=None).to_dict()


def _remote_search(api_url: str, query: SearchQuery) -> dict[str, Any]:
    params = {"q": query.text, "limit": str(query.limit)}
    if query.after is not None:
        params["cursor"] = query.after.encode()
    if query.language:
        params["language"] = query.language
    from mediascribe.local.search_api import SearchApiClient

    return SearchApiClient.for_url(api_url).search(params)
