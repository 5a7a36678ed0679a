"""The job lifecycle, one SQL statement per state change.

Every change is a single ``UPDATE ... WHERE status IN (<allowed>) RETURNING``: the database checks the
transition and applies it atomically, so two workers racing on one job cannot both win, and a refused
change is reported with the status the job actually has. Progress only moves forward (``GREATEST``).
Statements are parameterized; ids are validated before any SQL runs.

pending ──start──▶ processing ──complete──▶ completed
   │                  │  └──────skip──────▶ skipped
   └──fail / skip─────┴──────fail─────────▶ failed ──retry──▶ pending
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, NoReturn

from psycopg2.extras import Json

from mediascribe.errors import IllegalTransitionError, InvalidJobIdError, JobNotFoundError
from mediascribe.ids import validate_bucket, validate_job_id, validate_object_key
from mediascribe.jobs.database import Cursor, Database
from mediascribe.jobs.models import Job, JobStatus, SourceObject

logger = logging.getLogger(__name__)

STARTED_PROGRESS = 5
CHUNKS_START_PROGRESS = 20
CHUNKS_SPAN_PROGRESS = 75
# 100 means completed: only ``complete`` reaches it.
MAX_RUNNING_PROGRESS = 99
MAX_TEXT_CHARS = 8000

_UNFINISHED = (JobStatus.PENDING, JobStatus.PROCESSING)

# The job joined with its asset; ``chunks_done`` is reported as a count.
_JOB_COLUMNS = """
    j.id, j.asset_id, j.status, j.progress, j.stage, j.error, j.cause, j.reason, j.result,
    j.execution_arn, j.attempt, j.chunks_total, cardinality(j.chunks_done) AS chunks_done,
    j.created_at, j.started_at, j.finished_at, j.updated_at,
    a.original_filename, a.source_bucket, a.source_key, a.source_version, a.source_etag,
    a.size_bytes, a.media_type, a.duration_seconds
"""
_SELECT_JOB = f"SELECT {_JOB_COLUMNS} FROM assets_processing_jobs j JOIN assets a ON a.id = j.asset_id"  # noqa: S608


def _update_job(assignments: str, condition: str = "TRUE") -> str:
    """A guarded transition returning the joined job; both arguments are constants of this module."""
    return f"""
        WITH j AS (
            UPDATE assets_processing_jobs SET {assignments}
            WHERE id = %(id)s AND status = ANY(%(allowed)s) AND {condition}
            RETURNING *
        )
        SELECT {_JOB_COLUMNS} FROM j JOIN assets a ON a.id = j.asset_id
    """  # noqa: S608


_START = _update_job("""
    status = 'processing',
    progress = GREATEST(progress, %(progress)s),
    stage = CASE WHEN status = 'pending' THEN 'started' ELSE stage END,
    started_at = COALESCE(started_at, now()),
    execution_arn = COALESCE(%(execution_arn)s, execution_arn)
""")
_PROGRESS = _update_job("""
    stage = CASE WHEN %(progress)s >= progress THEN %(stage)s ELSE stage END,
    progress = GREATEST(progress, %(progress)s)
""")
_CHUNK_TOTAL = _update_job("""
    chunks_total = %(total)s,
    stage = 'transcribing',
    progress = GREATEST(progress, %(progress)s)
""")
# Right-hand sides see the row before the update, so both expressions agree on whether the index is new.
_CHUNK_FINISHED = _update_job(
    """
    chunks_done = CASE WHEN %(index)s = ANY(chunks_done) THEN chunks_done
                       ELSE array_append(chunks_done, %(index)s) END,
    progress = GREATEST(progress, LEAST(%(ceiling)s,
        %(start)s + %(span)s * (cardinality(chunks_done)
                                + CASE WHEN %(index)s = ANY(chunks_done) THEN 0 ELSE 1 END)
                             / GREATEST(chunks_total, 1)))
    """,
    condition="%(index)s < chunks_total",
)
_COMPLETE = _update_job("""
    status = 'completed', progress = 100, stage = 'completed', result = %(result)s,
    error = NULL, cause = NULL, finished_at = now()
""")
_FAIL = _update_job("""
    status = 'failed', error = %(error)s, cause = %(cause)s, finished_at = now()
""")
_SKIP = _update_job("""
    status = 'skipped', stage = 'skipped', reason = %(reason)s, finished_at = now()
""")
_RETRY = _update_job("""
    status = 'pending', attempt = attempt + 1, progress = 0, stage = 'queued',
    error = NULL, cause = NULL, reason = NULL, result = NULL, execution_arn = NULL,
    chunks_total = NULL, chunks_done = '{}', started_at = NULL, finished_at = NULL
""")


class JobRepository:
    """All reads and writes of jobs and assets. Methods return the job as it is after the change."""

    def __init__(self, database: Database) -> None:
        self._db = database

    # --- creation and reads -------------------------------------------------------------------

    def create_job(self, job_id: str, source: SourceObject, original_filename: str) -> tuple[Job, bool]:
        """Create the asset and its pending job, or return the job that already exists for ``source``.

        The second element tells whether this call created it. Concurrent calls for one source object
        converge on the unique key: one inserts, the others wait for it and read its row.
        """
        job_id = validate_job_id(job_id)
        validate_bucket(source.bucket)
        validate_object_key(source.key)
        if not original_filename:
            raise ValueError("original_filename must not be empty")

        def work(cursor: Cursor) -> tuple[Job, bool]:
            cursor.execute(
                """
                INSERT INTO assets (original_filename, source_bucket, source_key, source_version,
                                    source_etag, size_bytes)
                VALUES (%s, %s, %s, %s, %s, %s)
                ON CONFLICT (source_bucket, source_key, source_version) DO NOTHING
                RETURNING id
                """,
                (
                    original_filename,
                    source.bucket,
                    source.key,
                    source.version,
                    source.etag,
                    source.size_bytes,
                ),
            )
            inserted = cursor.fetchone()
            if inserted is None:
                cursor.execute(
                    f"{_SELECT_JOB} WHERE (a.source_bucket, a.source_key, a.source_version) = (%s, %s, %s)",
                    (source.bucket, source.key, source.version),
                )
                return Job.from_row(cursor.fetchone()), False
            cursor.execute(
                """
                INSERT INTO assets_processing_jobs (id, asset_id) VALUES (%s, %s)
                ON CONFLICT (id) DO NOTHING RETURNING id
                """,
                (job_id, inserted["id"]),
            )
            if cursor.fetchone() is None:
                # Raising rolls the asset insert back too.
                raise InvalidJobIdError(f"job id {job_id} already belongs to another source object")
            return _fetch(cursor, job_id), True

        job, created = self._db.run(work)
        if created:
            logger.info("job created", extra={"job_id": job.id, "bucket": source.bucket})
        return job, created

    def get(self, job_id: str) -> Job:
        job_id = validate_job_id(job_id)
        return self._db.run(lambda cursor: _fetch(cursor, job_id))

    def get_content(self, job_id: str) -> str | None:
        """The transcript text; kept out of ``Job`` because it can be megabytes long."""
        job_id = validate_job_id(job_id)

        def work(cursor: Cursor) -> str | None:
            cursor.execute(
                "SELECT a.content FROM assets_processing_jobs j JOIN assets a ON a.id = j.asset_id "
                "WHERE j.id = %s",
                (job_id,),
            )
            row = cursor.fetchone()
            if row is None:
                raise JobNotFoundError(f"no job {job_id}")
            return row["content"]

        return self._db.run(work)

    # --- transitions ---------------------------------------------------------------------------

    def start(self, job_id: str, execution_arn: str | None = None) -> Job:
        """pending → processing at 5%; calling it again while processing changes nothing else."""
        return self._transition(
            job_id,
            "start",
            _START,
            _UNFINISHED,
            progress=STARTED_PROGRESS,
            execution_arn=execution_arn,
        )

    def record_media(self, job_id: str, media_type: str, duration_seconds: float | None) -> Job:
        """Store what probing found out about the asset, while the job is still unfinished."""
        job_id = validate_job_id(job_id)

        def work(cursor: Cursor) -> Job:
            cursor.execute(
                """
                UPDATE assets a SET media_type = %s, duration_seconds = %s
                FROM assets_processing_jobs j
                WHERE j.asset_id = a.id AND j.id = %s AND j.status = ANY(%s)
                RETURNING a.id
                """,
                (str(media_type), duration_seconds, job_id, [str(s) for s in _UNFINISHED]),
            )
            if cursor.fetchone() is None:
                _refuse(cursor, job_id, "record media of")
            return _fetch(cursor, job_id)

        return self._db.run(work)

    def update_progress(self, job_id: str, progress: int, stage: str) -> Job:
        """Raise progress to ``progress`` (capped at 99) and name the stage; lower values are ignored."""
        _check_progress(progress)
        return self._transition(
            job_id,
            "update progress of",
            _PROGRESS,
            (JobStatus.PROCESSING,),
            progress=min(progress, MAX_RUNNING_PROGRESS),
            stage=stage,
        )

    def set_chunk_total(self, job_id: str, total: int) -> Job:
        if total < 0:
            raise ValueError("chunk total must not be negative")
        return self._transition(
            job_id,
            "set the chunk total of",
            _CHUNK_TOTAL,
            (JobStatus.PROCESSING,),
            total=total,
            progress=CHUNKS_START_PROGRESS,
        )

    def chunk_finished(self, job_id: str, chunk_index: int) -> Job:
        """Count chunk ``chunk_index`` as transcribed (once, however often it is reported)."""
        job_id = validate_job_id(job_id)
        if chunk_index < 0:
            raise ValueError(f"chunk index {chunk_index} is negative")
        params = {
            "id": job_id,
            "allowed": [JobStatus.PROCESSING.value],
            "index": chunk_index,
            "start": CHUNKS_START_PROGRESS,
            "span": CHUNKS_SPAN_PROGRESS,
            "ceiling": MAX_RUNNING_PROGRESS,
        }

        def work(cursor: Cursor) -> Job:
            cursor.execute(_CHUNK_FINISHED, params)
            row = cursor.fetchone()
            if row is not None:
                return Job.from_row(row)
            current = _fetch(cursor, job_id)
            if current.status is not JobStatus.PROCESSING:
                _refuse(cursor, job_id, "finish a chunk of")
            if current.chunks_total is None:
                raise IllegalTransitionError(f"job {job_id} has no chunk total yet")
            raise ValueError(f"chunk index {chunk_index} is outside 0..{current.chunks_total - 1}")

        return self._db.run(work)

    def complete(self, job_id: str, content: str, result: dict[str, Any]) -> Job:
        """processing → completed at 100% with the transcript in ``assets.content``, in one transaction.

        The job row is updated first: it locks the row, so a concurrent second completion waits, then
        finds the job completed and returns it unchanged without rewriting the content.
        """
        job_id = validate_job_id(job_id)

        def work(cursor: Cursor) -> tuple[Job, bool]:
            cursor.execute(
                _COMPLETE, {"id": job_id, "allowed": [JobStatus.PROCESSING.value], "result": Json(result)}
            )
            row = cursor.fetchone()
            if row is None:
                current = _fetch(cursor, job_id)
                if current.status is JobStatus.COMPLETED:
                    return current, False
                _refuse(cursor, job_id, "complete")
            cursor.execute("UPDATE assets SET content = %s WHERE id = %s", (content, row["asset_id"]))
            return Job.from_row(row), True

        job, completed_now = self._db.run(work)
        if completed_now:
            logger.info("job completed", extra={"job_id": job.id, "chars": len(content)})
        return job

    def fail(self, job_id: str, error: str, cause: str | None = None) -> Job:
        """pending/processing → failed with a readable error; the transcript content is left alone.

        Failing an already failed job returns it unchanged, so a retried failure handler is harmless.
        """
        job = self._settle(
            job_id,
            "fail",
            _FAIL,
            JobStatus.FAILED,
            error=_clip(error) or "unknown error",
            cause=_clip(cause),
        )
        logger.info("job failed", extra={"job_id": job.id, "error": job.error})
        return job

    def skip(self, job_id: str, reason: str) -> Job:
        """pending/processing → skipped (nothing to transcribe); repeating it changes nothing."""
        return self._settle(job_id, "skip", _SKIP, JobStatus.SKIPPED, reason=_clip(reason) or "skipped")

    def retry(self, job_id: str) -> Job:
        """failed → pending with a fresh attempt: the only way out of failed."""
        return self._transition(job_id, "retry", _RETRY, (JobStatus.FAILED,))

    def fail_stale_jobs(self, older_than_seconds: float) -> list[str]:
        """Fail unfinished jobs nobody has touched for ``older_than_seconds``; returns their ids.

        A workflow that was stopped or whose failure handler never ran would otherwise leave its job
        pending or processing forever.
        """
        if older_than_seconds < 0:
            raise ValueError("older_than_seconds must not be negative")

        def work(cursor: Cursor) -> list[str]:
            cursor.execute(
                """
                UPDATE assets_processing_jobs
                SET status = 'failed', finished_at = now(),
                    error = 'job stopped making progress', cause = %(cause)s
                WHERE status IN ('pending', 'processing')
                  AND updated_at < now() - make_interval(secs => %(age)s)
                RETURNING id
                """,
                {"age": older_than_seconds, "cause": f"no update for more than {older_than_seconds:g} s"},
            )
            return sorted(str(row["id"]) for row in cursor.fetchall())

        ids = self._db.run(work)
        if ids:
            logger.warning("failed stale jobs", extra={"job_ids": ids})
        return ids

    # --- helpers -------------------------------------------------------------------------------

    def _transition(
        self, job_id: str, action: str, statement: str, allowed: Iterable[JobStatus], **params: Any
    ) -> Job:
        job_id = validate_job_id(job_id)
        allowed_values = [str(s) for s in allowed]

        def work(cursor: Cursor) -> Job:
            cursor.execute(statement, {"id": job_id, "allowed": allowed_values, **params})
            row = cursor.fetchone()
            if row is None:
                _refuse(cursor, job_id, action)
            return Job.from_row(row)

        return self._db.run(work)

    def _settle(self, job_id: str, action: str, statement: str, target: JobStatus, **params: Any) -> Job:
        """A transition into a final status that returns the job unchanged if it is already there."""
        job_id = validate_job_id(job_id)

        def work(cursor: Cursor) -> Job:
            cursor.execute(statement, {"id": job_id, "allowed": [str(s) for s in _UNFINISHED], **params})
            row = cursor.fetchone()
            if row is not None:
                return Job.from_row(row)
            current = _fetch(cursor, job_id)
            if current.status is target:
                return current
            _refuse(cursor, job_id, action)

        return self._db.run(work)


def _fetch(cursor: Cursor, job_id: str) -> Job:
    cursor.execute(f"{_SELECT_JOB} WHERE j.id = %s", (job_id,))
    row = cursor.fetchone()
    if row is None:
        raise JobNotFoundError(f"no job {job_id}")
    return Job.from_row(row)


def _refuse(cursor: Cursor, job_id: str, action: str) -> NoReturn:
    """Explain why a guarded update matched no row: the job is missing or in the wrong status."""
    current = _fetch(cursor, job_id)
    raise IllegalTransitionError(f"cannot {action} job {job_id}: it is {current.status}")


def _check_progress(progress: int) -> None:
    if isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100:
        raise ValueError(f"progress must be an integer from 0 to 100, got {progress!r}")


def _clip(text: str | None) -> str | None:
    """Step Functions causes can be long JSON documents; keep what a reader needs."""
    if text is None:
        return None
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…"
