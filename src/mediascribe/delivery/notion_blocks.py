"""The notes and the transcript as Notion blocks: what the page holds, before it is sent.

Block shapes are those of https://developers.notion.com/reference/block (``heading_2``, ``paragraph``,
``bulleted_list_item``, ``to_do``, ``toggle`` with ``children``). Text is cut to the API's size limits
(https://developers.notion.com/reference/request-limits): at most 2,000 characters per rich text
item, counted as Notion's JavaScript counts them (UTF-16 code units), and at most 100 items per
array. Whatever the recording said stays plain text: it is never a link, a mention or markup.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from mediascribe.notes.models import Notes
from mediascribe.notes.prompt import clock
from mediascribe.notes.writer import Segment

MAX_TEXT_UNITS = 2_000
MAX_ARRAY_ITEMS = 100
# A transcript paragraph holds one rich text item, so a long segment becomes several paragraphs.
Block = dict[str, Any]


@dataclass(frozen=True)
class SourceFacts:
    """What the page says about the recording itself."""

    file_name: str
    duration_seconds: float | None
    engine: str | None


@dataclass(frozen=True)
class PageContent:
    title: str
    blocks: list[Block]


def page_content(notes: Notes, segments: Sequence[Segment], source: SourceFacts) -> PageContent:
    """Title, summary, chapters, action items, speakers, the source, and the transcript by chapter."""
    blocks: list[Block] = [heading("Summary"), *paragraphs(notes.summary)]
    if notes.chapters:
        blocks.append(heading("Chapters"))
        blocks += [bullet(f"{clock(c.start_seconds)} {c.title}") for c in notes.chapters]
    if notes.action_items:
        blocks.append(heading("Action items"))
        blocks += [
            to_do(f"{item.task} ({item.owner})" if item.owner else item.task) for item in notes.action_items
        ]
    speakers = list(dict.fromkeys(s.speaker for s in segments if s.speaker))
    blocks.append(heading("Speakers"))
    blocks += [bullet(name) for name in speakers] if speakers else paragraphs("No speaker labels.")
    blocks += [heading("Source"), bullet(f"File: {source.file_name}")]
    if source.duration_seconds is not None:
        blocks.append(bullet(f"Duration: {clock(source.duration_seconds)}"))
    if source.engine:
        blocks.append(bullet(f"Engine: {source.engine}"))
    blocks.append(heading("Transcript"))
    blocks += transcript_toggles(notes, segments)
    return PageContent(title=notes.title, blocks=blocks)


def transcript_toggles(notes: Notes, segments: Sequence[Segment]) -> list[Block]:
    """One toggle per chapter, holding the segments from its start to the next chapter's."""
    starts = [c.start_seconds for c in notes.chapters]
    titles = [f"{clock(c.start_seconds)} {c.title}" for c in notes.chapters]
    if not starts or starts[0] > 0:
        starts.insert(0, 0.0)
        titles.insert(0, f"{clock(0)} Beginning" if notes.chapters else "Transcript")

    def chapter_of(segment: Segment) -> int:
        return max(i for i, start in enumerate(starts) if start <= max(segment.start, 0.0))

    by_chapter: dict[int, list[Segment]] = defaultdict(list)
    for segment in segments:
        by_chapter[chapter_of(segment)].append(segment)
    return [
        toggle(title, [p for s in by_chapter.get(index, []) for p in paragraphs(_line(s))])
        for index, title in enumerate(titles)
        if by_chapter.get(index)
    ]


def rich_text(text: str) -> list[dict[str, Any]]:
    """``text`` as plain rich text items of at most ``MAX_TEXT_UNITS`` UTF-16 units each."""
    return [{"type": "text", "text": {"content": piece}} for piece in _pieces(text)]


def paragraphs(text: str) -> list[Block]:
    """Paragraph blocks of one rich text item each: a long text becomes several paragraphs."""
    return [_block("paragraph", {"rich_text": rich_text(piece)}) for piece in _pieces(text)] or [
        _block("paragraph", {"rich_text": []})
    ]


def heading(text: str) -> Block:
    return _block("heading_2", {"rich_text": _capped(text)})


def bullet(text: str) -> Block:
    return _block("bulleted_list_item", {"rich_text": _capped(text)})


def to_do(text: str) -> Block:
    return _block("to_do", {"rich_text": _capped(text), "checked": False})


def toggle(text: str, children: list[Block]) -> Block:
    """A toggle and its children; the uploader sends more than 100 children in parts."""
    return _block("toggle", {"rich_text": _capped(text), "children": children})


def children_of(block: Block) -> list[Block]:
    children: list[Block] = block[block["type"]].get("children", [])
    return children


def without_children(block: Block, children: list[Block]) -> Block:
    """The same block holding only ``children`` (for a request that carries part of them)."""
    body = {key: value for key, value in block[block["type"]].items() if key != "children"}
    if children:
        body["children"] = children
    return _block(block["type"], body)


def _block(kind: str, body: dict[str, Any]) -> Block:
    return {"object": "block", "type": kind, kind: body}


def _capped(text: str) -> list[dict[str, Any]]:
    """Short texts (titles, list items): the first ``MAX_ARRAY_ITEMS`` items, which is all of them."""
    return rich_text(text)[:MAX_ARRAY_ITEMS]


def _line(segment: Segment) -> str:
    speaker = f"{segment.speaker}: " if segment.speaker else ""
    return f"[{clock(segment.start)}] {speaker}{' '.join(segment.text.split())}"


def _pieces(text: str) -> Iterator[str]:
    """Cut at the last space within the limit when there is one, else at the limit itself."""
    rest = text.strip()
    while rest:
        cut = _cut_index(rest)
        if cut < len(rest):
            space = rest.rfind(" ", 0, cut + 1)
            cut = space if space > cut // 2 else cut
        yield rest[:cut]
        rest = rest[cut:].lstrip() if cut < len(rest) else ""


def _cut_index(text: str) -> int:
    """The longest prefix of ``text`` within ``MAX_TEXT_UNITS`` UTF-16 code units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > MAX_TEXT_UNITS:
            return index
    return len(text)
