"""The ``local`` extra alone runs the CLI: nothing it imports comes from the ``dev`` extra."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from cfnlint.decode import decode_str

from mediascribe.local.template import read_template

REPO = Path(__file__).resolve().parents[2]
# Importing these modules is what `mediascribe transcribe` does before it runs a file.
CLI_IMPORTS = """
import sys
from importlib.abc import MetaPathFinder

class Refuse(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in DEV:
            raise ImportError(f"{name} comes from the dev extra")
        return None

sys.meta_path.insert(0, Refuse())
from pathlib import Path
import mediascribe.cli, mediascribe.local.job, mediascribe.local.postgres
from mediascribe.local.template import TemplateSpec
TemplateSpec.load(Path("template.yaml"))
"""


def _dev_only_modules() -> set[str]:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]

    def names(requirements: list[str]) -> set[str]:
        return {re.split(r"[\[=<>;! ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}

    dev = names(extras["dev"]) - names(extras["local"])
    return {
        module
        for module, distributions in packages_distributions().items()
        if any(d.lower().replace("_", "-") in dev for d in distributions)
    }


def test_the_cli_imports_nothing_from_the_dev_extra():
    dev = _dev_only_modules()
    assert "cfnlint" in dev and "pytest" in dev
    result = subprocess.run(
        [sys.executable, "-c", f"DEV = {sorted(dev)!r}\n{CLI_IMPORTS}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_the_template_reads_as_cloudformation_reads_it():
    expected, problems = decode_str((REPO / "template.yaml").read_text(encoding="utf-8"))
    assert not problems
    assert read_template(REPO / "template.yaml") == expected
