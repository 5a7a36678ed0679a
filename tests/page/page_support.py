"""What the page tests share: the media they play, the page's console, loading a page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mediascribe.transcription.models import Segment

# What Debian's Chromium plays (asked with canPlayType in the tests): mp3 audio, and WebM video
# with the factory's VP8 and Opus.
MEDIA_TYPES = {"audio": 'audio/mpeg; codecs="mp3"', "video": 'video/webm; codecs="vp8, opus"'}
# Render a page of a source into the served folder; returns its URL.
PageWriter = Callable[..., str]


@dataclass(frozen=True)
class Source:
    """A media file in the served folder and the transcript lines it holds."""

    kind: str
    name: str
    segments: tuple[Segment, ...]


class Console:
    """Everything the page logged as an error, and uncaught exceptions."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))


def open_page(page: Any, url: str) -> None:
    """Load and wait until the player knows its media (or the test fails on the load itself).

    Predicates are functions, not strings: the page's CSP forbids eval, which a string predicate needs.
    """
    page.goto(url)
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")


def seeked_to_after(page: Any, action: Any) -> float:
    """Where the player was when its next seek finished: the position the page asked for,
    before playback moves it on."""
    page.evaluate(
        """() => { window.seekedAt = null;
        document.getElementById('player').addEventListener('seeked',
            (event) => { window.seekedAt = event.target.currentTime; }, { once: true }); }"""
    )
    action()
    page.wait_for_function("() => window.seekedAt !== null")
    return float(page.evaluate("window.seekedAt"))
