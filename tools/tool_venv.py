"""The tools' own virtualenvs under .venv-tools/, made on first use and remade when a pin changes.

checkov and the SAM CLI pin dependencies that conflict with each other and with .venv, so each tool
gets a venv of its own. scripts/check-template.sh and the template tests both get them from here:

    python3 -m tools.tool_venv sam      # prints the venv's directory
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools.locks import locked
from tools.paths import REPO, TOOLS

ENSURE_VENV = REPO / "scripts" / "ensure-venv.sh"
PINS = {"checkov": "checkov==3.3.30", "sam": "aws-sam-cli==1.170.0"}


def ensure(name: str, python: str | None = None) -> Path:
    """The venv of tool ``name`` with exactly its pin installed, built unless its stamp names the pin.

    A lock per tool lets test sessions and scripts that start together wait for one install.
    """
    pin = PINS[name]
    directory = TOOLS / name
    stamp = directory / ".stamp"
    with locked(TOOLS / f"{name}.lock"):
        if not (stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == pin):
            _install(pin, directory, python or os.environ.get("PYTHON", "python3"))
            stamp.write_text(f"{pin}\n", encoding="utf-8")
    return directory


def _install(pin: str, directory: Path, python: str) -> None:
    """A fresh venv at ``directory`` made by ``python``, with an up-to-date pip and ``pin``."""
    print(f"installing {pin} into {directory}", file=sys.stderr, flush=True)
    shutil.rmtree(directory, ignore_errors=True)
    subprocess.run(["bash", str(ENSURE_VENV), python, str(directory)], check=True)
    pip = [str(directory / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, pin], check=True)


if __name__ == "__main__":
    print(ensure(sys.argv[1]))
