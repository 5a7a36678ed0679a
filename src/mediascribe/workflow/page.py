"""The transcript page of a job: written with its outputs, again when its notes arrive, and opened
through fresh presigned URLs (``GET /jobs/{id}/page``).

The stored page plays the source by a path relative to its own key, which works where the bucket's
files sit side by side (a copy of the bucket); a browser reading the private bucket gets both
objects by presigned URL instead, the media's in the page's fragment (``#media=``), which the page's
script plays and S3 never sees.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from mediascribe.errors import IllegalTransitionError
from mediascribe.jobs.models import Job, JobStatus
from mediascribe.notes.models import Notes
from mediascribe.page import PageMedia, media_kind, relative_src, render_page
from mediascribe.transcription.models import Segment
from mediascribe.workflow.runtime import Runtime

PAGE_CONTENT_TYPE = "text/html; charset=utf-8"
# Long enough to watch a recording (the player keeps fetching ranges of the media while it plays);
# a role's URLs stop working with its session anyway.
PAGE_LINK_SECONDS = 3600


@dataclass(frozen=True)
class PageLinks:
    """``open_url`` is the page's URL with the media's in its fragment: the one to open."""

    page_url: str
    media_url: str
    expires_in: int

    @property
    def open_url(self) -> str:
        return f"{self.page_url}#{urlencode({'media': self.media_url})}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "page_url": self.page_url,
            "media_url": self.media_url,
            "open_url": self.open_url,
            "expires_in": self.expires_in,
        }


def store_page(
    runtime: Runtime, job: Job, *, segments: Sequence[Segment] | None = None, notes: Notes | None = None
) -> str:
    """Write the job's page; without ``segments`` they are read from its stored transcript."""
    keys = runtime.store.job_keys(job.id)
    if segments is None:
        document = runtime.store.get_json(keys, keys.transcript("json"))
        segments = [Segment.from_dict(item) for item in document.get("segments") or []]
    src = relative_src(posixpath.dirname("/" + keys.page), "/" + job.source.key)
    media = PageMedia(src=src, kind=media_kind(job.media_type))
    page = render_page(segments, title=job.original_filename, media=media, notes=notes)
    return runtime.store.put_text(keys, keys.page, page, PAGE_CONTENT_TYPE)


def page_links(runtime: Runtime, job: Job) -> PageLinks:
    """Fresh URLs of a completed job's page and its source, signed for ``PAGE_LINK_SECONDS``."""
    if job.status is not JobStatus.COMPLETED:
        raise IllegalTransitionError(f"job {job.id} is {job.status}: only a completed job has a page")
    keys = runtime.store.job_keys(job.id)
    if not runtime.store.exists(keys, keys.page):
        raise IllegalTransitionError(f"job {job.id} has no page: it was transcribed before pages existed")
    sign = runtime.store.presigned_download
    return PageLinks(
        page_url=sign(keys.page, expires_seconds=PAGE_LINK_SECONDS),
        media_url=sign(job.source.key, expires_seconds=PAGE_LINK_SECONDS),
        expires_in=PAGE_LINK_SECONDS,
    )
