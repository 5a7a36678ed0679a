"""The transcript page in a real headless Chromium, with an mp3 and a WebM source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from page_support import MEDIA_TYPES, Console, PageWriter, Source, open_page, seeked_to_after

# A browser per session and real playback: seconds per test, so `make unit` leaves them out.
pytestmark = pytest.mark.slow

# Chromium moves currentTime in steps; a line's start is "reached" within this.
SEEK_TOLERANCE = 0.2


def current_start(page: Any) -> float | None:
    start = page.evaluate("document.querySelector('.line.current')?.dataset.start ?? null")
    return None if start is None else float(start)


def test_chromium_plays_the_test_media(page: Any, source: Source) -> None:
    page.set_content("<audio></audio>")
    assert page.evaluate("t => document.querySelector('audio').canPlayType(t)", MEDIA_TYPES[source.kind])


def test_the_page_loads_without_console_errors(
    page: Any, console: Console, source: Source, write_page: PageWriter
) -> None:
    open_page(page, write_page(source))
    assert page.locator(".line").count() == len(source.segments)
    assert page.evaluate("document.getElementById('player').error") is None
    assert page.locator(f"{source.kind}#player").count() == 1
    assert console.errors == []


def test_clicking_a_line_seeks_to_its_start(page: Any, source: Source, write_page: PageWriter) -> None:
    open_page(page, write_page(source))
    line = page.locator(".line").nth(2)
    position = seeked_to_after(page, line.click)
    assert position == pytest.approx(source.segments[2].start, abs=SEEK_TOLERANCE)
    assert "t=" in page.evaluate("location.hash")


def test_enter_on_a_focused_line_seeks_to_its_start(
    page: Any, source: Source, write_page: PageWriter
) -> None:
    open_page(page, write_page(source))
    page.locator(".line").nth(1).focus()
    position = seeked_to_after(page, lambda: page.keyboard.press("Enter"))
    assert position == pytest.approx(source.segments[1].start, abs=SEEK_TOLERANCE)


def test_the_highlight_follows_playback(page: Any, source: Source, write_page: PageWriter) -> None:
    open_page(page, write_page(source))
    starts = [segment.start for segment in source.segments]
    page.evaluate("document.getElementById('player').play()")
    for start in starts[1:3]:
        page.wait_for_function(
            "s => Number(document.querySelector('.line.current')?.dataset.start) === s",
            arg=round(start, 3),
            timeout=30_000,
        )
        assert page.locator(".line[aria-current='true']").count() == 1
        assert page.locator(".line.current").is_visible()
    page.evaluate("document.getElementById('player').pause()")
    played = float(page.evaluate("document.getElementById('player').currentTime"))
    assert played >= starts[2]


def test_the_highlight_is_the_line_being_spoken_after_a_seek(
    page: Any, source: Source, write_page: PageWriter
) -> None:
    open_page(page, write_page(source))
    last = source.segments[-1]
    seeked_to_after(
        page,
        lambda: page.evaluate(
            "t => { document.getElementById('player').currentTime = t; }", last.start + 0.3
        ),
    )
    page.wait_for_function("() => document.querySelector('.line.current') !== null")
    assert current_start(page) == pytest.approx(last.start, abs=0.001)


def test_t_in_the_address_seeks_on_load(page: Any, source: Source, write_page: PageWriter) -> None:
    target = source.segments[3].start + 0.25
    open_page(page, f"{write_page(source)}#t={target}")
    page.wait_for_function(
        "t => Math.abs(document.getElementById('player').currentTime - t) < 0.01", arg=target
    )
    page.wait_for_function("() => document.querySelector('.line.current') !== null")
    assert current_start(page) == pytest.approx(source.segments[3].start, abs=0.001)


def test_the_search_box_finds_a_word_and_steps_through_the_matches(
    page: Any, source: Source, write_page: PageWriter
) -> None:
    open_page(page, write_page(source))
    page.fill("#search", "the")
    marks = page.locator(".line mark")
    expected = sum(segment.text.lower().count("the") for segment in source.segments)
    assert marks.count() == expected > 1
    assert page.text_content("#matches") == f"1 of {expected}"
    assert page.locator("mark.selected").count() == 1
    page.press("#search", "Enter")
    assert page.text_content("#matches") == f"2 of {expected}"
    assert marks.nth(1).get_attribute("class") == "selected"
    page.fill("#search", "finance")
    assert page.locator(".line mark").count() == 1
    assert page.locator(".line").nth(2).locator("mark").text_content() == "finance"
    page.fill("#search", "")
    assert page.locator("mark").count() == 0
    assert page.locator(".line .text").nth(2).text_content() == source.segments[2].text


def test_a_phone_width_page_does_not_scroll_sideways(
    browser: Any, source: Source, write_page: PageWriter
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    try:
        phone = context.new_page()
        open_page(phone, write_page(source))
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        assert phone.locator("#player").bounding_box()["width"] <= 360
    finally:
        context.close()


def test_a_page_opened_from_disk_plays_the_media_beside_it(
    page: Any, console: Console, source: Source, write_page: PageWriter, site: Path
) -> None:
    """A local run's page is usually opened by a double click: file:// counts as 'self' for media."""
    write_page(source, name="from-disk.html")
    target = source.segments[2].start + 0.1
    open_page(page, f"{(site / 'pages' / 'from-disk.html').as_uri()}#t={target}")
    assert page.evaluate("document.getElementById('player').currentSrc") == (site / source.name).as_uri()
    page.wait_for_function("() => document.querySelector('.line.current') !== null")
    assert current_start(page) == pytest.approx(source.segments[2].start, abs=0.001)
    assert console.errors == []
