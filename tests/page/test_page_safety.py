"""Nothing in a transcript or its notes runs in the page, and the page's policy blocks what escaping
might miss: other scripts, other styles, media of another origin."""

from __future__ import annotations

from typing import Any

import pytest
from page_support import Console, PageWriter, Source, open_page

from mediascribe.notes.models import ActionItem, Chapter, Notes
from mediascribe.transcription.models import Segment

# A browser per session and real playback: seconds per test, so `make unit` leaves them out.
pytestmark = pytest.mark.slow

ATTACKS = (
    "<script>window.ran = 'script'</script>",
    '"><img src=x onerror="window.ran = \'img\'">',
    "</li></ol><svg onload=\"window.ran = 'svg'\">",
)


def hostile_notes() -> Notes:
    return Notes(
        language="en",
        title=ATTACKS[0],
        summary=ATTACKS[1],
        chapters=[Chapter(title=ATTACKS[2], start_seconds=1.0)],
        action_items=[ActionItem(task=ATTACKS[1], owner=ATTACKS[0])],
        provider="openai",
        model="test",
        model_calls=1,
    )


def test_markup_in_the_transcript_and_notes_is_shown_as_text_and_never_runs(
    page: Any, console: Console, audio: Source, write_page: PageWriter
) -> None:
    segments = [Segment(0.5 + i, 1.0 + i, text, speaker=text) for i, text in enumerate(ATTACKS)]
    open_page(page, write_page(audio, segments=segments, notes=hostile_notes(), title=ATTACKS[1]))
    assert page.evaluate("window.ran === undefined")
    assert page.locator("img, svg").count() == 0
    assert page.locator("script").count() == 1
    assert page.locator(".line .text").all_text_contents() == list(ATTACKS)
    assert page.locator(".line .speaker").all_text_contents() == list(ATTACKS)
    assert page.locator("h1").text_content() == ATTACKS[0]
    assert page.locator(".chapters a").text_content().endswith(ATTACKS[2])
    assert console.errors == []


def test_the_policy_blocks_a_script_and_a_style_that_slipped_into_the_page(
    page: Any, console: Console, audio: Source, write_page: PageWriter
) -> None:
    injected = (
        "<script>window.ran = 'inline'</script>"
        '<script src="https://example.com/x.js"></script>'
        "<style>body { display: none }</style>"
        '<p id="styled" style="display: none">styled</p>'
    )
    url = write_page(audio, transform=lambda html: html.replace("<main>", "<main>" + injected))
    open_page(page, url)
    assert page.evaluate("window.ran === undefined")
    assert page.locator("body").is_visible()
    assert page.locator("#styled").is_visible()
    assert any("Content Security Policy" in error for error in console.errors)
    # The page's own script still runs: its lines are wired up.
    page.locator(".line").nth(1).click()
    page.wait_for_function("() => location.hash.includes('t=')")


def test_media_from_the_fragment_plays_from_the_same_origin_only(
    page: Any, console: Console, base_url: str, video: Source, write_page: PageWriter
) -> None:
    # The stored page's own path is wrong (as in the bucket); #media= names the playable copy.
    url = write_page(video, src="missing.webm", name="fragment.html")
    open_page(page, f"{url}#media={base_url}{video.name}&t=2.5")
    assert page.evaluate("document.getElementById('player').currentSrc") == f"{base_url}{video.name}"
    page.wait_for_function("() => document.getElementById('player').currentTime === 2.5")

    other_origin = base_url.replace("127.0.0.1", "localhost")
    other = write_page(video, src="missing.webm", name="other-origin.html")
    page.goto(f"{other}#media={other_origin}{video.name}")
    page.wait_for_function("() => document.getElementById('player').error !== null")
    assert any("media-src" in error for error in console.errors)


def test_a_script_url_in_the_fragment_is_ignored(page: Any, video: Source, write_page: PageWriter) -> None:
    url = write_page(video, name="ignored.html")
    open_page(page, f"{url}#media=javascript:window.ran=1")
    assert page.evaluate("document.getElementById('player').currentSrc").endswith(f"/{video.name}")
    assert page.evaluate("window.ran === undefined")
