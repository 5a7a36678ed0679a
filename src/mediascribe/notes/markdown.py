"""``<name>.notes.md``: the notes as a document a person reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mediascribe.notes.models import Notes
from mediascribe.notes.prompt import clock


def to_markdown(notes: Notes) -> str:
    lines = [f"# {_one_line(notes.title)}", "", notes.summary.strip(), ""]
    if notes.chapters:
        lines += ["## Chapters", ""]
        lines += [f"- {clock(c.start_seconds)} {_one_line(c.title)}" for c in notes.chapters]
        lines.append("")
    if notes.action_items:
        lines += ["## Action items", ""]
        for item in notes.action_items:
            owner = f" ({_one_line(item.owner)})" if item.owner else ""
            lines.append(f"- [ ] {_one_line(item.task)}{owner}")
        lines.append("")
    return "\n".join(lines)


def write_notes_file(status: dict[str, Any], out_dir: Path, stem: str) -> dict[str, Path]:
    """Write ``<stem>.notes.md`` when the status document carries written notes."""
    notes = Notes.from_document(status.get("notes"))
    if notes is None:
        return {}
    target = out_dir / f"{stem}.notes.md"
    target.write_text(to_markdown(notes), encoding="utf-8")
    return {"notes": target}


def _one_line(text: str) -> str:
    return " ".join(text.split())
