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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

from mediascribe.errors import IllegalTransitionError, InvalidJobIdError, JobNotFoundError
from mediascribe.ids import validate_bucket, validate_job_id, validate_object_key
from mediascribe.jobs.executor import Executor, JsonValue, Row, Transaction
from mediascribe.jobs.models import Job, JobStatus, SourceObject
from mediascribe.search.languages import configuration_for, normalised_language
from mediascribe.search.segment_rows import TimedText, segment_batches

logger = logging.getLogger(__name__)

STARTED_PROGRESS = 5
CHUNKS_START_PROGRESS = 20
CHUNKS_SPAN_PROGRESS = 75
# 100 means completed: only ``complete`` reaches it.
MAX_RUNNING_PROGRESS = 99
MAX_TEXT_CHARS = 8000
# The transcript is read in slices: the Data API answers at most 64 KB per row and 1 MiB per call.
# 12,000 characters are at most 48 KB of UTF-8, and 16 of them stay under 1 MiB with JSON escapes.
CONTENT_SLICE_CHARS = 12_000
CONTENT_SLICES_PER_CALL = 16
_CHARS_PER_BATCH = CONTENT_SLICE_CHARS * CONTENT_SLICES_PER_CALL

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
            WHERE id = %(id)s AND status = ANY(CAST(%(allowed)s AS text[])) AND {condition}
            RETURNING *
        )
        SELECT {_JOB_COLUMNS} FROM j JOIN assets a ON a.id = j.asset_id
    """  # noqa: S608


# Record what probing found on the asset and return the joined job, in one statement.
_RECORD_MEDIA = f"""
    WITH a AS (
        UPDATE assets SET media_type = %(media_type)s, duration_seconds = %(duration)s
        FROM assets_processing_jobs j
        WHERE j.asset_id = assets.id AND j.id = %(id)s AND j.status = ANY(CAST(%(allowed)s AS text[]))
        RETURNING assets.*
    )
    SELECT {_JOB_COLUMNS} FROM assets_processing_jobs j JOIN a ON a.id = j.asset_id
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


@dataclass(frozen=True)
class NotionPage:
    """The Notion page of a job's notes: whether the last delivery reached it, and why not."""

    state: Literal["delivered", "failed"]
    page_id: str | None = None
    url: str | None = None
    error: str | None = None

    def to_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {"status": self.state}
        if self.page_id is not None:
            document["page_id"] = self.page_id
        if self.url is not None:
            document["url"] = self.url
        if self.error is not None:
            document["last_error"] = self.error
        return document


class JobRepository:
    """All reads and writes of jobs and assets. Methods return the job as it is after the change."""

    def __init__(self, executor: Executor) -> None:
        self._db = executor

    @property
    def executor(self) -> Executor:
        """The executor the repository runs on, for the tables kept beside the jobs (deliveries)."""
        return self._db

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
                    f"{_SELECT_JOB} WHERE (a.source_bucket, a.source_key, a.source_version)"
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
            return _fetch(transaction, job_id), True

        job, created = self._db.run(work)
        if created:
            logger.info("job created", extra={"job_id": job.id, "bucket": source.bucket})
        return job, created

    def get(self, job_id: str) -> Job:
        job_id = validate_job_id(job_id)
        return _fetch(self._db, job_id)

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

    def notes(self, job_id: str) -> tuple[str | None, dict[str, Any] | None]:
        """The asset's generated title and its notes document (``None`` when never written)."""
        job_id = validate_job_id(job_id)
        rows = self._db.execute(
            "SELECT a.title, a.notes FROM assets_processing_jobs j JOIN assets a ON a.id = j.asset_id "
            "WHERE j.id = %(id)s",
            {"id": uuid.UUID(job_id)},
        )
        if not rows:
            raise JobNotFoundError(f"no job {job_id}")
        return rows[0]["title"], rows[0]["notes"]

    def set_notes(self, job_id: str, notes: dict[str, Any], title: str | None = None) -> None:
        """Store the notes of a completed job; ``title`` (when given) becomes the asset's title.

        Only a completed job has a transcript to take notes from, so any other status is refused.
        """
        job_id = validate_job_id(job_id)

        def work(transaction: Transaction) -> None:
            updated = transaction.execute(
                """
                UPDATE assets a SET notes = %(notes)s, title = COALESCE(%(title)s, a.title)
                FROM assets_processing_jobs j
                WHERE j.asset_id = a.id AND j.id = %(id)s AND j.status = 'completed'
                RETURNING a.id
                """,
                {"notes": JsonValue(notes), "title": title, "id": uuid.UUID(job_id)},
            )
            if not updated:
                _refuse(transaction, job_id, "store notes of")

        self._db.run(work)

    def admit_notes_request(self, job_id: str, *, limit: int, window_seconds: int) -> int | None:
        """Record a request to rewrite the job's notes, unless ``limit`` were recorded within the last
        ``window_seconds``; then nothing is recorded and the seconds until the oldest of them leaves
        the window are returned (at least 1). The job's row is locked while counting, so concurrent
        requests are counted one after the other."""
        job_id = validate_job_id(job_id)
        params = {"id": uuid.UUID(job_id), "window": window_seconds, "skip": limit - 1}

        def work(transaction: Transaction) -> int | None:
            if not transaction.execute(
                "SELECT id FROM assets_processing_jobs WHERE id = %(id)s FOR UPDATE", params
            ):
                raise JobNotFoundError(f"no job {job_id}")
            transaction.execute(
                "DELETE FROM notes_requests WHERE job_id = %(id)s "
                "AND requested_at <= now() - make_interval(secs => %(window)s)",
                params,
            )
            # The request whose leaving the window frees a place: the limit-th most recent one.
            blocking = transaction.execute(
                """
                SELECT GREATEST(1, CEIL(EXTRACT(EPOCH FROM
                           requested_at + make_interval(secs => %(window)s) - now())))::bigint AS wait
                FROM notes_requests WHERE job_id = %(id)s
                ORDER BY requested_at DESC, id DESC OFFSET %(skip)s LIMIT 1
                """,
                params,
            )
            if blocking:
                return int(blocking[0]["wait"])
            transaction.execute("INSERT INTO notes_requests (job_id) VALUES (%(id)s)", params)
            return None

        return self._db.run(work)

    def notion_page(self, job_id: str) -> NotionPage | None:
        """The job's Notion page as last recorded; ``None`` before any delivery was tried."""
        job_id = validate_job_id(job_id)
        rows = self._db.execute(
            "SELECT a.notion_state, a.notion_page_id, a.notion_url, a.notion_error "
            "FROM assets_processing_jobs j JOIN assets a ON a.id = j.asset_id WHERE j.id = %(id)s",
            {"id": uuid.UUID(job_id)},
        )
        if not rows:
            raise JobNotFoundError(f"no job {job_id}")
        row = rows[0]
        if row["notion_state"] is None:
            return None
        page_id = row["notion_page_id"]
        return NotionPage(
            state=row["notion_state"],
            page_id=None if page_id is None else str(page_id),
            url=row["notion_url"],
            error=row["notion_error"],
        )

    def set_notion_page(self, job_id: str, page: NotionPage) -> None:
        """Record the Notion page of a completed job's notes; other statuses have none."""
        job_id = validate_job_id(job_id)

        def work(transaction: Transaction) -> None:
            updated = transaction.execute(
                """
                UPDATE assets a SET notion_state = %(state)s, notion_page_id = %(page_id)s,
                       notion_url = %(url)s, notion_error = %(error)s
                FROM assets_processing_jobs j
                WHERE j.asset_id = a.id AND j.id = %(id)s AND j.status = 'completed'
                RETURNING a.id
                """,
                {
                    "state": page.state,
                    "page_id": None if page.page_id is None else uuid.UUID(page.page_id),
                    "url": page.url,
                    "error": page.error,
                    "id": uuid.UUID(job_id),
                },
            )
            if not updated:
                _refuse(transaction, job_id, "record the Notion page of")

        self._db.run(work)

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
            _refuse(self._db, job_id, "record media of")
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
        current = _fetch(self._db, job_id)
        if current.status is not JobStatus.PROCESSING:
            _illegal(job_id, "finish a chunk of", current)
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
                current = _fetch(transaction, job_id)
                if current.status is JobStatus.COMPLETED:
                    return current, False
                _refuse(transaction, job_id, "complete")
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

    # --- transcript segments (search) --------------------------------------------------------

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
                _refuse(transaction, job_id, "store segments of")
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
            f"{_SELECT_JOB} WHERE j.status = 'completed'"
            " AND (CAST(%(after)s AS uuid) IS NULL OR j.id > CAST(%(after)s AS uuid))"
            " ORDER BY j.id LIMIT %(limit)s",
            {"after": first, "limit": limit},
        )
        return [Job.from_row(row) for row in rows]

    # --- helpers -------------------------------------------------------------------------------

    def _transition(
        self, job_id: str, action: str, statement: str, allowed: Iterable[JobStatus], **params: Any
    ) -> Job:
        """One guarded statement; only a refusal reads the job again to say why."""
        job_id = validate_job_id(job_id)
        allowed_values = [str(s) for s in allowed]
        rows = self._db.execute(statement, {"id": uuid.UUID(job_id), "allowed": allowed_values, **params})
        if not rows:
            _refuse(self._db, job_id, action)
        return Job.from_row(rows[0])

    def _settle(self, job_id: str, action: str, statement: str, target: JobStatus, **params: Any) -> Job:
        """A transition into a final status that returns the job unchanged if it is already there."""
        job_id = validate_job_id(job_id)
        rows = self._db.execute(
            statement, {"id": uuid.UUID(job_id), "allowed": [str(s) for s in _UNFINISHED], **params}
        )
        if rows:
            return Job.from_row(rows[0])
        current = _fetch(self._db, job_id)
        if current.status is target:
            return current
        _illegal(job_id, action, current)


def _fetch(statements: Transaction, job_id: str) -> Job:
    """The job; ``statements`` is a transaction or, for a read on its own, the executor."""
    rows = statements.execute(f"{_SELECT_JOB} WHERE j.id = %(id)s", {"id": uuid.UUID(job_id)})
    if not rows:
        raise JobNotFoundError(f"no job {job_id}")
    return Job.from_row(rows[0])


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


def _refuse(statements: Transaction, job_id: str, action: str) -> NoReturn:
    """Explain why a guarded update matched no row: the job is missing or in the wrong status."""
    _illegal(job_id, action, _fetch(statements, job_id))


def _illegal(job_id: str, action: str, current: Job) -> NoReturn:
    raise IllegalTransitionError(f"cannot {action} job {job_id}: it is {current.status}")


def _check_progress(progress: int) -> None:
    if isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100:
        raise ValueError(f"progress must be an integer from 0 to 100, got {progress!r}")


def _clip(text: str | None) -> str | None:
    """Step Functions causes can be long JSON documents; keep what a reader needs."""
    if text is None:
        return None
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…"
