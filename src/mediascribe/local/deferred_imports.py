"""Start the local workflow without importing what it never uses.

moto's Step Functions interpreter imports its AWS Batch integration at import time, which imports
``moto.batch`` and with it all of moto's EC2 models: region and instance-type tables that take
seconds to load, though no state here calls Batch or EC2. ``moto/batch/__init__.py`` only imports
its models; registering the package with that import deferred to its first attribute access keeps
``moto.batch`` whole for anyone who uses it, and leaves the other submodules importable as usual.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from mediascribe.errors import ConfigurationError

DEFERRED_PACKAGE = "moto.batch"
# All that moto/batch/__init__.py may hold for deferring it to change nothing but when it runs.
EXPECTED_INIT = "from .models import batch_backends  # noqa: F401"


def defer_moto_batch() -> None:
    """Register ``moto.batch`` so that its models load on first use (once per process)."""
    if DEFERRED_PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(DEFERRED_PACKAGE)
    if spec is None or spec.loader is None or spec.origin is None:
        raise ConfigurationError(f"{DEFERRED_PACKAGE} is not installed")
    if Path(spec.origin).read_text(encoding="utf-8").strip() != EXPECTED_INIT:
        raise ConfigurationError(f"{spec.origin} changed: its import can no longer be deferred")
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def load_on_first_use(name: str) -> Any:
        del package.__getattr__
        loader.exec_module(package)
        try:
            return package.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {DEFERRED_PACKAGE!r} has no attribute {name!r}") from None

    package.__getattr__ = load_on_first_use  # type: ignore[method-assign]
    sys.modules[DEFERRED_PACKAGE] = package
    parent: ModuleType = importlib.import_module("moto")
    parent.batch = package  # type: ignore[attr-defined]
