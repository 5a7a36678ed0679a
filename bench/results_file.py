"""Writes one benchmark's section of ``bench/RESULTS.md`` without touching the others' sections."""

from __future__ import annotations

import os
import platform
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = (
    "# Benchmark results\n\n"
    "Each section is rewritten by the script it names; ratios compare runs made in the same process tree.\n"
)


def machine_summary() -> str:
    cpus = len(os.sched_getaffinity(0))
    return f"{platform.machine()}, {cpus} CPUs, Python {sys.version.split()[0]}, {platform.platform()}"


def write_section(name: str, body: str, command: str) -> None:
    """Replace the section ``name`` (between its markers) or append it."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"<!-- begin {name} -->\n## {name}\n\n"
        f"Measured {stamp} on {machine_summary()}.\n"
        f"Reproduce: `{command}`\n\n{body.strip()}\n<!-- end {name} -->\n"
    )
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    pattern = re.compile(rf"<!-- begin {re.escape(name)} -->.*?<!-- end {re.escape(name)} -->\n", re.S)
    text = (
        pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    )
    RESULTS.write_text(text)
