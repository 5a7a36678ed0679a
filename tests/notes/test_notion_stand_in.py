"""The Notion stand-in refuses what the real API refuses, so the client's care is tested for real."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from mediascribe.delivery.notion_api import NotionClient, NotionError
from support.fake_notion import TOKEN, FakeNotionServer
from support.virtual_clock import VirtualClock


@pytest.fixture
def notion() -> Iterator[FakeNotionServer]:
    with FakeNotionServer(clock=VirtualClock()) as server:
        yield server


def paragraph(text: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "paragraph",
        "paragraph": {"rich_text": [{"type": "text", "text": {"content": text}}], **extra},
    }


def refusal(
    server: FakeNotionServer, method: str, path: str, body: dict[str, Any] | None = None
) -> NotionError:
    client = NotionClient(TOKEN, base_url=server.base_url, clock=server.clock, attempts=1)
    with pytest.raises(NotionError) as raised:
        client.request(method, path, body)
    return raised.value


@pytest.mark.parametrize(
    ("children", "expected"),
    [
        ([paragraph("x" * 2001)], "text.content.length should be ≤ `2000`, instead was `2001`"),
        ([paragraph("x")] * 101, "body.children.length should be ≤ `100`, instead was `101`"),
        (
            [
                {
                    "type": "paragraph",
                    "paragraph": {"rich_text": [{"type": "text", "text": {"content": "x"}}] * 101},
                }
            ],
            "rich_text.length should be ≤ `100`",
        ),
        (
            [paragraph("a", children=[paragraph("b", children=[paragraph("c", children=[paragraph("d")])])])],
            "two levels of nesting",
        ),
        (
            [{"type": "heading_2", "heading_2": {"rich_text": [], "children": [paragraph("x")]}}],
            "not supported",
        ),
        ([{"type": "to_do", "to_do": {"rich_text": [], "checked": "yes"}}], "checked should be a boolean"),
        ([{"type": "embed", "embed": {"url": "https://example.com"}}], "should be a block object"),
    ],
)
def test_blocks_outside_the_limits_or_the_schema_are_a_validation_error(
    notion: FakeNotionServer, children: list[dict[str, Any]], expected: str
) -> None:
    parent = notion.share_page()
    error = refusal(notion, "PATCH", f"/v1/blocks/{parent}/children", {"children": children})
    assert (error.status, error.code) == (400, "validation_error") and expected in error.message
    assert notion.tree(parent) == []


def test_more_than_1000_block_elements_or_500_kb_in_one_request_are_refused(notion: FakeNotionServer) -> None:
    parent = notion.share_page()
    nested = [paragraph("t", children=[paragraph("c")] * 99) for _ in range(11)]
    assert "1000" in refusal(notion, "PATCH", f"/v1/blocks/{parent}/children", {"children": nested}).message
    # 100 paragraphs of 2,000 "é" are 400,000 bytes of text; twice that in two toggles is over 500 KB.
    halves = [{"type": "toggle", "toggle": {"rich_text": [], "children": [paragraph("é" * 2000)] * 100}}] * 2
    body = json.dumps({"children": halves}, ensure_ascii=False).encode()
    assert len(body) > 500_000
    status, answer = raw_request(notion, "PATCH", f"/v1/blocks/{parent}/children", body)
    assert (status, answer["code"]) == (400, "validation_error") and "too large" in answer["message"]
    # The client does not even send it.
    client = NotionClient(TOKEN, base_url=notion.base_url, attempts=1)
    with pytest.raises(ValueError, match="exceeds Notion's 500000 bytes"):
        client.request("PATCH", f"/v1/blocks/{parent}/children", {"children": halves})
    assert notion.tree(parent) == []


def raw_request(
    server: FakeNotionServer, method: str, path: str, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """A request as any HTTP client could send it, bypassing the client's own checks."""
    sent = {"Authorization": f"Bearer {TOKEN}", "Notion-Version": "2026-03-11", **(headers or {})}
    request = urllib.request.Request(f"{server.base_url}{path}", data=body, headers=sent, method=method)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_fields_removed_in_2026_03_11_are_refused(notion: FakeNotionServer) -> None:
    parent = notion.share_page()
    first = NotionClient(TOKEN, base_url=notion.base_url).request(
        "PATCH", f"/v1/blocks/{parent}/children", {"children": [paragraph("a")]}
    )
    after = {"children": [paragraph("b")], "after": first["results"][0]["id"]}
    assert "after" in refusal(notion, "PATCH", f"/v1/blocks/{parent}/children", after).message
    assert refusal(notion, "PATCH", f"/v1/pages/{parent}", {"archived": True}).code == "validation_error"


def test_a_trashed_block_cannot_be_trashed_or_extended_again(notion: FakeNotionServer) -> None:
    parent = notion.share_page()
    client = NotionClient(TOKEN, base_url=notion.base_url)
    toggle = {"type": "toggle", "toggle": {"rich_text": []}}
    block = client.request("PATCH", f"/v1/blocks/{parent}/children", {"children": [toggle]})["results"][0][
        "id"
    ]
    client.request("DELETE", f"/v1/blocks/{block}")
    assert "archived" in refusal(notion, "DELETE", f"/v1/blocks/{block}").message
    assert (
        "archived"
        in refusal(notion, "PATCH", f"/v1/blocks/{block}/children", {"children": [paragraph("x")]}).message
    )
    assert client.request("GET", f"/v1/blocks/{parent}/children")["results"] == []


def test_headers_and_json_are_checked_before_anything_else(notion: FakeNotionServer) -> None:
    path = f"/v1/blocks/{notion.share_page()}/children"
    status, answer = raw_request(notion, "PATCH", path, b"{}", {"Notion-Version": ""})
    assert (status, answer["object"], answer["code"]) == (400, "error", "missing_version")
    status, answer = raw_request(notion, "PATCH", path, b"{}", {"Authorization": "Bearer ntn_other"})
    assert (status, answer["code"], answer["message"]) == (401, "unauthorized", "API token is invalid.")
    status, answer = raw_request(notion, "PATCH", path, b"{not json")
    assert (status, answer["code"]) == (400, "invalid_json")


def test_requests_faster_than_three_a_second_are_rate_limited(notion: FakeNotionServer) -> None:
    parent = notion.share_page()
    client = NotionClient(TOKEN, base_url=notion.base_url, clock=notion.clock, attempts=1)
    # Without the client's pacing: a burst of ten is allowed, the eleventh is not.
    client.clock = _Frozen()
    statuses = []
    for _ in range(11):
        try:
            client.request("GET", f"/v1/blocks/{parent}/children")
            statuses.append(200)
        except NotionError as exc:
            statuses.append(exc.status or 0)
    assert statuses == [200] * 10 + [429]
    assert notion.requests[-1].status == 429


class _Frozen:
    """A clock on which no time passes: the client cannot pace itself."""

    def monotonic(self) -> float:
        return 0.0

    def sleep(self, seconds: float) -> None:
        return None


def test_a_page_in_a_database_goes_through_its_data_source(notion: FakeNotionServer) -> None:
    _, [source] = notion.add_database(title_property="Name")
    client = NotionClient(TOKEN, base_url=notion.base_url)
    title = {"title": {"title": [{"type": "text", "text": {"content": "A"}}]}}
    page = client.request(
        "POST",
        "/v1/pages",
        {"parent": {"type": "data_source_id", "data_source_id": source}, "properties": title},
    )
    assert page["parent"] == {"type": "data_source_id", "data_source_id": source}
    two, _ = notion.add_database(sources=2)
    error = refusal(
        notion,
        "POST",
        "/v1/pages",
        {"parent": {"type": "database_id", "database_id": two}, "properties": title},
    )
    assert error.code == "validation_error" and "multiple data sources" in error.message
