"""``<name>.html`` in a local output folder, beside the other outputs, playing the media in place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mediascribe.notes.models import Notes
from mediascribe.page.render import PageMedia, media_kind, relative_src, render_page
from mediascribe.transcription.models import Segment


def write_page_file(status: dict[str, Any], transcript: Path, media: Path, out_dir: Path, stem: str) -> Path:
    """Render the page from the copied ``transcript`` (JSON) and the status document's notes.

    The page in the bucket plays the source by its key; here the source is the file on this disk.
    """
    document = json.loads(transcript.read_text(encoding="utf-8"))
    segments = [Segment.from_dict(item) for item in document.get("segments") or []]
    src = relative_src(out_dir.resolve().as_posix(), media.resolve().as_posix())
    page = render_page(
        segments,
        title=str(status.get("file_name") or media.name),
        media=PageMedia(src=src, kind=media_kind(status.get("media_type"))),
        notes=Notes.from_document(status.get("notes")),
    )
    target = out_dir / f"{stem}.html"
    target.write_text(page, encoding="utf-8")
    return target
