"""A job's transcript as timed segments for full-text search, and the completed jobs to reindex."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from mediascribe.ids import validate_job_id
from mediascribe.jobs.executor import JsonValue, Transaction
from mediascribe.jobs.job_rows import SELECT_JOB, RepositoryPart, refuse
from mediascribe.jobs.models import Job
from mediascribe.search.languages import configuration_for, normalised_language
from mediascribe.search.segment_rows import TimedText, segment_batches

# The statements of ``store_segments``: the language on the job, then the segments in batches of rows
# (a JSON document per statement), then any rows a longer earlier version left behind.
_SET_LANGUAGE = """
    UPDATE assets_processing_jobs SET language = %(language)s
    WHERE id = %(id)s AND status IN ('processing', 'completed')
    RETURNING id
"""
_UPSERT_SEGMENTS = """
    INSERT INTO transcript_segments (job_id, idx, start_seconds, end_seconds, speaker, text, config)
    SELECT %(id)s, r.idx, r.start_seconds, r.end_seconds, r.speaker, r.text, CAST(%(config)s AS regconfig)
    FROM jsonb_to_recordset(CAST(%(rows)s AS jsonb))
        AS r(idx integer, start_seconds double precision, end_seconds double precision,
             speaker text, text text)
    ON CONFLICT (job_id, idx) DO UPDATE SET
        start_seconds = EXCLUDED.start_seconds, end_seconds = EXCLUDED.end_seconds,
        speaker = EXCLUDED.speaker, text = EXCLUDED.text, config = EXCLUDED.config
    WHERE (transcript_segments.start_seconds, transcript_segments.end_seconds,
           transcript_segments.speaker, transcript_segments.text, transcript_segments.config)
          IS DISTINCT FROM
          (EXCLUDED.start_seconds, EXCLUDED.end_seconds, EXCLUDED.speaker, EXCLUDED.text, EXCLUDED.config)
"""
_TRIM_SEGMENTS = "DELETE FROM transcript_segments WHERE job_id = %(id)s AND idx >= %(count)s"


class SegmentStore(RepositoryPart):
    """The segments search reads, written idempotently."""

    def store_segments(self, job_id: str, segments: Sequence[TimedText], language: str | None) -> int:
        """Make the job's stored segments exactly ``segments`` and record its language; returns the count.

        Idempotent, so a retried finalize step or a second reindex changes nothing: rows are upserted
        by (job, index) and any beyond the new count are deleted, all in one transaction, so a search
        never sees half a transcript. Only a job being finalized or already completed takes segments.
        """
        job_id = validate_job_id(job_id)
        params = {
            "id": uuid.UUID(job_id),
            "language": normalised_language(language),
            "config": configuration_for(language),
        }

        def work(transaction: Transaction) -> int:
            updated = transaction.execute(_SET_LANGUAGE, params)
            if not updated:
                refuse(transaction, job_id, "store segments of")
            for batch in segment_batches(segments):
                transaction.execute(_UPSERT_SEGMENTS, {**params, "rows": JsonValue(batch)})
            transaction.execute(_TRIM_SEGMENTS, {"id": params["id"], "count": len(segments)})
            return len(segments)

        return self._db.run(work)

    def completed_jobs(self, after: str | None = None, limit: int = 100) -> list[Job]:
        """Completed jobs in id order, ``limit`` at a time from the id after ``after`` (for reindexing)."""
        if not 1 <= limit <= 1000:
            raise ValueError("limit must be from 1 to 1000")
        first = uuid.UUID(validate_job_id(after)) if after else None
        rows = self._db.execute(
            f"{SELECT_JOB} WHERE j.status = 'completed'"
            " AND (CAST(%(after)s AS uuid) IS NULL OR j.id > CAST(%(after)s AS uuid))"
            " ORDER BY j.id LIMIT %(limit)s",
            {"after": first, "limit": limit},
        )
        return [Job.from_row(row) for row in rows]
