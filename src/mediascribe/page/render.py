"""The transcript page: one self-contained HTML file with the player, the lines and the notes.

Every piece of text from the transcript or the notes is escaped with ``html.escape``; the data the
script needs (each line's start) travels in ``data-`` attributes, never as inline JavaScript. The page
carries its own Content-Security-Policy: nothing loads from the network, the only script and style
allowed are the page's own, by hash, and media only from the page's origin ('self').

'self' is enough for both ways the page is opened. Written beside the media it plays a relative path.
Served from the bucket, the page and the media are two presigned URLs of the same bucket, hence the
same origin; the media's URL comes in the page's fragment (``#media=``), which the browser never
sends to S3, so the page's own signature stays valid and nothing that expires is stored in it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Literal
from urllib.parse import quote

from mediascribe.notes.models import Notes
from mediascribe.notes.prompt import clock
from mediascribe.transcription.cues import clean_text
from mediascribe.transcription.models import Segment

MediaKind = Literal["audio", "video"]


@dataclass(frozen=True)
class PageMedia:
    """The player's source: a URL relative to the page (or absolute), and whether it shows a picture."""

    src: str
    kind: MediaKind


def media_kind(media_type: str | None) -> MediaKind:
    """The player a probed media type gets; anything not known to be video plays as audio."""
    return "video" if media_type == "video" else "audio"


def relative_src(page_dir: str, media_path: str) -> str:
    """The media as a URL relative to the page's folder (both absolute POSIX paths)."""
    return quote(posixpath.relpath(media_path, page_dir), safe="/")


def render_page(
    segments: Sequence[Segment], *, title: str, media: PageMedia, notes: Notes | None = None
) -> str:
    """The whole page as one string; the same inputs always give the same bytes."""
    script, style = _asset("page.js"), _asset("page.css")
    heading = notes.title if notes is not None else title
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_policy(script, style)}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(heading)}</title>",
        f"<style>{style}</style>",
        "</head>",
        "<body>",
        '<div class="stage">',
        f"<h1>{_text(heading)}</h1>",
        _player(media),
        _search_box(),
        "</div>",
        "<main>",
        _notes(notes) if notes is not None else "",
        '<section class="transcript" aria-label="Transcript">',
        _lines(segments),
        "</section>",
        "</main>",
        f"<script>{script}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


def _policy(script: str, style: str) -> str:
    """``default-src 'none'`` shuts everything, then only the page's own script, style and media open."""
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src '{_sha256(script)}'",
            f"style-src '{_sha256(style)}'",
            "media-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def _sha256(source: str) -> str:
    """A CSP hash source: the base64 SHA-256 of the element's text exactly as it stands in the page."""
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


def _player(media: PageMedia) -> str:
    return (
        f'<{media.kind} id="player" class="player" controls preload="metadata" '
        f'src="{_attribute(media.src)}"></{media.kind}>'
    )


def _search_box() -> str:
    return (
        '<div class="search" role="search">'
        '<input id="search" type="search" placeholder="Search the transcript" '
        'aria-label="Search the transcript" autocomplete="off">'
        '<button id="previous-match" type="button" aria-label="Previous match">&uarr;</button>'
        '<button id="next-match" type="button" aria-label="Next match">&darr;</button>'
        '<output id="matches" for="search" aria-live="polite"></output>'
        "</div>"
    )


def _lines(segments: Sequence[Segment]) -> str:
    """One focusable line per cue; the speaker is named where it changes, as in the captions."""
    items = []
    previous: str | None = None
    for segment in segments:
        text = clean_text(segment.text)
        if not text:
            continue
        speaker = ""
        if segment.speaker and segment.speaker != previous:
            speaker = f'<span class="speaker">{_text(segment.speaker)}</span>'
        previous = segment.speaker
        items.append(
            f'<li class="line" tabindex="0" data-start="{segment.start:.3f}">'
            f'<span class="time">{clock(segment.start)}</span>{speaker}'
            f'<span class="text">{_text(text)}</span></li>'
        )
    if not items:
        return '<p class="empty">No speech was recognised.</p>'
    return '<ol id="lines" class="lines">' + "".join(items) + "</ol>"


def _notes(notes: Notes) -> str:
    parts = ['<section class="notes" aria-label="Notes">', "<h2>Summary</h2>"]
    parts += [f"<p>{_text(paragraph)}</p>" for paragraph in _paragraphs(notes.summary)]
    if notes.chapters:
        parts.append('<h2>Chapters</h2><ol class="chapters">')
        parts += [
            f'<li><a class="jump" href="#t={chapter.start_seconds:.3f}" '
            f'data-start="{chapter.start_seconds:.3f}">'
            f'<span class="time">{clock(chapter.start_seconds)}</span>{_text(chapter.title)}</a></li>'
            for chapter in notes.chapters
        ]
        parts.append("</ol>")
    if notes.action_items:
        parts.append('<h2>Action items</h2><ul class="actions">')
        for item in notes.action_items:
            owner = f' <span class="owner">({_text(item.owner)})</span>' if item.owner else ""
            parts.append(f"<li>{_text(item.task)}{owner}</li>")
        parts.append("</ul>")
    parts.append("</section>")
    return "".join(parts)


def _paragraphs(text: str) -> list[str]:
    return [block for block in text.split("\n\n") if block.strip()]


def _text(value: str) -> str:
    """Element text: one line, escaped."""
    return html.escape(" ".join(value.split()), quote=True)


def _attribute(value: str) -> str:
    return html.escape(value, quote=True)


def _asset(name: str) -> str:
    """The page's script and style ship in the package and are inlined, so the page needs no network."""
    return resources.files("mediascribe.page").joinpath(name).read_text(encoding="utf-8")
