"""The planner can answer every search statement from a GIN index, in each configuration."""

from __future__ import annotations

import pytest

from mediascribe.jobs.repository import JobRepository
from mediascribe.search.queries import HEADLINE_OPTIONS, search_statement
from mediascribe.transcription.models import Segment
from support.job_sources import job_id_for, next_key, source_for


def _plan(database, configuration: str) -> str:
    params = {
        "config": configuration,
        "query": '"quarterly budget" or forecast -draft',
        "prefix": "uploads/u-0123456789abcdef0123/",
        "after_rank": None,
        "after_job": None,
        "after_index": None,
        "limit": 21,
        "headline": HEADLINE_OPTIONS,
    }

    def explain(transaction) -> str:
        # Full scans (of the table, or of its primary key) priced out: what remains shows whether a
        # GIN index can serve the match at all; GIN is read by bitmap scans only.
        transaction.execute("SET LOCAL enable_seqscan = off")
        transaction.execute("SET LOCAL enable_indexscan = off")
        rows = transaction.execute(f"EXPLAIN {search_statement(configuration)}", params)
        return "\n".join(row["QUERY PLAN"] for row in rows)

    plan: str = database.run(explain)
    return plan


@pytest.fixture
def indexed(database) -> None:
    repository = JobRepository(database)
    source = source_for(f"uploads/u-0123456789abcdef0123/{next_key()}/talk.mp3")
    job, _ = repository.create_job(job_id_for(source), source, "talk.mp3")
    repository.start(job.id)
    segments = [Segment(float(i), i + 0.9, f"the quarterly budget forecast, part {i}") for i in range(200)]
    repository.store_segments(job.id, segments, "en")
    database.execute("ANALYZE transcript_segments")


@pytest.mark.parametrize(("configuration", "index"), [("simple", "words"), ("english", "stems")])
def test_the_search_uses_the_gin_index_of_its_configuration(database, indexed, configuration, index) -> None:
    plan = _plan(database, configuration)
    assert f"Bitmap Index Scan on transcript_segments_{index}" in plan, plan
    assert "Seq Scan on transcript_segments" not in plan, plan
