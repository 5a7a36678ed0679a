"""Search latency and index size on generated transcripts: a fixed query mix over N audio hours.

Transcripts are generated, not recognised: 150 words per minute (9,000 an hour, so 1,000 hours are
9 million words) drawn from a 50,000-word vocabulary with Zipf-distributed frequencies (exponent
1.07, close to English), cut into segments of 8 to 24 words at the times speech would take. One job
per audio hour, in ten callers' upload folders. Rows are loaded with COPY into the migrated schema, so
the generated tsvector columns and both GIN indexes are built as the finalize step builds them.

The query mix is fixed by its seed: common words (vocabulary ranks 50-500), rare words (ranks
10,000-40,000), two-word phrases taken from the generated text, a common word with another left out
(``-word``), and two rare words joined with ``or``. Every query runs through ``SegmentSearch`` (the
statement the API runs: rank, sort, keyset page of 20, ts_headline of the page) over psycopg2, as an
administrator (every job) and as one caller (a tenth of them). The baseline is the same statement
with bitmap scans off, so the planner must read the table instead of a GIN index: the ratio is what
the index buys. Latency is a client's wall time per query on a warm cache, including psycopg2.

Run: PYTHONPATH=tests:bench .venv/bin/python bench/bench_search.py [--hours 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
import uuid
from collections.abc import Callable, Iterator

import numpy as np
import psycopg2

from mediascribe.jobs.database import Database
from mediascribe.jobs.executor import Params, Row, Transaction
from mediascribe.jobs.schema import apply_migrations
from mediascribe.local.postgres import LocalPostgres
from mediascribe.search.queries import SearchQuery, SegmentSearch
from results_file import write_section

WORDS_PER_HOUR = 9_000
VOCABULARY = 50_000
ZIPF_EXPONENT = 1.07
CALLERS = 10
QUERIES_PER_KIND = 12
GOAL_P95_MS = 100.0
SEED = 20261208
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


def vocabulary(size: int) -> list[str]:
    """Distinct pronounceable words, shortest for the most frequent ranks, as in a real language."""
    words = []
    base = len(_SYLLABLES)
    for rank in range(size):
        n, syllables = rank, []
        while True:
            syllables.append(_SYLLABLES[n % base])
            n //= base
            if n == 0:
                break
        words.append("".join(syllables))
    return words


def folder_of(caller: int) -> str:
    return f"uploads/u-{caller:020d}/"


def load(database: Database, dsn: str, hours: int) -> tuple[list[str], float]:
    """Jobs and their segments, loaded with COPY; returns the vocabulary and the load's seconds."""
    words = vocabulary(VOCABULARY)
    ranks = np.arange(1, VOCABULARY + 1, dtype=np.float64)
    weights = ranks**-ZIPF_EXPONENT
    weights /= weights.sum()
    rng = np.random.default_rng(SEED)
    job_ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-search/{index}")) for index in range(hours)]
    folders = [folder_of(index % CALLERS) for index in range(hours)]
    started = time.perf_counter()
    database.run(lambda transaction: _insert_jobs(transaction, job_ids, folders))
    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for job_id in job_ids:
                cursor.copy_expert(
                    "COPY transcript_segments (job_id, idx, start_seconds, end_seconds, speaker, text)"
                    " FROM STDIN",
                    io.StringIO("".join(_segment_lines(job_id, words, weights, rng))),
                )
            # Moves the GIN indexes' pending entries into the trees; statistics for every table.
            cursor.execute("VACUUM ANALYZE")
    finally:
        connection.close()
    return words, time.perf_counter() - started


def _insert_jobs(transaction: Transaction, job_ids: list[str], folders: list[str]) -> None:
    """Completed jobs with their assets, one statement each (arrays in, no row at a time)."""
    asset_ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, job_id)) for job_id in job_ids]
    keys = [f"{folder}{n}/hour.mp3" for n, folder in enumerate(folders)]
    transaction.execute(
        """
        INSERT INTO assets (id, original_filename, source_bucket, source_key, media_type, duration_seconds)
        SELECT CAST(id AS uuid), 'hour.mp3', 'bench', key, 'audio', 3600
        FROM unnest(CAST(%(ids)s AS text[]), CAST(%(keys)s AS text[])) AS x(id, key)
        """,
        {"ids": asset_ids, "keys": keys},
    )
    transaction.execute(
        """
        INSERT INTO assets_processing_jobs (id, asset_id, status, progress, stage, result)
        SELECT CAST(id AS uuid), CAST(asset AS uuid), 'completed', 100, 'completed', '{}'
        FROM unnest(CAST(%(ids)s AS text[]), CAST(%(assets)s AS text[])) AS x(id, asset)
        """,
        {"ids": job_ids, "assets": asset_ids},
    )


def _segment_lines(
    job_id: str, words: list[str], weights: np.ndarray, rng: np.random.Generator
) -> Iterator[str]:
    """One hour of speech as COPY lines: 150 words a minute, in segments of 8 to 24 words."""
    drawn = rng.choice(VOCABULARY, size=WORDS_PER_HOUR, p=weights)
    seconds_per_word = 3600 / WORDS_PER_HOUR
    position, index = 0, 0
    while position < WORDS_PER_HOUR:
        length = int(rng.integers(8, 25))
        chunk = drawn[position : position + length]
        start = position * seconds_per_word
        end = (position + len(chunk)) * seconds_per_word
        text = " ".join(words[i] for i in chunk)
        yield f"{job_id}\t{index}\t{start:.2f}\t{end:.2f}\tSpeaker {index % 2 + 1}\t{text}.\n"
        position += length
        index += 1


def query_mix(words: list[str], texts: list[str]) -> dict[str, list[str]]:
    """The fixed queries of each kind, from the vocabulary and from stored segment ``texts``."""
    rng = np.random.default_rng(SEED + 1)

    def pick(low: int, high: int) -> str:
        return words[int(rng.integers(low, high))]

    phrases = []
    for text in texts[:QUERIES_PER_KIND]:
        tokens = text.rstrip(".").split()
        at = int(rng.integers(0, len(tokens) - 1))
        phrases.append(f'"{tokens[at]} {tokens[at + 1]}"')
    return {
        "common word": [pick(50, 500) for _ in range(QUERIES_PER_KIND)],
        "rare word": [pick(10_000, 40_000) for _ in range(QUERIES_PER_KIND)],
        "phrase": phrases,
        "word -word": [f"{pick(50, 500)} -{pick(50, 500)}" for _ in range(QUERIES_PER_KIND)],
        "rare or rare": [
            f"{pick(10_000, 40_000)} or {pick(10_000, 40_000)}" for _ in range(QUERIES_PER_KIND)
        ],
    }


def timed(search: Callable[[], object], repeats: int) -> list[float]:
    """Milliseconds per run after one warm-up run."""
    search()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        search()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class BaselineDatabase(Database):
    """The same statements with bitmap scans off: no GIN index can serve the match."""

    def execute(self, sql: str, params: Params | None = None) -> list[Row]:
        def work(transaction: Transaction) -> list[Row]:
            transaction.execute("SET LOCAL enable_bitmapscan = off")
            return transaction.execute(sql, params)

        return self.run(work)


def measure(hours: int, repeats: int) -> str:
    with LocalPostgres() as server:
        database = Database(server.dsn)
        apply_migrations(database)
        words, load_seconds = load(database, server.dsn, hours)
        texts = [
            row["text"]
            for row in database.execute(
                "SELECT text FROM transcript_segments TABLESAMPLE SYSTEM (1) REPEATABLE (7) LIMIT 50"
            )
        ]
        sizes = database.execute(
            """
            SELECT pg_relation_size('transcript_segments_words') AS words,
                   pg_relation_size('transcript_segments_stems') AS stems,
                   pg_total_relation_size('transcript_segments') AS total,
                   (SELECT count(*) FROM transcript_segments) AS segments
            """
        )[0]
        mix = query_mix(words, texts)
        search = SegmentSearch(database)
        baseline = SegmentSearch(BaselineDatabase(server.dsn))
        rows = []
        every_ms: dict[str, list[float]] = {"every job": [], "one caller": []}
        for kind, queries in mix.items():
            for scope, prefix in (("every job", None), ("one caller", folder_of(0))):
                samples: list[float] = []
                hits = []
                for text in queries:
                    query = SearchQuery(text)
                    samples += timed(lambda q=query, p=prefix: search.search(q, prefix=p), repeats)
                    hits.append(len(search.search(query, prefix=prefix).hits))
                every_ms[scope] += samples
                base = [
                    timed(lambda q=query, p=prefix: baseline.search(q, prefix=p), 1)[0]
                    for query in map(SearchQuery, queries[:3])
                ]
                indexed_median = statistics.median(samples)
                rows.append(
                    f"| {kind} | {scope} | {statistics.median(hits):.0f} | {indexed_median:.1f} ms "
                    f"| {percentile(samples, 0.95):.1f} ms | {statistics.median(base):.0f} ms "
                    f"| {statistics.median(base) / indexed_median:.1f} |"
                )
        database.close()
    overall = [
        f"| all ({scope}) | {len(ms)} runs | {statistics.median(ms):.1f} ms | {percentile(ms, 0.95):.1f} ms "
        f"| {'met' if percentile(ms, 0.95) <= GOAL_P95_MS else 'missed'} |"
        for scope, ms in every_ms.items()
    ]
    megabytes = 1024 * 1024
    return f"""
{hours} audio hours: {hours * WORDS_PER_HOUR:,} words in {sizes["segments"]:,} segments, one job per hour
in {CALLERS} callers' folders ("one caller" searches a tenth of the jobs); loaded with COPY in
{load_seconds:.0f} s (generated tsvectors and both GIN indexes built on the way). {QUERIES_PER_KIND} queries
of each kind, each run once to warm up and then {repeats} times; a page of 20 hits with snippets.

| Kind | Scope | Hits on the page (median) | p50 | p95 | Without the index (median of 3) | Index speed-up |
|---|---|---|---|---|---|---|
{chr(10).join(rows)}

| Query mix | Runs | p50 | p95 | Goal p95 ≤ {GOAL_P95_MS:.0f} ms |
|---|---|---|---|---|
{chr(10).join(overall)}

Index size per audio hour: `words` (simple) {sizes["words"] / hours / 1024:.0f} KiB,
`stems` {sizes["stems"] / hours / 1024:.0f} KiB; the table with its indexes and TOAST
{sizes["total"] / hours / 1024:.0f} KiB per hour ({sizes["total"] / megabytes:.0f} MiB in all). The
generated text has no stop words or inflections for a stemmer to fold, so here `stems` is as large as
`words`; on a real language its stop words and stems make it smaller.
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hours", type=int, default=1000, help="audio hours to generate (default 1000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per query (default 3)")
    args = parser.parse_args()
    body = measure(args.hours, args.repeats)
    print(body)
    write_section(
        "Search",
        body,
        "PYTHONPATH=tests:bench .venv/bin/python bench/bench_search.py"
        f" --hours {args.hours} --repeats {args.repeats}",
    )


if __name__ == "__main__":
    main()
