"""A process and its descendants as Linux's /proc shows them: who they are, their CPU and memory.

For tests that must see what a command started (and that it is gone afterwards) and for benchmarks
that measure the memory of a whole process tree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    command: tuple[str, ...]
    cpu_seconds: float
    rss_bytes: int
    pss_bytes: int


def descendants(root: int) -> list[int]:
    """Every living process below ``root`` (children, their children, ...)."""
    children: dict[int, list[int]] = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            parent = _parent(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], list(children.get(root, []))
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def tree(root: int) -> list[ProcessInfo]:
    """``root`` and its descendants that are still alive when read."""
    infos = [process_info(pid) for pid in [root, *descendants(root)]]
    return [info for info in infos if info is not None]


def process_info(pid: int) -> ProcessInfo | None:
    """What /proc says of ``pid``; None once it has gone (or is a zombie, holding no memory)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
        command = (_PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
        rollup = (_PROC / str(pid) / "smaps_rollup").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat.rpartition(")")[2].split()
    if fields[0] == "Z":
        return None
    memory = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in rollup.splitlines()[1:]}
    return ProcessInfo(
        pid=pid,
        command=tuple(part.decode(errors="replace") for part in command if part),
        cpu_seconds=(int(fields[11]) + int(fields[12])) / _TICKS,
        rss_bytes=memory.get("Rss", 0),
        pss_bytes=memory.get("Pss", 0),
    )


def _parent(pid: int) -> int | None:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return int(stat.rpartition(")")[2].split()[1])
