"""docs/integrations.md's copy of the events' JSON Schema is the one their models generate."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from support.paths import REPO


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("event_schema", REPO / "scripts" / "event_schema.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_documented_schema_is_the_generated_one() -> None:
    script = _script()
    documented = script.documented_block(script.DOC.read_text(encoding="utf-8"))
    assert documented == script.schema_block(), "run: python scripts/event_schema.py --write"


def test_the_schema_names_every_field_of_both_details() -> None:
    block = _script().schema_block()
    for field in ("delivery_key", "job_id", "outputs", "reason", "speaker_count", "provider"):
        assert f'"{field}"' in block
