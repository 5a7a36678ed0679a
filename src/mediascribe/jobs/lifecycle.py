"""The job lifecycle, one SQL statement per state change.

Every change is a single ``UPDATE ... WHERE status IN (<allowed>) RETURNING``: the database checks the
transition and applies it atomically, so two workers racing on one job cannot both win, and a refused
change is reported with the status the job actually has. Progress only moves forward (``GREATEST``).
Statements are parameterized; ids are validated before any SQL runs. The repository talks to an
``Executor`` only, so the same statements run over psycopg2 and over the RDS Data API.

pending ──start──▶ processing ──complete──▶ completed
   │                  │  └──────skip──────▶ skipped
   └──fail / skip─────┴──────fail─────────▶ failed ──retry──▶ pending
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from mediascribe.errors import IllegalTransitionError, InvalidJobIdError
from mediascribe.ids import validate_bucket, validate_job_id, validate_object_key
from mediascribe.jobs.executor import JsonValue, Transaction
from mediascribe.jobs.job_rows import (
    JOB_COLUMNS,
    SELECT_JOB,
    RepositoryPart,
    fetch_job,
    illegal,
    refuse,
    update_job,
)
from mediascribe.jobs.models import Job, JobStatus, SourceObject

logger = logging.getLogger(__name__)

STARTED_PROGRESS = 5
CHUNKS_START_PROGRESS = 20
CHUNKS_SPAN_PROGRESS = 75
# 100 means completed: only ``complete`` reaches it.
MAX_RUNNING_PROGRESS = 99
MAX_TEXT_CHARS = 8000

_UNFINISHED = (JobStatus.PENDING, JobStatus.PROCESSING)

# Record what probing found on the asset and return the joined job, in one statement.
_RECORD_MEDIA = f"""
    WITH a AS (
        UPDATE assets SET media_type = %(media_type)s, duration_seconds = %(duration)s
        FROM assets_processing_jobs j
        WHERE j.asset_id = assets.id AND j.id = %(id)s AND j.status = ANY(CAST(%(allowed)s AS text[]))
        RETURNING assets.*
    )
    SELECT {JOB_COLUMNS} FROM assets_processing_jobs j JOIN a ON a.id = j.asset_id
"""  # noqa: S608

_START = update_job("""
    status = 'processing',
    progress = GREATEST(progress, %(progress)s),
    stage = CASE WHEN status = 'pending' THEN 'started' ELSE stage END,
    started_at = COALESCE(started_at, now()),
    execution_arn = COALESCE(%(execution_arn)s, execution_arn)
""")
_PROGRESS = update_job("""
    stage = CASE WHEN %(progress)s >= progress THEN %(stage)s ELSE stage END,
    progress = GREATEST(progress, %(progress)s)
""")
_CHUNK_TOTAL = update_job("""
    chunks_total = %(total)s,
    stage = 'transcribing',
    progress = GREATEST(progress, %(progress)s)
""")
# Right-hand sides see the row before the update, so both expressions agree on whether the index is new.
_CHUNK_FINISHED = update_job(
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
_COMPLETE = update_job("""
    status = 'completed', progress = 100, stage = 'completed', result = %(result)s,
    error = NULL, cause = NULL, finished_at = now()
""")
_FAIL = update_job("""
    status = 'failed', error = %(error)s, cause = %(cause)s, finished_at = now()
""")
_SKIP = update_job("""
    status = 'skipped', stage = 'skipped', reason = %(reason)s, finished_at = now()
""")
_RETRY = update_job("""
    status = 'pending', attempt = attempt + 1, progress = 0, stage = 'queued',
    error = NULL, cause = NULL, reason = NULL, result = NULL, execution_arn = NULL,
    chunks_total = NULL, chunks_done = '{}', started_at = NULL, finished_at = NULL
""")


class JobLifecycle(RepositoryPart):
    """Creating a job, reading it, and every change of its status and progress."""

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

        object_key = {"bucket": source.bucket, "key": source.key, "version": source.version}

        def work(transaction: Transaction) -> tuple[Job, bool]:
            inserted = transaction.execute(
                """
                INSERT INTO assets (original_filename, source_bucket, source_key, source_version,
                                    source_etag, size_bytes)
                VALUES (%(filename)s, %(bucket)s, %(key)s, %(version)s, %(etag)s, %(size)s)
                ON CONFLICT (source_bucket, source_key, source_version) DO NOTHING
                RETURNING id
                """,
                {
                    **object_key,
                    "filename": original_filename,
                    "etag": source.etag,
                    "size": source.size_bytes,
                },
            )
            if not inserted:
                rows = transaction.execute(
                    f"{SELECT_JOB} WHERE (a.source_bucket, a.source_key, a.source_version)"
                    " = (%(bucket)s, %(key)s, %(version)s)",
                    object_key,
                )
                return Job.from_row(rows[0]), False
            created = transaction.execute(
                """
                INSERT INTO assets_processing_jobs (id, asset_id) VALUES (%(id)s, %(asset_id)s)
                ON CONFLICT (id) DO NOTHING RETURNING id
                """,
                {"id": uuid.UUID(job_id), "asset_id": uuid.UUID(str(inserted[0]["id"]))},
            )
            if not created:
                # Raising rolls the asset insert back too.
                raise InvalidJobIdError(f"job id {job_id} already belongs to another source object")
            return fetch_job(transaction, job_id), True

        job, created = self._db.run(work)
        if created:
            logger.info("job created", extra={"job_id": job.id, "bucket": source.bucket})
        return job, created

    def get(self, job_id: str) -> Job:
        job_id = validate_job_id(job_id)
        return fetch_job(self._db, job_id)

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
        rows = self._db.execute(
            _RECORD_MEDIA,
            {
                "media_type": str(media_type),
                "duration": None if duration_seconds is None else float(duration_seconds),
                "id": uuid.UUID(job_id),
                "allowed": [str(s) for s in _UNFINISHED],
            },
        )
        if not rows:
            refuse(self._db, job_id, "record media of")
        return Job.from_row(rows[0])

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
            "id": uuid.UUID(job_id),
            "allowed": [JobStatus.PROCESSING.value],
            "index": chunk_index,
            "start": CHUNKS_START_PROGRESS,
            "span": CHUNKS_SPAN_PROGRESS,
            "ceiling": MAX_RUNNING_PROGRESS,
        }
        rows = self._db.execute(_CHUNK_FINISHED, params)
        if rows:
            return Job.from_row(rows[0])
        current = fetch_job(self._db, job_id)
        if current.status is not JobStatus.PROCESSING:
            illegal(job_id, "finish a chunk of", current)
        if current.chunks_total is None:
            raise IllegalTransitionError(f"job {job_id} has no chunk total yet")
        raise ValueError(f"chunk index {chunk_index} is outside 0..{current.chunks_total - 1}")

    def complete(self, job_id: str, content: str, result: dict[str, Any]) -> Job:
        """processing → completed at 100% with the transcript in ``assets.content``, in one transaction.

        The job row is updated first: it locks the row, so a concurrent second completion waits, then
        finds the job completed and returns it unchanged without rewriting the content.
        """
        job_id = validate_job_id(job_id)

        def work(transaction: Transaction) -> tuple[Job, bool]:
            rows = transaction.execute(
                _COMPLETE,
                {
                    "id": uuid.UUID(job_id),
                    "allowed": [JobStatus.PROCESSING.value],
                    "result": JsonValue(result),
                },
            )
            if not rows:
                current = fetch_job(transaction, job_id)
                if current.status is JobStatus.COMPLETED:
                    return current, False
                refuse(transaction, job_id, "complete")
            transaction.execute(
                "UPDATE assets SET content = %(content)s WHERE id = %(asset_id)s",
                {"content": content, "asset_id": uuid.UUID(str(rows[0]["asset_id"]))},
            )
            return Job.from_row(rows[0]), True

        job, completed_now = self._db.run(work)
        if completed_now:
            logger.info("job completed", extra={"job_id": job.id, "chars": len(content)})
        return job

    def fail(self, job_id: str, error: str, cause: str | None = None) -> Job:
        """pending/processing → failed with a readable error; the transcript content is left alone.

        Failing an already failed job returns it unchanged, so a retried failure handler is harmless.
        The workflow logs the outcome with its context; the repository does not log it again.
        """
        return self._settle(
            job_id,
            "fail",
            _FAIL,
            JobStatus.FAILED,
            error=_clip(error) or "unknown error",
            cause=_clip(cause),
        )

    def skip(self, job_id: str, reason: str) -> Job:
        """pending/processing → skipped (nothing to transcribe); repeating it changes nothing."""
        return self._settle(job_id, "skip", _SKIP, JobStatus.SKIPPED, reason=_clip(reason) or "skipped")

    def retry(self, job_id: str) -> Job:
        """failed → pending with a fresh attempt: the only way out of failed."""
        return self._transition(job_id, "retry", _RETRY, (JobStatus.FAILED,))

    def fail_stale_jobs(self, older_than_seconds: float) -> list[str]:
        """Fail unfinished jobs nobody has touched for ``older_than_seconds``; returns their ids.

        A workflow that was stopped or whose failure handler never ran would otherwise leave its job
        pending or processing forever. The sweeper logs the ids it failed.
        """
        if older_than_seconds < 0:
            raise ValueError("older_than_seconds must not be negative")
        rows = self._db.execute(
            """
            UPDATE assets_processing_jobs
            SET status = 'failed', finished_at = now(),
                error = 'job stopped making progress', cause = %(cause)s
            WHERE status IN ('pending', 'processing')
              AND updated_at < now() - make_interval(secs => %(age)s)
            RETURNING id
            """,
            {"age": float(older_than_seconds), "cause": f"no update for more than {older_than_seconds:g} s"},
        )
        return sorted(str(row["id"]) for row in rows)

    def _transition(
        self, job_id: str, action: str, statement: str, allowed: Iterable[JobStatus], **params: Any
    ) -> Job:
        """One guarded statement; only a refusal reads the job again to say why."""
        job_id = validate_job_id(job_id)
        allowed_values = [str(s) for s in allowed]
        rows = self._db.execute(statement, {"id": uuid.UUID(job_id), "allowed": allowed_values, **params})
        if not rows:
            refuse(self._db, job_id, action)
        return Job.from_row(rows[0])

    def _settle(self, job_id: str, action: str, statement: str, target: JobStatus, **params: Any) -> Job:
        """A transition into a final status that returns the job unchanged if it is already there."""
        job_id = validate_job_id(job_id)
        rows = self._db.execute(
            statement, {"id": uuid.UUID(job_id), "allowed": [str(s) for s in _UNFINISHED], **params}
        )
        if rows:
            return Job.from_row(rows[0])
        current = fetch_job(self._db, job_id)
        if current.status is target:
            return current
        illegal(job_id, action, current)


def _check_progress(progress: int) -> None:
    if isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100:
        raise ValueError(f"progress must be an integer from 0 to 100, got {progress!r}")


def _clip(text: str | None) -> str | None:
    """Step Functions causes can be long JSON documents; keep what a reader needs."""
    if text is None:
        return None
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…"
