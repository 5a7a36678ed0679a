"""template.yaml as SAM expands it for one set of parameter values, by SAM's own translator.

The translator runs in the SAM CLI's venv (tools/tool_venv.py), whose packages conflict with .venv's,
so the expansion is a subprocess: ``translate_template`` with ``template_render`` on its path.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tools import tool_venv
from tools.paths import REPO, TEMPLATE, TEMPLATE_TESTS

# The translator needs a Region for the ARNs it writes; it never contacts it.
REGION = "us-east-1"


def expand(parameters: Mapping[str, str], template: Path = TEMPLATE) -> dict[str, Any]:
    """The expanded template (JSON) for ``parameters``; the SAM venv is installed on first use."""
    python = tool_venv.ensure("sam") / "bin" / "python"
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "expanded.json"
        result = subprocess.run(
            [
                str(python),
                "-m",
                "tools.template.translate_template",
                str(template),
                str(out),
                *(f"{name}={value}" for name, value in parameters.items()),
            ],
            cwd=REPO,
            env={**os.environ, "AWS_DEFAULT_REGION": REGION, "PYTHONPATH": f"{REPO}:{TEMPLATE_TESTS}"},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"translate_template failed ({result.returncode}):\n{result.stderr}")
        expanded: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return expanded
