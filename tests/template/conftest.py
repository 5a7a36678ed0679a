"""Fixtures of the template checks: the parsed template, read once per session."""

from __future__ import annotations

from typing import Any

import pytest
from template_support import load_template


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()
