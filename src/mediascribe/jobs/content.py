"""The transcript text of a job, read in slices that fit every limit of the Data API."""

from __future__ import annotations

import uuid

from mediascribe.errors import JobNotFoundError
from mediascribe.ids import validate_job_id
from mediascribe.jobs.executor import Row, Transaction
from mediascribe.jobs.job_rows import RepositoryPart

# The transcript is read in slices: the Data API answers at most 64 KB per row and 1 MiB per call.
# 12,000 characters are at most 48 KB of UTF-8, and 16 of them stay under 1 MiB with JSON escapes.
CONTENT_SLICE_CHARS = 12_000
CONTENT_SLICES_PER_CALL = 16
_CHARS_PER_BATCH = CONTENT_SLICE_CHARS * CONTENT_SLICES_PER_CALL


class TranscriptContent(RepositoryPart):
    """The transcript, kept out of ``Job`` because it can be megabytes long."""

    def get_content(self, job_id: str) -> str | None:
        """The transcript text; kept out of ``Job`` because it can be megabytes long.

        Read in slices of ``CONTENT_SLICE_CHARS``, so a long transcript never meets a per-row or
        per-response limit. A text that fits in one batch takes one statement; a longer one is read
        whole within one transaction, so all slices belong to one version of the text.
        """
        job_id = validate_job_id(job_id)
        first = _content_batch(self._db, job_id, 1)
        if not first:
            raise JobNotFoundError(f"no job {job_id}")
        total = first[0]["chars"]
        if total is None:
            return None
        if total <= _CHARS_PER_BATCH:
            return "".join(row["part"] for row in first)

        def read_all(transaction: Transaction) -> str:
            starts = range(1, total + 1, _CHARS_PER_BATCH)
            return "".join(
                row["part"] for start in starts for row in _content_batch(transaction, job_id, start)
            )

        return self._db.run(read_all)


def _content_batch(statements: Transaction, job_id: str, first: int) -> list[Row]:
    """The content's length and up to ``CONTENT_SLICES_PER_CALL`` slices from character ``first`` on.

    One row per slice (one row of NULLs for a job without content); no rows for an unknown job.
    """
    return statements.execute(
        """
        SELECT char_length(a.content) AS chars, substr(a.content, s, CAST(%(size)s AS integer)) AS part
        FROM assets_processing_jobs j JOIN assets a ON a.id = j.asset_id
        CROSS JOIN LATERAL generate_series(
            CAST(%(first)s AS integer),
            LEAST(CAST(%(last)s AS integer), GREATEST(char_length(a.content), 1)),
            CAST(%(size)s AS integer)) AS s
        WHERE j.id = %(id)s
        ORDER BY s
        """,
        {
            "id": uuid.UUID(job_id),
            "size": CONTENT_SLICE_CHARS,
            "first": first,
            "last": first + _CHARS_PER_BATCH - 1,
        },
    )
