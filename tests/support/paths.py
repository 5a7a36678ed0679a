"""Where the repository's files are, for tests and benchmarks: defined once, here."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
ASL = REPO / "statemachine" / "transcribe_media.asl.json"
