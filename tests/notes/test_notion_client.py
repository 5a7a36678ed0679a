"""The Notion client and page writer against the stand-in: limits, retries and errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from mediascribe.delivery.notion_api import NotionClient, NotionError
from mediascribe.delivery.notion_blocks import SourceFacts, page_content, paragraphs, toggle
from mediascribe.delivery.notion_page import NotionParent, append_blocks, publish, trash_children
from mediascribe.notes.models import Chapter, Notes
from mediascribe.notes.writer import Segment
from mediascribe.time_budget import invocation_budget
from support.fake_notion import TOKEN, FakeNotionServer
from support.virtual_clock import VirtualClock


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def notion(clock: VirtualClock) -> Iterator[FakeNotionServer]:
    with FakeNotionServer(clock=clock) as server:
        yield server


def client_for(server: FakeNotionServer, clock: VirtualClock, token: str = TOKEN) -> NotionClient:
    return NotionClient(token, base_url=server.base_url, clock=clock)


def notes_with(*chapters: Chapter) -> Notes:
    return Notes(
        language="en",
        title="Weekly planning",
        summary="The release slipped a week.",
        chapters=list(chapters),
        action_items=[],
        provider="bedrock",
        model="amazon.nova-micro-v1:0",
        model_calls=1,
    )


def test_rate_limited_twice_then_the_request_succeeds_after_the_waits_notion_asked_for(
    notion: FakeNotionServer, clock: VirtualClock
) -> None:
    parent = notion.share_page()
    notion.throttle(2, retry_after=7)
    before = clock.monotonic()

    append_blocks(client_for(notion, clock), parent, paragraphs("Hello"))

    assert [r.status for r in notion.requests] == [429, 429, 200]
    # Each retry waited at least the Retry-After, on the clock the stand-in also reads.
    assert clock.monotonic() - before >= 14
    assert notion.tree(parent) == [{"type": "paragraph", "text": "Hello", "children": []}]


def test_a_rate_limit_longer_than_a_minute_is_left_to_a_later_run(
    notion: FakeNotionServer, clock: VirtualClock
) -> None:
    parent = notion.share_page()
    notion.throttle(1, retry_after=600)
    with pytest.raises(NotionError) as raised:
        append_blocks(client_for(notion, clock), parent, paragraphs("Hello"))
    assert (raised.value.status, raised.value.code, raised.value.retryable) == (429, "rate_limited", True)
    assert len(notion.requests) == 1


def test_a_wrong_token_is_refused_once_and_not_retried(notion: FakeNotionServer, clock: VirtualClock) -> None:
    parent = notion.share_page()
    with pytest.raises(NotionError) as raised:
        append_blocks(client_for(notion, clock, token="ntn_revoked"), parent, paragraphs("Hello"))
    assert (raised.value.status, raised.value.code, raised.value.retryable) == (401, "unauthorized", False)
    assert "API token is invalid" in raised.value.message
    assert len(notion.requests) == 1


def test_a_page_not_shared_with_the_integration_is_not_found(
    notion: FakeNotionServer, clock: VirtualClock
) -> None:
    content = page_content(notes_with(), [Segment(0.0, "Hello.")], SourceFacts("a.mp3", 3.0, "whisper-1"))
    unshared = NotionParent("page", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
    with pytest.raises(NotionError) as raised:
        publish(client_for(notion, clock), unshared, content)
    assert (raised.value.status, raised.value.code, raised.value.retryable) == (
        404,
        "object_not_found",
        False,
    )
    assert notion.pages() == []


def test_a_3000_character_chapter_arrives_whole_in_items_of_at_most_2000(
    notion: FakeNotionServer, clock: VirtualClock
) -> None:
    spoken = " ".join(f"word{i:04d}" for i in range(334))[:3000]
    assert len(spoken) == 3000
    notes = notes_with(Chapter(title="Everything", start_seconds=0.0))
    content = page_content(notes, [Segment(0.0, spoken)], SourceFacts("long.mp3", 60.0, "whisper-1"))

    page = publish(client_for(notion, clock), NotionParent("page", notion.share_page()), content)

    transcript = notion.tree(page.id)[-1]
    assert transcript["type"] == "toggle" and transcript["text"] == "00:00:00 Everything"
    pieces = [child["text"] for child in transcript["children"]]
    assert len(pieces) == 2 and " ".join(pieces) == f"[00:00:00] {spoken}"
    assert max(len(item["text"]["content"]) for item in notion.rich_text_items(page.id)) <= 2000


def test_text_is_measured_in_utf16_units_as_notion_measures_it(
    notion: FakeNotionServer, clock: VirtualClock
) -> None:
    # 1,500 emoji are 3,000 UTF-16 units: two items of at most 2,000 units, not one of 1,500 characters.
    parent = notion.share_page()
    append_blocks(client_for(notion, clock), parent, paragraphs("\U0001f600" * 1500))
    items = [item["text"]["content"] for item in notion.rich_text_items(parent)]
    assert "".join(items) == "\U0001f600" * 1500
    assert max(len(text.encode("utf-16-le")) // 2 for text in items) <= 2000


def test_150_blocks_are_appended_in_two_requests_in_order(
    notion: FakeNotionServer, clock: VirtualClock
) -> None:
    parent = notion.share_page()
    blocks = [block for n in range(150) for block in paragraphs(f"line {n}")]

    append_blocks(client_for(notion, clock), parent, blocks)

    appends = [r for r in notion.requests if r.method == "PATCH"]
    assert [len(r.body["children"]) for r in appends] == [100, 50]
    assert [node["text"] for node in notion.tree(parent)] == [f"line {n}" for n in range(150)]


def test_a_toggle_with_150_children_gets_the_rest_appended_to_it_in_order(
    notion: FakeNotionServer, clock: VirtualClock
) -> None:
    parent = notion.share_page()
    children = [block for n in range(150) for block in paragraphs(f"segment {n}")]

    append_blocks(client_for(notion, clock), parent, [toggle("Chapter", children), *paragraphs("after")])

    [chapter, after] = notion.tree(parent)
    assert [node["text"] for node in chapter["children"]] == [f"segment {n}" for n in range(150)]
    assert after["text"] == "after"
    assert all(r.status == 200 for r in notion.requests)


def test_a_long_transcript_stays_within_the_request_size_and_the_rate(
    notion: FakeNotionServer, clock: VirtualClock
) -> None:
    # 600 segments of 1,900 characters: about 1.1 MB of text, far over one request's 500 KB.
    segments = [Segment(float(n), f"{n:04d} " + "x" * 1895) for n in range(600)]
    notes = notes_with(*(Chapter(title=f"Part {p}", start_seconds=float(p * 200)) for p in range(3)))
    content = page_content(notes, segments, SourceFacts("day.mp3", 600.0, "whisper-1"))

    page = publish(client_for(notion, clock), NotionParent("page", notion.share_page()), content)

    assert all(r.status == 200 for r in notion.requests), [r for r in notion.requests if r.status != 200][:1]
    toggles = [node for node in notion.tree(page.id) if node["type"] == "toggle"]
    texts = [child["text"] for t in toggles for child in t["children"]]
    assert [text[11:15] for text in texts] == [f"{n:04d}" for n in range(600)]


def test_toggles_full_of_short_lines_stay_within_1000_block_elements_a_request(
    notion: FakeNotionServer, clock: VirtualClock
) -> None:
    parent = notion.share_page()
    chapters = [
        toggle(f"Chapter {c}", [b for n in range(100) for b in paragraphs(f"{c}.{n}")]) for c in range(12)
    ]

    append_blocks(client_for(notion, clock), parent, chapters)

    assert all(r.status == 200 for r in notion.requests)
    assert [[child["text"] for child in node["children"]] for node in notion.tree(parent)] == [
        [f"{c}.{n}" for n in range(100)] for c in range(12)
    ]


def test_every_old_block_is_trashed_across_pages_of_the_listing(
    notion: FakeNotionServer, clock: VirtualClock
) -> None:
    parent = notion.share_page()
    client = client_for(notion, clock)
    append_blocks(client, parent, [block for n in range(230) for block in paragraphs(f"old {n}")])

    trash_children(client, parent)

    assert notion.tree(parent) == []
    # 236 requests at no more than three a second: the stand-in's rate limit never answered 429.
    assert all(r.status == 200 for r in notion.requests)
    listings = [r for r in notion.requests if r.method == "GET"]
    assert len(listings) == 3 and sum(r.method == "DELETE" for r in notion.requests) == 230


def test_a_page_someone_placed_under_the_notes_page_is_not_trashed(
    notion: FakeNotionServer, clock: VirtualClock
) -> None:
    client = client_for(notion, clock)
    parent = notion.share_page()
    append_blocks(client, parent, paragraphs("old"))
    title = {"title": {"title": [{"type": "text", "text": {"content": "Follow-up"}}]}}
    theirs = client.request("POST", "/v1/pages", {"parent": {"page_id": parent}, "properties": title})["id"]

    trash_children(client, parent)

    assert notion.tree(parent) == []
    assert not next(p for p in notion.pages() if p.id == theirs).in_trash


def test_a_wait_that_would_outlast_the_invocation_is_not_started(
    notion: FakeNotionServer, clock: VirtualClock
) -> None:
    parent = notion.share_page()
    notion.throttle(1, retry_after=30)
    deadline = clock.monotonic() + 45  # the function's Timeout, 45 s from now

    budget = invocation_budget(lambda: int((deadline - clock.monotonic()) * 1000))
    with budget, pytest.raises(NotionError) as raised:
        append_blocks(client_for(notion, clock), parent, paragraphs("Hello"))

    # Waiting 30 s would leave too little to send again and record the outcome before the end.
    assert (raised.value.status, raised.value.retryable) == (429, True)
    assert clock.monotonic() < deadline - 30
    assert [r.status for r in notion.requests] == [429]


def test_no_request_is_sent_that_could_not_be_answered_in_time(
    notion: FakeNotionServer, clock: VirtualClock
) -> None:
    parent = notion.share_page()
    with invocation_budget(lambda: 10_000), pytest.raises(NotionError, match="ran out of time"):
        append_blocks(client_for(notion, clock), parent, paragraphs("Hello"))
    assert notion.requests == []


@pytest.mark.parametrize(
    "body", [b"<html>upstream error</html>", b"[]", b'{"object": "list", "results": [{}]}']
)
def test_a_malformed_answer_is_a_notion_error_not_a_crash(body: bytes, clock: VirtualClock) -> None:
    class Garbled(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Silence the per-request stderr lines."""

        def do_PATCH(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = HTTPServer(("127.0.0.1", 0), Garbled)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = NotionClient(TOKEN, base_url=f"http://127.0.0.1:{server.server_address[1]}", clock=clock)
        with pytest.raises(NotionError, match="Notion answered"):
            append_blocks(client, "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9", paragraphs("Hello"))
    finally:
        server.shutdown()
        server.server_close()
