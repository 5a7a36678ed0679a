"""Fixtures of the template checks: the parsed template, read once per session, and what they build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from template_support import load_template, resources_of_type
from tools import tool_venv
from tools.template.layer_build import MakefileLayer, cached_build


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="session")
def sam_python() -> Path:
    """The SAM CLI's interpreter, its venv installed on first use just as scripts/check-template.sh does."""
    return tool_venv.ensure("sam") / "bin" / "python"


@pytest.fixture(scope="session")
def built_layers(template: dict[str, Any]) -> dict[str, Path]:
    """Each layer's content as `sam build` makes it, rebuilt only when its Makefile or source changed."""
    return {
        name: cached_build(MakefileLayer.of(template, name))
        for name in resources_of_type(template, "AWS::Serverless::LayerVersion")
    }
