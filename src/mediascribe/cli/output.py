"""What the commands print: a job's outcome (transcript, notes, or why not), tables, exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_COMPLETED, EXIT_FAILED, EXIT_SKIPPED = 0, 1, 2
EXIT_USAGE = 2
NOTES_HINT = (
    "notes are off: set NOTES_PROVIDER=openai (with OPENAI_API_KEY), or bedrock (with --aws-profile), for "
    "a title, summary, chapters and action items; a deployed stack uses its NotesProvider parameter"
)


def report(status: dict[str, Any], written: dict[str, Path], *, as_json: bool) -> int:
    state = status["status"]
    if as_json:
        print(json.dumps(status, indent=2, ensure_ascii=False))
    elif state == "completed":
        print(status.get("content") or "")
        print_notes(status)
    if state == "completed":
        for path in written.values():
            print(f"wrote {path}", file=sys.stderr)
        return EXIT_COMPLETED
    if state == "skipped":
        print(f"mediascribe: skipped: {status.get('reason')}", file=sys.stderr)
        return EXIT_SKIPPED
    print(f"mediascribe: failed: {status.get('error') or state}", file=sys.stderr)
    return EXIT_FAILED


def print_notes(status: dict[str, Any]) -> None:
    """The notes as Markdown on stdout, after the transcript; why there are none on stderr."""
    from mediascribe.notes.markdown import to_markdown
    from mediascribe.notes.models import Notes

    notes = Notes.from_document(status.get("notes"))
    if notes is not None:
        print(f"\n{to_markdown(notes)}", end="")
    elif (status.get("notes") or {}).get("status") == "failed":
        print(f"mediascribe: notes failed: {status['notes'].get('reason')}", file=sys.stderr)


def table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [header, tuple("-" * width for width in widths), *rows]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
