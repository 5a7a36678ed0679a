"""The template's layers built as `sam build` builds a ``BuildMethod: makefile`` layer, and cached.

`sam build` runs the Makefile's target ``build-<LogicalId>`` with ``ARTIFACTS_DIR`` naming the
directory whose content becomes the layer (https://docs.aws.amazon.com/serverless-application-model/
latest/developerguide/building-layers.html). The Makefile lies in ``ContextPath`` (else in
``ContentUri``) and runs in a scratch copy of ``ProjectRootDirectory`` (else of ``ContentUri``).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.locks import locked
from tools.paths import REPO, TOOLS

CACHE = TOOLS / "layer-builds"
# What a local install or test run leaves in a source tree; no build reads it.
LEFT_OUT = ("__pycache__", "*.pyc", "*.egg-info")


def left_out(path: Path) -> bool:
    """True for a path inside (or named as) something of LEFT_OUT."""
    return any(part.match(pattern) for part in (path, *path.parents) for pattern in LEFT_OUT)


@dataclass(frozen=True)
class MakefileLayer:
    name: str
    makefile: Path
    source: Path

    @classmethod
    def of(cls, template: Mapping[str, Any], name: str) -> MakefileLayer:
        resource = template["Resources"][name]
        metadata = resource.get("Metadata", {})
        if resource["Type"] != "AWS::Serverless::LayerVersion" or metadata.get("BuildMethod") != "makefile":
            raise ValueError(f"{name} is not a layer that `sam build` builds with a Makefile")
        content = resource["Properties"]["ContentUri"]
        makefile = REPO / metadata.get("ContextPath", content) / "Makefile"
        return cls(name, makefile, REPO / metadata.get("ProjectRootDirectory", content))

    def inputs(self) -> Iterator[Path]:
        """What the build reads: the Makefile and the source tree it runs in."""
        yield self.makefile
        yield from sorted(p for p in self.source.rglob("*") if p.is_file() and not left_out(p))

    def digest(self) -> str:
        """A hash of every input's path and content: equal digests, equal builds."""
        sha = hashlib.sha256()
        for path in self.inputs():
            sha.update(f"{path.relative_to(REPO)}\0{path.stat().st_size}\0".encode())
            sha.update(path.read_bytes())
        return sha.hexdigest()[:16]

    def build(self, artifacts: Path, python: str = sys.executable) -> None:
        """Run the layer's target into ``artifacts`` in a scratch copy of its source."""
        with tempfile.TemporaryDirectory() as scratch:
            work = Path(scratch) / self.source.name
            shutil.copytree(self.source, work, ignore=shutil.ignore_patterns(*LEFT_OUT))
            target = f"build-{self.name}"
            result = subprocess.run(
                ["make", "-f", str(self.makefile), target, f"ARTIFACTS_DIR={artifacts}", f"PYTHON={python}"],
                cwd=work,
                capture_output=True,
                text=True,
                check=False,
            )
        if result.returncode != 0:
            raise RuntimeError(f"make {target} failed ({result.returncode}):\n{result.stderr}")


def cached_build(layer: MakefileLayer, cache: Path = CACHE) -> Path:
    """The layer's content, built once per digest of its inputs; the older builds of it are removed."""
    built = cache / f"{layer.name}-{layer.digest()}"
    with locked(cache / f"{layer.name}.lock"):
        if not built.is_dir():
            partial = Path(tempfile.mkdtemp(prefix=f".{layer.name}-", dir=cache))
            try:
                layer.build(partial)
                partial.rename(built)
            finally:
                shutil.rmtree(partial, ignore_errors=True)
            for older in cache.glob(f"{layer.name}-*"):
                if older != built:
                    shutil.rmtree(older)
    return built
