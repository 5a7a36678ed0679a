"""``JobRepository``: all reads and writes of jobs and assets, one class for its callers.

Its parts are mixins, one module per concern, each running its statements on the one executor the
repository holds (``RepositoryPart``): the job lifecycle (``lifecycle``), the transcript text
(``content``), notes and their rewrite requests (``notes_store``), the Notion page (``notion_pages``)
and the search segments (``segments``). Mixins rather than composed objects keep ``repository.start``
and ``repository.store_segments`` as they are for every caller, while each concern reads on its own.
"""

from __future__ import annotations

from mediascribe.jobs.content import TranscriptContent
from mediascribe.jobs.executor import Executor
from mediascribe.jobs.lifecycle import JobLifecycle
from mediascribe.jobs.notes_store import NotesStore
from mediascribe.jobs.notion_pages import NotionPage, NotionPages
from mediascribe.jobs.segments import SegmentStore

__all__ = ["JobRepository", "NotionPage"]


class JobRepository(JobLifecycle, TranscriptContent, NotesStore, NotionPages, SegmentStore):
    """All reads and writes of jobs and assets. Methods return the job as it is after the change."""

    def __init__(self, executor: Executor) -> None:
        self._db = executor

    @property
    def executor(self) -> Executor:
        """The executor the repository runs on, for the tables kept beside the jobs (deliveries)."""
        return self._db
