"""The notes step's Notion page: build it, send it, and record how that went with the job.

``deliver_notes`` raises for no Notion failure: it is recorded on the job (``notion.status:
failed`` with a reason a person can act on) and the transcript and notes stay as they are. A 401 or
404 is permanent until someone fixes the token or shares the page; a rate limit or an outage that
outlasts the client's retries is written again with the notes (``mediascribe notes`` or
``POST /jobs/{id}/notes``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from mediascribe.config import Settings
from mediascribe.delivery.notion_api import DEFAULT_BASE_URL, NotionClient, NotionError
from mediascribe.delivery.notion_blocks import SourceFacts, page_content
from mediascribe.delivery.notion_page import NotionParent, PublishedPage, publish
from mediascribe.errors import ConfigurationError
from mediascribe.jobs.models import Job
from mediascribe.jobs.repository import JobRepository, NotionPage
from mediascribe.notes.models import Notes
from mediascribe.notes.writer import Segment
from mediascribe.transcription.catalog import AMAZON_MODEL

logger = logging.getLogger(__name__)

TOKEN_CACHE_SECONDS = 300
MAX_ERROR_CHARS = 1000
_UNFINISHED = "the page was created but writing its content did not finish; it is written when the notes are"
# A Notion id: 32 hex digits, with or without the dashes of a UUID, alone or at the end of a page URL.
_NOTION_ID = re.compile(r"([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})$")


def notion_id(text: str) -> str:
    """The id in ``text`` (an id, or the address of a page) as a dashed UUID; else ``ConfigurationError``."""
    candidate = text.strip().lower().split("?", 1)[0].split("#", 1)[0].rstrip("/")
    match = _NOTION_ID.search(candidate)
    if match is None or (match.start() > 0 and candidate[match.start() - 1] not in "-/"):
        raise ConfigurationError(f"{text!r} is not a Notion page or database id (32 hexadecimal digits)")
    return "-".join(match.groups())


def notion_parent(settings: Settings) -> NotionParent | None:
    """Where pages go, or ``None`` when no Notion parent is configured."""
    if settings.notion_parent_page_id:
        return NotionParent("page", notion_id(settings.notion_parent_page_id))
    if settings.notion_database_id:
        return NotionParent("database", notion_id(settings.notion_database_id))
    return None


def local_notion_environment(parent: str | None, environ: Mapping[str, str]) -> dict[str, str]:
    """The variables of a local run given ``--notion-parent``: its page goes to the real Notion API
    with the integration's token from ``NOTION_TOKEN``; checked before the run starts."""
    if not parent:
        return {}
    if environ.get("NOTES_PROVIDER", "off") == "off":
        raise ConfigurationError("--notion-parent needs notes: set NOTES_PROVIDER=bedrock or openai")
    if not environ.get("NOTION_TOKEN"):
        raise ConfigurationError("--notion-parent needs the integration's token in NOTION_TOKEN")
    return {"NOTION_PARENT_PAGE_ID": notion_id(parent)}


def notion_token(settings: Settings) -> str:
    """``NOTION_TOKEN`` locally; in AWS the secret ``NOTION_TOKEN_SECRET`` names (plain or ``{"token"}``)."""
    if settings.notion_token:
        return settings.notion_token
    reference = settings.notion_token_secret
    if not reference:
        raise ConfigurationError(
            "a Notion parent is set but no token: set NOTION_TOKEN or NOTION_TOKEN_SECRET"
        )
    try:
        raw = parameters.get_secret(reference, max_age=TOKEN_CACHE_SECONDS)
    except GetParameterError as exc:
        raise ConfigurationError(f"cannot read the Notion token from {reference}: {exc}") from exc
    text = (raw.decode("utf-8") if isinstance(raw, bytes) else str(raw or "")).strip()
    if text.startswith("{"):
        try:
            text = str(json.loads(text).get("token") or "").strip()
        except (ValueError, AttributeError):
            raise ConfigurationError(f"secret {reference} looks like JSON but has no token field") from None
    if not text:
        raise ConfigurationError(f"secret {reference} holds no Notion token")
    return text


def deliver_notes(
    settings: Settings,
    jobs: JobRepository,
    job: Job,
    notes: Notes,
    segments: Sequence[Segment],
    client: NotionClient | None = None,
) -> NotionPage | None:
    """Create or update the job's page; what was recorded (``None`` when Notion is not configured)."""
    try:
        parent = notion_parent(settings)
    except ConfigurationError as exc:
        return _record(jobs, job, NotionPage("failed", error=exc.message))
    if parent is None:
        return None
    known = jobs.notion_page(job.id)
    page_id = known.page_id if known else None
    url = known.url if known else None

    def created(page: PublishedPage) -> None:
        nonlocal page_id, url
        page_id, url = page.id, page.url
        jobs.set_notion_page(job.id, NotionPage("failed", page.id, page.url, _UNFINISHED))

    try:
        source = SourceFacts(job.original_filename, job.duration_seconds, engine_of(job.result or {}))
        page = publish(
            client or notion_client(settings),
            parent,
            page_content(notes, segments, source),
            page_id=page_id,
            on_created=created,
        )
    except (NotionError, ConfigurationError) as exc:
        return _record(jobs, job, NotionPage("failed", page_id, url, readable_reason(exc, parent, page_id)))
    logger.info("notion page written", extra={"updated": known is not None and known.page_id is not None})
    return _record(jobs, job, NotionPage("delivered", page.id, page.url or url))


def engine_of(result: dict[str, Any]) -> str | None:
    """The engine that wrote the transcript, named for a reader, from the model the job recorded."""
    model = result.get("model")
    if not isinstance(model, str) or not model:
        return None
    if model == AMAZON_MODEL.name:
        return f"Amazon Transcribe ({model})"
    if model.startswith("faster-whisper/"):
        return f"offline Whisper ({model})"
    return f"OpenAI API ({model})"


def notion_client(settings: Settings) -> NotionClient:
    return NotionClient(notion_token(settings), base_url=settings.notion_base_url or DEFAULT_BASE_URL)


def readable_reason(exc: NotionError | ConfigurationError, parent: NotionParent, page_id: str | None) -> str:
    """What went wrong, in words that say what to do about it."""
    if isinstance(exc, ConfigurationError):
        return _clip(exc.message)
    where = f"the page {page_id}" if page_id else f"the parent {parent.kind} {parent.id}"
    if exc.status == 401:
        hint = "Notion refused the integration token (401 unauthorized): check NOTION_TOKEN or its secret"
    elif exc.status == 404:
        hint = (
            f"Notion cannot find {where} (404 object_not_found): share it with the integration "
            "(the page's ••• menu, Connections) or check the id"
        )
    elif exc.status == 403:
        hint = "the integration may not do this (403 restricted_resource): give it insert and update content"
    elif exc.retryable:
        hint = "Notion is busy or unreachable; write the notes again later to deliver the page"
    else:
        hint = "Notion refused the page"
    return _clip(f"{hint}. {exc.message}")


def _record(jobs: JobRepository, job: Job, page: NotionPage) -> NotionPage:
    jobs.set_notion_page(job.id, page)
    if page.state == "failed":
        logger.warning("notion page failed", extra={"reason": page.error})
    return page


def _clip(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"
