"""Delivering a job's notes to Notion: contained failures, readable reasons, never a second page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mediascribe.config import Settings
from mediascribe.delivery.notion_api import NotionClient
from mediascribe.delivery.notion_delivery import deliver_notes, engine_of, notion_id
from mediascribe.errors import ConfigurationError
from mediascribe.jobs.models import Job
from mediascribe.jobs.repository import JobRepository, NotionPage
from mediascribe.jobs.status import get_job_status
from mediascribe.notes.models import ActionItem, Chapter, Notes
from mediascribe.notes.writer import Segment
from support.fake_notion import TOKEN, FakeNotionServer
from support.job_sources import job_id_for, next_key, source_for
from support.virtual_clock import VirtualClock

NOTES = Notes(
    language="en",
    title="Weekly planning",
    summary="The release slipped a week.",
    chapters=[Chapter(title="Release", start_seconds=0.0), Chapter(title="Hiring", start_seconds=4.0)],
    action_items=[ActionItem(task="fix the login bug", owner="Maria")],
    provider="bedrock",
    model="amazon.nova-micro-v1:0",
    model_calls=1,
)
SEGMENTS = [
    Segment(0.0, "The release slipped.", "Speaker 1"),
    Segment(4.0, "Two open positions.", "Speaker 2"),
]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def notion(clock: VirtualClock) -> Iterator[FakeNotionServer]:
    with FakeNotionServer(clock=clock) as server:
        yield server


@pytest.fixture
def job(jobs: JobRepository) -> Job:
    source = source_for(f"uploads/{next_key()}/planning.mp3")
    created, _ = jobs.create_job(job_id_for(source), source, "planning.mp3")
    jobs.start(created.id)
    jobs.complete(created.id, "The release slipped. Two open positions.", {"model": "whisper-1"})
    jobs.set_notes(created.id, {"status": "completed", **NOTES.to_dict()}, title=NOTES.title)
    return jobs.get(created.id)


def deliver(
    notion: FakeNotionServer,
    clock: VirtualClock,
    jobs: JobRepository,
    job: Job,
    token: str = TOKEN,
    **settings: str,
) -> NotionPage | None:
    chosen = Settings(**{"notion_parent_page_id": notion.share_page(), **settings})  # type: ignore[arg-type]
    client = NotionClient(token, base_url=notion.base_url, clock=clock)
    return deliver_notes(chosen, jobs, job, NOTES, SEGMENTS, client=client)


def test_a_revoked_token_fails_the_page_only_and_says_what_to_check(
    notion: FakeNotionServer, clock: VirtualClock, jobs: JobRepository, job: Job
) -> None:
    before = get_job_status(jobs, job.id, include_content=True)

    recorded = deliver(notion, clock, jobs, job, token="ntn_revoked")

    assert recorded is not None and recorded.state == "failed" and recorded.page_id is None
    assert recorded.error is not None and recorded.error.startswith(
        "Notion refused the integration token (401 unauthorized): check NOTION_TOKEN or its secret."
    )
    after = get_job_status(jobs, job.id, include_content=True)
    assert after.pop("notion") == {"status": "failed", "last_error": recorded.error}
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert notion.pages() == []


def test_a_parent_not_shared_with_the_integration_is_named_with_what_to_do(
    notion: FakeNotionServer, clock: VirtualClock, jobs: JobRepository, job: Job
) -> None:
    unshared = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    recorded = deliver(notion, clock, jobs, job, notion_parent_page_id=unshared)
    assert recorded is not None and recorded.state == "failed"
    assert recorded.error is not None
    assert recorded.error.startswith(
        "Notion cannot find the parent page 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 (404 object_not_found): "
        "share it with the integration"
    )
    # Not retried: the same answer would come back.
    assert [r.status for r in notion.requests] == [404]


def test_a_page_interrupted_after_its_creation_is_completed_by_the_next_write_not_duplicated(
    notion: FakeNotionServer, clock: VirtualClock, jobs: JobRepository, job: Job
) -> None:
    parent = notion.share_page()
    settings = Settings(notion_parent_page_id=parent)
    client = NotionClient(TOKEN, base_url=notion.base_url, clock=clock, attempts=2)
    original = client.request

    def throttle_appends(method: str, path: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if method == "PATCH" and path.endswith("/children"):
            notion.throttle(2, retry_after=1)
        return original(method, path, *args, **kwargs)

    client.request = throttle_appends  # type: ignore[method-assign]
    interrupted = deliver_notes(settings, jobs, job, NOTES, SEGMENTS, client=client)
    assert interrupted is not None and interrupted.state == "failed" and interrupted.page_id is not None
    assert interrupted.error is not None and "write the notes again later" in interrupted.error
    [page] = notion.pages()
    assert interrupted.page_id == page.id and notion.tree(page.id) == []

    client.request = original  # type: ignore[method-assign]
    delivered = deliver_notes(settings, jobs, job, NOTES, SEGMENTS, client=client)

    assert delivered == NotionPage("delivered", page.id, interrupted.url)
    assert len(notion.pages()) == 1
    assert next(node["text"] for node in notion.tree(page.id) if node["type"] == "heading_2") == "Summary"


def test_a_page_deleted_in_notion_is_reported_not_recreated(
    notion: FakeNotionServer, clock: VirtualClock, jobs: JobRepository, job: Job
) -> None:
    first = deliver(notion, clock, jobs, job)
    assert first is not None and first.state == "delivered" and first.page_id is not None
    NotionClient(TOKEN, base_url=notion.base_url, clock=clock).request(
        "PATCH", f"/v1/pages/{first.page_id}", {"in_trash": True}
    )

    second = deliver(notion, clock, jobs, job)

    assert second is not None and second.state == "failed" and second.page_id == first.page_id
    assert second.error is not None and "Notion refused the page" in second.error
    assert len(notion.pages()) == 1


def test_without_a_notion_parent_nothing_is_sent_or_recorded(
    notion: FakeNotionServer, jobs: JobRepository, job: Job
) -> None:
    assert deliver_notes(Settings(), jobs, job, NOTES, SEGMENTS) is None
    assert jobs.notion_page(job.id) is None and notion.requests == []


def test_a_parent_may_be_given_as_an_id_or_a_page_address() -> None:
    dashed = "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"
    assert notion_id("1f2e3d4c5b6a49788695a4b3c2d1e0f9") == dashed
    assert notion_id(dashed.upper()) == dashed
    assert notion_id("https://www.notion.so/team/Recordings-1f2e3d4c5b6a49788695a4b3c2d1e0f9?pvs=4") == dashed
    for wrong in ("", "recordings", "x1f2e3d4c5b6a49788695a4b3c2d1e0f9", "1f2e3d4c5b6a49788695a4b3c2d1e0f"):
        with pytest.raises(ConfigurationError):
            notion_id(wrong)


def test_notes_written_again_replace_the_page_content_in_place(
    notion: FakeNotionServer, clock: VirtualClock, jobs: JobRepository, job: Job
) -> None:
    settings = Settings(notion_parent_page_id=notion.share_page())
    client = NotionClient(TOKEN, base_url=notion.base_url, clock=clock)
    first = deliver_notes(settings, jobs, job, NOTES, SEGMENTS, client=client)
    revised = NOTES.model_copy(update={"title": "Weekly planning, revised", "summary": "Hiring comes first."})

    second = deliver_notes(settings, jobs, job, revised, SEGMENTS, client=client)

    assert first is not None and second == NotionPage("delivered", first.page_id, first.url)
    [page] = notion.pages()
    assert notion.page_title(page.id) == "Weekly planning, revised"
    tree = notion.tree(page.id)
    assert [node["text"] for node in tree[:2]] == ["Summary", "Hiring comes first."]
    assert sum(node["text"] == "Summary" for node in tree) == 1


@pytest.mark.parametrize(
    ("model", "engine"),
    [
        ("transcribe-audio", "Amazon Transcribe (transcribe-audio)"),
        ("faster-whisper/tiny.en", "offline Whisper (faster-whisper/tiny.en)"),
        ("whisper-1", "OpenAI API (whisper-1)"),
        (None, None),
    ],
)
def test_the_source_names_the_engine_a_reader_knows(model: str | None, engine: str | None) -> None:
    assert engine_of({"model": model}) == engine


def test_in_a_database_the_page_goes_into_its_data_source(
    notion: FakeNotionServer, clock: VirtualClock, jobs: JobRepository, job: Job
) -> None:
    database, [source] = notion.add_database(title_property="Recording")
    settings = Settings(notion_database_id=database)
    client = NotionClient(TOKEN, base_url=notion.base_url, clock=clock)

    first = deliver_notes(settings, jobs, job, NOTES, SEGMENTS, client=client)
    again = deliver_notes(settings, jobs, job, NOTES, SEGMENTS, client=client)

    [page] = notion.pages()
    assert first == again == NotionPage("delivered", page.id, first.url if first else None)
    assert page.parent == {"type": "data_source_id", "data_source_id": source}
    assert notion.page_title(page.id) == NOTES.title
    assert next(r.path for r in notion.requests if r.method == "GET") == f"/v1/databases/{database}"
