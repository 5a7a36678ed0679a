"""Fixtures of the template checks: the parsed template, read once per session, and what they build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from template_support import load_template, resources_of_type
from tools.template.layer_build import MakefileLayer, cached_build


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="session")
def built_layers(template: dict[str, Any]) -> dict[str, Path]:
    """Each layer's content as `sam build` makes it, rebuilt only when its Makefile or source changed."""
    return {
        name: cached_build(MakefileLayer.of(template, name))
        for name in resources_of_type(template, "AWS::Serverless::LayerVersion")
    }
