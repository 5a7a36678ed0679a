"""A local stand-in for Notion's REST API (pages, blocks, databases), on 127.0.0.1.

The client reaches it through its base URL (``NOTION_BASE_URL``), so the real requests, headers and
error handling run. It speaks the API's shapes (https://developers.notion.com/reference) and refuses
what the API refuses, with its error document ``{"object": "error", "status", "code", "message"}``:

- 401 ``unauthorized`` for a missing or wrong bearer token; 400 ``missing_version`` without
  ``Notion-Version``, 400 ``validation_error`` for a version it does not know;
- 404 ``object_not_found`` for a page, block or database that does not exist or is not shared with
  the integration (Notion does not tell the two apart);
- 400 ``invalid_json``, and 400 ``validation_error`` for a body against the schema or the request
  limits (https://developers.notion.com/reference/request-limits): more than 2,000 characters (UTF-16
  units) in a ``text.content``, more than 100 elements in an array, more than two levels of nesting,
  more than 1,000 block elements or 500 KB; ``archived`` and ``after``, gone in 2026-03-11; editing a
  block in the trash;
- 429 ``rate_limited`` with ``Retry-After`` past an average of three requests a second (a burst of
  ten), and whenever a test queues throttles with ``throttle``.

Time comes from a clock (a ``VirtualClock`` in tests), so a client's waits count as elapsed.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from support.http_stand_in import HttpStandIn
from support.virtual_clock import SYSTEM_CLOCK, Clock

TOKEN = "ntn_test_not_a_real_token"
# The version whose shapes it speaks (data sources, ``in_trash``, ``position``); others are refused.
VERSIONS = frozenset({"2026-03-11"})
MAX_TEXT_UNITS = 2_000
MAX_ARRAY_ITEMS = 100
MAX_BLOCK_ELEMENTS = 1_000
MAX_BODY_BYTES = 500_000
RATE_PER_SECOND = 3.0
BURST = 10.0
TEXT_BLOCKS = frozenset(
    {
        "paragraph",
        "heading_1",
        "heading_2",
        "heading_3",
        "bulleted_list_item",
        "numbered_list_item",
        "to_do",
        "toggle",
        "quote",
        "callout",
    }
)
# Blocks that may hold children (headings only when toggleable).
PARENT_BLOCKS = frozenset(
    {"paragraph", "bulleted_list_item", "numbered_list_item", "to_do", "toggle", "quote", "callout"}
)
_ID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_ROUTES = [
    ("POST", re.compile(r"^/v1/pages$"), "create_page"),
    ("GET", re.compile(r"^/v1/pages/(?P<id>[^/]+)$"), "get_page"),
    ("PATCH", re.compile(r"^/v1/pages/(?P<id>[^/]+)$"), "update_page"),
    ("GET", re.compile(r"^/v1/databases/(?P<id>[^/]+)$"), "get_database"),
    ("GET", re.compile(r"^/v1/blocks/(?P<id>[^/]+)/children$"), "list_children"),
    ("PATCH", re.compile(r"^/v1/blocks/(?P<id>[^/]+)/children$"), "append_children"),
    ("DELETE", re.compile(r"^/v1/blocks/(?P<id>[^/]+)$"), "delete_block"),
]


class NotionRefusal(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


def _validation(message: str) -> NotionRefusal:
    return NotionRefusal(400, "validation_error", message)


@dataclass
class StoredBlock:
    """A page or a block: pages are blocks of type ``child_page`` with properties."""

    id: str
    type: str
    parent: dict[str, Any]
    body: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)
    in_trash: bool = False


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    body: Any
    status: int


class FakeNotionServer(HttpStandIn):
    """The API for one integration (``token``); ``share_page``/``add_database`` give it access."""

    thread_name = "fake-notion"

    def __init__(self, *, token: str = TOKEN, clock: Clock = SYSTEM_CLOCK) -> None:
        self.token = token
        self.clock = clock
        self.requests: list[Recorded] = []
        self._blocks: dict[str, StoredBlock] = {}
        self._databases: dict[str, list[dict[str, Any]]] = {}
        self._throttles: list[int] = []
        self._allowance = BURST
        self._last_refill: float | None = None
        self._lock = threading.Lock()
        super().__init__()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    @property
    def base_url(self) -> str:
        return self.url

    # -- the workspace ------------------------------------------------------------------------------

    def share_page(self, title: str = "Meeting notes") -> str:
        """A top-level page shared with the integration; its id."""
        page = StoredBlock(str(uuid.uuid4()), "child_page", {"type": "workspace", "workspace": True})
        page.properties = {"title": {"id": "title", "type": "title", "title": _plain(title)}}
        self._blocks[page.id] = page
        return page.id

    def add_database(self, title_property: str = "Name", sources: int = 1) -> tuple[str, list[str]]:
        """A shared database and its data sources' ids; each source's title property is ``title_property``."""
        database_id = str(uuid.uuid4())
        ids = [str(uuid.uuid4()) for _ in range(sources)]
        self._databases[database_id] = [
            {"id": i, "name": f"Source {n}", "title": title_property} for n, i in enumerate(ids)
        ]
        return database_id, ids

    def throttle(self, times: int, retry_after: int = 1) -> None:
        """Answer the next ``times`` requests 429 ``rate_limited`` with ``Retry-After: retry_after``."""
        with self._lock:
            self._throttles += [retry_after] * times

    def pages(self) -> list[StoredBlock]:
        """Pages the integration created (not the shared parents), in the trash or not."""
        return [
            b for b in self._blocks.values() if b.type == "child_page" and b.parent.get("type") != "workspace"
        ]

    def page_title(self, page_id: str) -> str:
        title = next(v for v in self._blocks[page_id].properties.values() if v.get("type") == "title")
        return "".join(item["text"]["content"] for item in title["title"])

    def tree(self, block_id: str) -> list[dict[str, Any]]:
        """The blocks under ``block_id`` not in the trash: ``{"type", "text", "checked"?, "children"}``."""
        result = []
        for child_id in self._blocks[block_id].children:
            child = self._blocks[child_id]
            if child.in_trash or child.type == "child_page":
                continue
            node: dict[str, Any] = {"type": child.type, "text": _text(child.body.get("rich_text", []))}
            if "checked" in child.body:
                node["checked"] = child.body["checked"]
            node["children"] = self.tree(child.id)
            result.append(node)
        return result

    def rich_text_items(self, block_id: str) -> Iterator[dict[str, Any]]:
        """Every rich text item stored under ``block_id``, at any depth."""
        for child_id in self._blocks[block_id].children:
            child = self._blocks[child_id]
            yield from child.body.get("rich_text", [])
            yield from self.rich_text_items(child_id)

    # -- answering ----------------------------------------------------------------------------------

    def answer(
        self, method: str, target: str, headers: Any, raw: bytes
    ) -> tuple[int, dict[str, Any], int | None]:
        split = urllib.parse.urlsplit(target)
        body: Any = None
        try:
            with self._lock:
                self._admit(headers, len(raw))
                if raw:
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        raise NotionRefusal(400, "invalid_json", "Error parsing JSON body.") from None
                for route_method, pattern, name in _ROUTES:
                    match = pattern.match(split.path)
                    if match and route_method == method:
                        query = dict(urllib.parse.parse_qsl(split.query))
                        result = getattr(self, f"_{name}")(match.groupdict().get("id"), body or {}, query)
                        status, payload, retry = 200, result, None
                        break
                else:
                    raise NotionRefusal(400, "invalid_request_url", "Invalid request URL.")
        except NotionRefusal as refusal:
            status, retry = refusal.status, refusal.retry_after
            payload = {
                "object": "error",
                "status": status,
                "code": refusal.code,
                "message": refusal.message,
                "request_id": str(uuid.uuid4()),
            }
        self.requests.append(Recorded(method, split.path, body, status))
        return status, payload, retry

    def _admit(self, headers: Any, size: int) -> None:
        now = self.clock.monotonic()
        if self._last_refill is not None:
            self._allowance = min(BURST, self._allowance + (now - self._last_refill) * RATE_PER_SECOND)
        self._last_refill = now
        if headers.get("Authorization") != f"Bearer {self.token}":
            raise NotionRefusal(401, "unauthorized", "API token is invalid.")
        version = headers.get("Notion-Version")
        if not version:
            raise NotionRefusal(
                400,
                "missing_version",
                "Notion-Version header failed validation: Notion-Version header should be defined, "
                "instead was `undefined`.",
            )
        if version not in VERSIONS:
            raise _validation(f"Notion-Version header failed validation: `{version}` is not a valid version.")
        if self._throttles:
            raise NotionRefusal(
                429,
                "rate_limited",
                "You have been rate limited. Please try again in a few minutes.",
                self._throttles.pop(0),
            )
        if self._allowance < 1:
            raise NotionRefusal(
                429, "rate_limited", "You have been rate limited. Please try again in a few minutes.", 1
            )
        self._allowance -= 1
        if size > MAX_BODY_BYTES:
            raise _validation(f"Request body too large: {size} bytes, at most {MAX_BODY_BYTES}.")

    # -- endpoints ----------------------------------------------------------------------------------

    def _create_page(self, _: None, body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        _no_unknown(body, {"parent", "properties", "children", "icon", "cover", "position"}, "body")
        parent = body.get("parent")
        if not isinstance(parent, dict):
            raise _validation(
                "body failed validation: body.parent should be defined, instead was `undefined`."
            )
        schema = self._schema_of(parent)
        properties = body.get("properties") or {}
        stored = self._properties(properties, schema)
        children = body.get("children", [])
        self._check_children(children, "body.children", depth=1)
        page = StoredBlock(str(uuid.uuid4()), "child_page", _normal_parent(parent), properties=stored)
        self._blocks[page.id] = page
        if "page_id" in parent:
            self._blocks[_dashed(parent["page_id"])].children.append(page.id)
        self._store_children(page, children)
        return self._page_object(page)

    def _get_page(self, page_id: str, body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        return self._page_object(self._page(page_id))

    def _update_page(self, page_id: str, body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        _no_unknown(body, {"properties", "in_trash", "icon", "cover", "is_locked"}, "body")
        page = self._page(page_id)
        if page.in_trash and body.get("in_trash") is not False:
            raise _validation("Can't edit page that is archived. You must unarchive the page before editing.")
        schema = (
            self._schema_of(page.parent) if page.parent.get("type") != "workspace" else {"title": "title"}
        )
        for name, value in self._properties(body.get("properties") or {}, schema).items():
            page.properties[name] = value
        if "in_trash" in body:
            page.in_trash = bool(body["in_trash"])
        return self._page_object(page)

    def _get_database(self, database_id: str, body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        sources = self._databases.get(_dashed(database_id)) if _ID.match(database_id) else None
        if sources is None:
            raise _not_found("database", database_id)
        return {
            "object": "database",
            "id": _dashed(database_id),
            "data_sources": [{"id": s["id"], "name": s["name"]} for s in sources],
            "in_trash": False,
        }

    def _list_children(self, block_id: str, body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        block = self._block(block_id)
        size = int(query.get("page_size", MAX_ARRAY_ITEMS))
        if not 1 <= size <= MAX_ARRAY_ITEMS:
            raise _validation(
                f"body failed validation: page_size should be ≤ `{MAX_ARRAY_ITEMS}`, instead was `{size}`."
            )
        live = [c for c in block.children if not self._blocks[c].in_trash]
        start = live.index(query["start_cursor"]) if query.get("start_cursor") in live else 0
        if query.get("start_cursor") and query["start_cursor"] not in live:
            raise _validation("start_cursor provided is invalid.")
        window = live[start : start + size]
        more = start + size < len(live)
        return {
            "object": "list",
            "results": [self._block_object(self._blocks[c]) for c in window],
            "next_cursor": live[start + size] if more else None,
            "has_more": more,
            "type": "block",
            "block": {},
        }

    def _append_children(self, block_id: str, body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        if "after" in body:
            raise _validation(
                "body failed validation: body.after is not supported, use body.position instead."
            )
        _no_unknown(body, {"children", "position"}, "body")
        parent = self._block(block_id)
        if parent.in_trash:
            raise _validation(
                "Can't edit block that is archived. You must unarchive the block before editing."
            )
        if parent.type != "child_page" and parent.type not in PARENT_BLOCKS:
            raise _validation(f"Block type {parent.type} does not support children.")
        children = body.get("children")
        if not isinstance(children, list):
            raise _validation(
                "body failed validation: body.children should be defined, instead was `undefined`."
            )
        self._check_children(children, "body.children", depth=1)
        created = self._store_children(parent, children)
        return {
            "object": "list",
            "results": [self._block_object(b) for b in created],
            "next_cursor": None,
            "has_more": False,
            "type": "block",
            "block": {},
        }

    def _delete_block(self, block_id: str, body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        block = self._block(block_id)
        if block.in_trash:
            raise _validation(
                "Can't edit block that is archived. You must unarchive the block before editing."
            )
        block.in_trash = True
        return self._block_object(block)

    # -- checks and storage -------------------------------------------------------------------------

    def _schema_of(self, parent: dict[str, Any]) -> dict[str, str]:
        """The properties a page under ``parent`` may have: name or id -> type."""
        if "archived" in parent:
            raise _validation("body failed validation: body.parent.archived is not supported.")
        kind = parent.get("type") or next(
            (k for k in ("page_id", "data_source_id", "database_id") if k in parent), None
        )
        if kind == "page_id":
            self._page(str(parent.get("page_id", "")))
            return {"title": "title"}
        if kind == "data_source_id":
            source = self._source(str(parent.get("data_source_id", "")))
            return {source["title"]: "title", "title": "title"}
        if kind == "database_id":
            sources = self._databases.get(_dashed(str(parent.get("database_id", ""))))
            if sources is None:
                raise _not_found("database", str(parent.get("database_id")))
            if len(sources) > 1:
                raise _validation(
                    "Databases with multiple data sources are not supported in this API version."
                )
            return {sources[0]["title"]: "title", "title": "title"}
        raise _validation(
            "body failed validation: body.parent should be a page_id, data_source_id or database_id."
        )

    def _source(self, source_id: str) -> dict[str, Any]:
        for sources in self._databases.values():
            for source in sources:
                if _ID.match(source_id) and source["id"] == _dashed(source_id):
                    return source
        raise _not_found("data source", source_id)

    def _properties(self, properties: Any, schema: dict[str, str]) -> dict[str, Any]:
        if not isinstance(properties, dict):
            raise _validation("body failed validation: body.properties should be an object.")
        stored = {}
        for name, value in properties.items():
            if name not in schema:
                raise _validation(f"{name} is not a property that exists.")
            items = value.get("title") if isinstance(value, dict) else None
            if not isinstance(items, list):
                raise _validation(f"body failed validation: body.properties.{name}.title should be an array.")
            self._check_rich_text(items, f"body.properties.{name}.title")
            key = "title" if schema[name] == "title" else name
            stored[key] = {"id": "title", "type": "title", "title": items}
        return stored

    def _check_children(self, children: Any, where: str, depth: int) -> int:
        """Validate an array of new blocks; the number of block elements it holds."""
        if not isinstance(children, list):
            raise _validation(f"body failed validation: {where} should be an array.")
        if len(children) > MAX_ARRAY_ITEMS:
            raise _too_long(f"{where}.length", MAX_ARRAY_ITEMS, len(children))
        count = 0
        for index, block in enumerate(children):
            path = f"{where}[{index}]"
            if not isinstance(block, dict):
                raise _validation(f"body failed validation: {path} should be an object.")
            kind = block.get("type") or next((k for k in block if k in TEXT_BLOCKS), None)
            if kind not in TEXT_BLOCKS or not isinstance(block.get(kind), dict):
                raise _validation(
                    f"body failed validation: {path} should be a block object, instead was `{kind}`."
                )
            if "archived" in block or "in_trash" in block:
                raise _validation(f"body failed validation: {path}.archived is not supported.")
            _no_unknown(block, {"object", "type", kind}, path)
            content = block[kind]
            _no_unknown(
                content, {"rich_text", "color", "checked", "children", "is_toggleable"}, f"{path}.{kind}"
            )
            if "rich_text" not in content:
                raise _validation(
                    f"body failed validation: {path}.{kind}.rich_text should be defined, "
                    "instead was `undefined`."
                )
            self._check_rich_text(content["rich_text"], f"{path}.{kind}.rich_text")
            if "checked" in content and (kind != "to_do" or not isinstance(content["checked"], bool)):
                raise _validation(
                    f"body failed validation: {path}.{kind}.checked should be a boolean for to_do blocks."
                )
            count += 1
            if "children" in content:
                if kind not in PARENT_BLOCKS:
                    raise _validation(
                        f"body failed validation: {path}.{kind}.children is not supported for {kind}."
                    )
                if depth >= 2 and content["children"]:
                    raise _validation(
                        f"body failed validation: {path}.{kind}.children exceeds the two levels "
                        "of nesting allowed."
                    )
                count += self._check_children(content["children"], f"{path}.{kind}.children", depth + 1)
        if depth == 1 and count > MAX_BLOCK_ELEMENTS:
            raise _validation(
                f"body failed validation: {count} block elements, at most {MAX_BLOCK_ELEMENTS} per request."
            )
        return count

    def _check_rich_text(self, items: Any, where: str) -> None:
        if not isinstance(items, list):
            raise _validation(f"body failed validation: {where} should be an array.")
        if len(items) > MAX_ARRAY_ITEMS:
            raise _too_long(f"{where}.length", MAX_ARRAY_ITEMS, len(items))
        for index, item in enumerate(items):
            text = item.get("text") if isinstance(item, dict) else None
            content = text.get("content") if isinstance(text, dict) else None
            if item.get("type", "text") != "text" or not isinstance(content, str):
                raise _validation(
                    f"body failed validation: {where}[{index}].text.content should be a string."
                )
            units = len(content.encode("utf-16-le")) // 2
            if units > MAX_TEXT_UNITS:
                raise _too_long(f"{where}[{index}].text.content.length", MAX_TEXT_UNITS, units)

    def _store_children(self, parent: StoredBlock, children: list[dict[str, Any]]) -> list[StoredBlock]:
        created = []
        for block in children:
            kind = block.get("type") or next(k for k in block if k in TEXT_BLOCKS)
            content = dict(block[kind])
            nested = content.pop("children", [])
            stored = StoredBlock(
                str(uuid.uuid4()), kind, {"type": "block_id", "block_id": parent.id}, body=content
            )
            self._blocks[stored.id] = stored
            parent.children.append(stored.id)
            self._store_children(stored, nested)
            created.append(stored)
        return created

    def _page(self, page_id: str) -> StoredBlock:
        block = self._blocks.get(_dashed(page_id)) if _ID.match(page_id) else None
        if block is None or block.type != "child_page":
            raise _not_found("page", page_id)
        return block

    def _block(self, block_id: str) -> StoredBlock:
        block = self._blocks.get(_dashed(block_id)) if _ID.match(block_id) else None
        if block is None:
            raise _not_found("block", block_id)
        return block

    def _page_object(self, page: StoredBlock) -> dict[str, Any]:
        return {
            "object": "page",
            "id": page.id,
            "parent": page.parent,
            "properties": page.properties,
            "in_trash": page.in_trash,
            "url": f"https://www.notion.so/{page.id.replace('-', '')}",
            "public_url": None,
        }

    def _block_object(self, block: StoredBlock) -> dict[str, Any]:
        return {
            "object": "block",
            "id": block.id,
            "parent": block.parent,
            "type": block.type,
            "has_children": any(not self._blocks[c].in_trash for c in block.children),
            "in_trash": block.in_trash,
            block.type: block.body if block.type != "child_page" else {"title": ""},
        }


def _no_unknown(document: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(document) - allowed)
    if unknown:
        shown = json.dumps(document[unknown[0]])[:50]
        raise _validation(
            f"body failed validation: {where}.{unknown[0]} should be not present, instead was `{shown}`."
        )


def _too_long(where: str, limit: int, actual: int) -> NotionRefusal:
    return _validation(f"body failed validation: {where} should be ≤ `{limit}`, instead was `{actual}`.")


def _not_found(kind: str, object_id: str) -> NotionRefusal:
    return NotionRefusal(
        404,
        "object_not_found",
        f"Could not find {kind} with ID: {object_id}. Make sure the relevant pages and databases "
        "are shared with your integration.",
    )


def _normal_parent(parent: dict[str, Any]) -> dict[str, Any]:
    kind = parent.get("type") or next(k for k in ("page_id", "data_source_id", "database_id") if k in parent)
    return {"type": kind, kind: _dashed(str(parent[kind]))}


def _dashed(object_id: str) -> str:
    plain = object_id.replace("-", "").lower()
    return f"{plain[:8]}-{plain[8:12]}-{plain[12:16]}-{plain[16:20]}-{plain[20:]}"


def _plain(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"content": text}}]


def _text(items: list[dict[str, Any]]) -> str:
    return "".join(item["text"]["content"] for item in items)


def _handler_for(server: FakeNotionServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the per-request stderr lines."""

        def _serve(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, payload, retry_after = server.answer(self.command, self.path, self.headers, raw)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            if retry_after is not None:
                self.send_header("Retry-After", str(retry_after))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

    return Handler
