"""``<name>.notes.md``: the notes as a document a person reads."""

from __future__ import annotations

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


def _one_line(text: str) -> str:
    return " ".join(text.split())
