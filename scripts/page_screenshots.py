"""The README's screenshots of the transcript page, made by the project's own tools.

A conversation is synthesised (tests/support/speech_factory.py), transcribed on this machine by
``mediascribe transcribe`` with the offline engine, and its ``<name>.html`` is opened in Debian's
Chromium at a desktop width (a line playing, a search) and at a phone's width.

    PYTHONPATH=tests .venv/bin/python scripts/page_screenshots.py   # writes docs/page-*.png
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from support.browser import chromium, serve
from support.paths import REPO
from support.speech_factory import conversation, make_speech

DOCS = REPO / "docs"
NAME = "planning-meeting"


def transcribe(folder: Path) -> Path:
    """The conversation's page, written by the CLI beside the media (offline: no key in the run)."""
    make_speech(folder / f"{NAME}.mp3", conversation(8), gap_seconds=0.8)
    environment = {key: value for key, value in os.environ.items() if key != "OPENAI_API_KEY"}
    command = [sys.executable, "-m", "mediascribe.cli", "transcribe", f"{NAME}.mp3", "--out", "out"]
    subprocess.run(command, cwd=folder, env=environment, check=True, stdout=subprocess.DEVNULL)
    return folder / "out" / f"{NAME}.html"


def shoot(browser: Any, url: str, target: Path, *, width: int, height: int, search: str | None) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_function("() => document.getElementById('player').readyState >= 1")
        page.locator(".line").nth(2).click()
        page.wait_for_function("() => document.querySelector('.line.current') !== null")
        page.evaluate("document.getElementById('player').pause()")
        if search:
            page.fill("#search", search)
        page.locator(".line").nth(2).focus()
        page.screenshot(path=str(target))
    finally:
        context.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="page-screenshots-") as work:
        folder = Path(work)
        transcribe(folder)
        with serve(folder) as base_url, chromium() as browser:
            url = f"{base_url}out/{NAME}.html"
            shoot(browser, url, DOCS / "page-desktop.png", width=1000, height=600, search="team")
            shoot(browser, url, DOCS / "page-phone.png", width=390, height=780, search=None)
    print(f"wrote {DOCS / 'page-desktop.png'} and {DOCS / 'page-phone.png'}")


if __name__ == "__main__":
    main()
