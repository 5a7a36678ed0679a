"""Print the JSON Schema of the events' details, generated from their models, or write it into
docs/integrations.md between its schema markers (``--write``); tests fail when the copy differs."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from mediascribe.delivery.events import JOB_DETAIL_TYPE, NOTES_DETAIL_TYPE, JobStateChange, NotesStateChange

DOC = Path(__file__).resolve().parents[1] / "docs" / "integrations.md"
BEGIN = "<!-- event-schema:begin (scripts/event_schema.py --write) -->"
END = "<!-- event-schema:end -->"


def schema_block() -> str:
    schemas = {
        JOB_DETAIL_TYPE: JobStateChange.model_json_schema(),
        NOTES_DETAIL_TYPE: NotesStateChange.model_json_schema(),
    }
    return f"{BEGIN}\n```json\n{json.dumps(schemas, indent=2, ensure_ascii=False)}\n```\n{END}"


def documented_block(text: str) -> str | None:
    match = re.search(re.escape(BEGIN) + r".*?" + re.escape(END), text, flags=re.DOTALL)
    return match.group(0) if match else None


def main(argv: list[str]) -> int:
    if argv[1:] != ["--write"]:
        print(schema_block())
        return 0
    text = DOC.read_text(encoding="utf-8")
    current = documented_block(text)
    if current is None:
        print(f"{DOC}: no schema markers", file=sys.stderr)
        return 1
    DOC.write_text(text.replace(current, schema_block()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
