"""One Notion page per job: created once, then updated in place whenever the notes are written again.

Creating: a page under a page (``{"page_id": ...}``), or in a database through its data source
(Retrieve a database lists its ``data_sources``; the page's parent is ``{"type": "data_source_id",
...}``, https://developers.notion.com/guides/get-started/upgrade-guide-2025-09-03). Its id is handed
to ``on_created`` before any content is sent, so a failure part-way leaves a page the next write
updates instead of a second one.

Updating: the title is set (the title property's id is always ``title``,
https://developers.notion.com/reference/page-property-values), the old blocks are listed
(https://developers.notion.com/reference/get-block-children, 100 a page with ``start_cursor``) and
moved to the trash (https://developers.notion.com/reference/delete-a-block), then the new ones are
appended.

Appending (https://developers.notion.com/reference/patch-block-children): at most 100 blocks and two
levels of nesting per request, within 1,000 block elements and 500 KB. Blocks go in order in as few
requests as fit; a toggle whose children do not fit is sent with the first of them and the rest are
appended to it in turn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from mediascribe.delivery.notion_api import MAX_REQUEST_BYTES, NotionClient, NotionError, encode
from mediascribe.delivery.notion_blocks import (
    MAX_ARRAY_ITEMS,
    Block,
    PageContent,
    children_of,
    rich_text,
    without_children,
)

# Room for the rest of the request around the blocks (the envelope, a parent, properties).
_BATCH_BYTES = MAX_REQUEST_BYTES - 20_000
# Child pages and databases under the notes page are someone's own; rewriting the notes keeps them.
_KEPT_CHILDREN = frozenset({"child_page", "child_database"})
# A request holds at most 1,000 block elements, nested ones included.
MAX_REQUEST_ELEMENTS = 1_000


@dataclass(frozen=True)
class NotionParent:
    kind: Literal["page", "database"]
    id: str


@dataclass(frozen=True)
class PublishedPage:
    id: str
    url: str


def publish(
    client: NotionClient,
    parent: NotionParent,
    content: PageContent,
    page_id: str | None = None,
    on_created: Callable[[PublishedPage], None] = lambda page: None,
) -> PublishedPage:
    """Create the page (``page_id`` None) or replace what ``page_id`` holds; the page as it now is."""
    if page_id is None:
        page = _create(client, parent, content.title)
        on_created(page)
    else:
        page = _retitle(client, page_id, content.title)
        trash_children(client, page.id)
    append_blocks(client, page.id, content.blocks)
    return page


def append_blocks(client: NotionClient, parent_id: str, blocks: list[Block]) -> None:
    """Append ``blocks`` to ``parent_id`` in order, in requests within Notion's limits."""
    pending = list(blocks)
    while pending:
        batch, rests = _next_batch(pending)
        answer = client.request("PATCH", f"/v1/blocks/{parent_id}/children", {"children": batch})
        created = [_id_of(block) for block in answer.get("results", [])]
        if len(created) != len(batch):
            raise NotionError(f"Notion created {len(created)} of {len(batch)} blocks")
        for index, rest in rests:
            append_blocks(client, created[index], rest)


def trash_children(client: NotionClient, block_id: str) -> None:
    """Move the blocks under ``block_id`` to the trash (their own children go with them); pages and
    databases someone placed there are theirs, not the notes', and stay."""
    for child in [child for child, kind in _children(client, block_id) if kind not in _KEPT_CHILDREN]:
        client.request("DELETE", f"/v1/blocks/{child}")


def _create(client: NotionClient, parent: NotionParent, title: str) -> PublishedPage:
    if parent.kind == "page":
        where: dict[str, Any] = {"type": "page_id", "page_id": parent.id}
    else:
        where = {"type": "data_source_id", "data_source_id": _data_source(client, parent.id)}
    answer = client.request("POST", "/v1/pages", {"parent": where, "properties": _title(title)})
    return PublishedPage(_id_of(answer), str(answer.get("url", "")))


def _retitle(client: NotionClient, page_id: str, title: str) -> PublishedPage:
    answer = client.request("PATCH", f"/v1/pages/{page_id}", {"properties": _title(title)})
    return PublishedPage(_id_of(answer), str(answer.get("url", "")))


def _title(title: str) -> dict[str, Any]:
    return {"title": {"title": rich_text(title)[:MAX_ARRAY_ITEMS]}}


def _data_source(client: NotionClient, database_id: str) -> str:
    """The database's first data source: where its pages are created since 2025-09-03."""
    sources = client.request("GET", f"/v1/databases/{database_id}").get("data_sources") or []
    if not sources:
        raise NotionError(f"the Notion database {database_id} has no data source to add a page to")
    return _id_of(sources[0])


def _children(client: NotionClient, block_id: str) -> Iterator[tuple[str, str]]:
    cursor: str | None = None
    while True:
        query = {"page_size": str(MAX_ARRAY_ITEMS), **({"start_cursor": cursor} if cursor else {})}
        answer = client.request("GET", f"/v1/blocks/{block_id}/children", query=query)
        yield from ((_id_of(block), str(block.get("type"))) for block in answer.get("results", []))
        cursor = answer.get("next_cursor")
        if not answer.get("has_more") or not cursor:
            return


def _id_of(document: Any) -> str:
    """The id of an object Notion answered with; a malformed answer is Notion's failure, not a crash."""
    if not isinstance(document, dict) or not isinstance(document.get("id"), str):
        raise NotionError("Notion answered without the id of the object")
    return str(document["id"])


def _next_batch(pending: list[Block]) -> tuple[list[Block], list[tuple[int, list[Block]]]]:
    """Take blocks off ``pending`` for one request; also which of them get more children later."""
    batch: list[Block] = []
    rests: list[tuple[int, list[Block]]] = []
    used = _Budget(len(encode({"children": []})), 0)
    while pending and len(batch) < MAX_ARRAY_ITEMS:
        head, rest = _fitting_children(pending[0], used)
        cost = _Budget(len(encode(head)) + 1, 1 + len(children_of(head)))
        if batch and not used.fits(cost):
            break
        pending.pop(0)
        batch.append(head)
        used = used.plus(cost)
        if rest:
            rests.append((len(batch) - 1, rest))
    return batch, rests


@dataclass(frozen=True)
class _Budget:
    """Bytes and block elements used in one request, against the request limits."""

    bytes: int
    elements: int

    def plus(self, other: _Budget) -> _Budget:
        return _Budget(self.bytes + other.bytes, self.elements + other.elements)

    def fits(self, other: _Budget) -> bool:
        total = self.plus(other)
        return total.bytes <= _BATCH_BYTES and total.elements <= MAX_REQUEST_ELEMENTS


def _fitting_children(block: Block, used: _Budget) -> tuple[Block, list[Block]]:
    """The block with as many of its children as still fit the request (at most 100), and the rest."""
    children = children_of(block)
    if not children:
        return block, []
    used = used.plus(_Budget(len(encode(without_children(block, []))) + 1, 1))
    count = 0
    for child in children[:MAX_ARRAY_ITEMS]:
        cost = _Budget(len(encode(child)) + 1, 1)
        if not used.fits(cost):
            break
        used = used.plus(cost)
        count += 1
    return without_children(block, children[:count]), children[count:]
