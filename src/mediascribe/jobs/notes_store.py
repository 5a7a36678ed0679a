"""A job's notes on its asset, and the record of requests to rewrite them (a rolling limit)."""

from __future__ import annotations

import uuid
from typing import Any

from mediascribe.errors import JobNotFoundError
from mediascribe.ids import validate_job_id
from mediascribe.jobs.executor import JsonValue, Transaction
from mediascribe.jobs.job_rows import RepositoryPart, refuse


class NotesStore(RepositoryPart):
    """The generated title and notes of a completed job, and how often they were asked for again."""

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
                refuse(transaction, job_id, "store notes of")

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
