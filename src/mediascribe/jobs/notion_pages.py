"""Where a job's notes were delivered in Notion, as last recorded on its asset."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from mediascribe.errors import JobNotFoundError
from mediascribe.ids import validate_job_id
from mediascribe.jobs.executor import Transaction
from mediascribe.jobs.job_rows import RepositoryPart, refuse


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


class NotionPages(RepositoryPart):
    """The Notion page of a job's notes."""

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
                refuse(transaction, job_id, "record the Notion page of")

        self._db.run(work)
