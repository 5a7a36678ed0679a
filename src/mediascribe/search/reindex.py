"""Backfill search segments for jobs completed before the finalize step stored them.

Each completed job's ``transcript.json`` (written by the finalize step under the job's own prefix) is
read back and its segments stored with ``JobRepository.store_segments``, which is idempotent: a
reindex can be stopped and run again, and jobs that already have segments end up unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from mediascribe.errors import MediascribeError
from mediascribe.jobs.repository import JobRepository
from mediascribe.storage import MediaStore
from mediascribe.transcription.models import Segment

logger = logging.getLogger(__name__)

PAGE_SIZE = 100


@dataclass
class ReindexReport:
    jobs: int = 0
    segments: int = 0
    # Job id -> why its segments could not be stored (no transcript.json, unreadable document).
    failed: dict[str, str] = field(default_factory=dict)


def reindex_jobs(
    jobs: JobRepository,
    store: MediaStore,
    language: str | None,
    on_job: Callable[[str, int], None] | None = None,
) -> ReindexReport:
    """Store the segments of every completed job from its stored JSON; ``on_job(job_id, segments)``
    reports progress. A job whose document is missing or unreadable is listed and skipped."""
    report = ReindexReport()
    after: str | None = None
    while page := jobs.completed_jobs(after=after, limit=PAGE_SIZE):
        for job in page:
            try:
                segments = stored_segments(store, job.id)
                count = jobs.store_segments(job.id, segments, language)
            except (MediascribeError, KeyError, TypeError, ValueError) as exc:
                report.failed[job.id] = f"{type(exc).__name__}: {exc}"
                logger.warning("job not reindexed", extra={"job_id": job.id, "error": type(exc).__name__})
                continue
            report.jobs += 1
            report.segments += count
            if on_job is not None:
                on_job(job.id, count)
        after = page[-1].id
    return report


def stored_segments(store: MediaStore, job_id: str) -> list[Segment]:
    """The segments of the job's ``transcript.json``, as the finalize step wrote them."""
    keys = store.job_keys(job_id)
    document = store.get_json(keys, keys.transcript("json"))
    return [Segment.from_dict(item) for item in document["segments"]]
