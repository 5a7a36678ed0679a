"""What every part of ``JobRepository`` shares: the joined job row, reading it, and saying why a
guarded statement matched no row. Statements are parameterized; ids are validated by the callers."""

from __future__ import annotations

import uuid
from typing import NoReturn

from mediascribe.errors import IllegalTransitionError, JobNotFoundError
from mediascribe.jobs.executor import Executor, Transaction
from mediascribe.jobs.models import Job

# The job joined with its asset; ``chunks_done`` is reported as a count.
JOB_COLUMNS = """
    j.id, j.asset_id, j.status, j.progress, j.stage, j.error, j.cause, j.reason, j.result,
    j.execution_arn, j.attempt, j.chunks_total, cardinality(j.chunks_done) AS chunks_done,
    j.created_at, j.started_at, j.finished_at, j.updated_at,
    a.original_filename, a.source_bucket, a.source_key, a.source_version, a.source_etag,
    a.size_bytes, a.media_type, a.duration_seconds
"""
SELECT_JOB = f"SELECT {JOB_COLUMNS} FROM assets_processing_jobs j JOIN assets a ON a.id = j.asset_id"  # noqa: S608


def update_job(assignments: str, condition: str = "TRUE") -> str:
    """A guarded transition returning the joined job; both arguments are constants of the caller."""
    return f"""
        WITH j AS (
            UPDATE assets_processing_jobs SET {assignments}
            WHERE id = %(id)s AND status = ANY(CAST(%(allowed)s AS text[])) AND {condition}
            RETURNING *
        )
        SELECT {JOB_COLUMNS} FROM j JOIN assets a ON a.id = j.asset_id
    """  # noqa: S608


class RepositoryPart:
    """A part of ``JobRepository``: it runs its statements on the repository's executor."""

    _db: Executor


def fetch_job(statements: Transaction, job_id: str) -> Job:
    """The job; ``statements`` is a transaction or, for a read on its own, the executor."""
    rows = statements.execute(f"{SELECT_JOB} WHERE j.id = %(id)s", {"id": uuid.UUID(job_id)})
    if not rows:
        raise JobNotFoundError(f"no job {job_id}")
    return Job.from_row(rows[0])


def refuse(statements: Transaction, job_id: str, action: str) -> NoReturn:
    """Explain why a guarded update matched no row: the job is missing or in the wrong status."""
    illegal(job_id, action, fetch_job(statements, job_id))


def illegal(job_id: str, action: str, current: Job) -> NoReturn:
    raise IllegalTransitionError(f"cannot {action} job {job_id}: it is {current.status}")
