"""Fixtures of the page tests: one Chromium for the session, media with known lines, a web server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from page_support import Console, PageWriter, Source

from mediascribe.notes.models import Notes
from mediascribe.page import PageMedia, render_page
from mediascribe.transcription.models import Segment
from support.browser import chromium, serve
from support.media_factory import make_video
from support.speech_factory import FEMALE, MALE, Line, make_speech

SPOKEN = (
    Line("Good morning and welcome to the planning meeting.", MALE),
    Line("Thank you. The budget for the next quarter is ready.", FEMALE),
    Line("Please send your reports to the finance team by Friday.", MALE),
    Line("The new office opens in March.", FEMALE),
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module. Playwright's sync API keeps an event loop running in this thread
    while it is open, in which no later ``asyncio.run`` of the session could start: it is closed with
    the module that used it."""
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("site")


@pytest.fixture(scope="session")
def base_url(site: Path) -> Iterator[str]:
    with serve(site) as url:
        yield url


@pytest.fixture(scope="session")
def audio(site: Path) -> Source:
    """Synthesised speech in mp3; each segment is exactly where its line is spoken."""
    spoken = make_speech(site / "talk.mp3", SPOKEN, gap_seconds=1.5)
    speakers = {MALE: "Speaker 1", FEMALE: "Speaker 2"}
    segments = tuple(Segment(s.start, s.end, s.text, speakers[s.voice]) for s in spoken)
    return Source("audio", "talk.mp3", segments)


@pytest.fixture(scope="session")
def video(site: Path) -> Source:
    """A test-pattern WebM with a tone, and lines every two seconds."""
    make_video(site / "clip.webm", 9.0)
    segments = tuple(Segment(2.0 * i + 0.5, 2.0 * i + 2.0, line.text, None) for i, line in enumerate(SPOKEN))
    return Source("video", "clip.webm", segments)


@pytest.fixture(params=["audio", "video"])
def source(request: pytest.FixtureRequest) -> Source:
    found: Source = request.getfixturevalue(request.param)
    return found


@pytest.fixture
def write_page(site: Path, base_url: str) -> PageWriter:
    """Render a page into the served folder (``pages/``, the media one level up); returns its URL."""

    def write(source: Source, *, notes: Notes | None = None, name: str = "page.html", **changes: Any) -> str:
        pages = site / "pages"
        pages.mkdir(exist_ok=True)
        segments = changes.get("segments", source.segments)
        media = PageMedia(src=changes.get("src", f"../{source.name}"), kind=source.kind)  # type: ignore[arg-type]
        html = render_page(segments, title=changes.get("title", source.name), media=media, notes=notes)
        (pages / name).write_text(changes.get("transform", lambda page: page)(html), encoding="utf-8")
        return f"{base_url}pages/{name}"

    return write


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture
def console(page: Any) -> Console:
    return Console(page)
