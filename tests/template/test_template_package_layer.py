"""The MediascribeLayer holds what Lambda runs: no local workflow, no CLI, no remote API client."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from template_support import REPO

SRC = REPO / "src"
WORKSTATION_ONLY = ("mediascribe/local", "mediascribe/cli", "mediascribe/remote.py")


@pytest.fixture(scope="module")
def layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The layer's package, built by its Makefile in a scratch copy of src/ as `sam build` does."""
    scratch = tmp_path_factory.mktemp("scratch")
    shutil.copytree(REPO / "src", scratch / "src")
    artifacts = tmp_path_factory.mktemp("artifacts")
    subprocess.run(
        ["make", "-f", str(REPO / "layers/mediascribe/Makefile"), "package", f"ARTIFACTS_DIR={artifacts}"],
        cwd=scratch / "src",
        check=True,
        capture_output=True,
    )
    return artifacts / "python"


def test_the_layer_is_built_by_its_makefile_from_src(template: dict[str, Any]) -> None:
    layer = template["Resources"]["MediascribeLayer"]
    assert layer["Properties"]["ContentUri"] == "src/"
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert layer["Metadata"]["ContextPath"] == "layers/mediascribe"
    assert layer["Metadata"]["ProjectRootDirectory"] == "src"
    assert (REPO / "layers/mediascribe/Makefile").read_text().count("build-MediascribeLayer:") == 1


def test_the_layer_leaves_out_what_only_a_workstation_runs(layer: Path) -> None:
    assert (layer / "mediascribe" / "workflow").is_dir()
    for path in WORKSTATION_ONLY:
        assert not (layer / path).exists(), path
    assert not list(layer.rglob("__pycache__"))


def test_every_module_lambda_loads_is_in_the_layer(layer: Path) -> None:
    sources = [*layer.rglob("*.py"), *(REPO / "functions").glob("*/app.py")]
    missing = {
        (source.name, module, attribute)
        for source in sources
        for module, attribute in _mediascribe_imports(source)
        if not _is_module(layer, module)
        or (
            attribute
            and _is_module(SRC, f"{module}.{attribute}")
            and not _is_module(layer, f"{module}.{attribute}")
        )
    }
    assert missing == set()


def _mediascribe_imports(source: Path) -> set[tuple[str, str | None]]:
    """(module, imported name or None) of every absolute import of mediascribe, lazy ones included."""
    found: set[tuple[str, str | None]] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update((node.module, alias.name) for alias in node.names)
    return {(module, name) for module, name in found if module.split(".")[0] == "mediascribe"}


def _is_module(layer: Path, name: str) -> bool:
    path = layer.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()
