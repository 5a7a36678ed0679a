"""Resolving ffmpeg/ffprobe: configured paths, the bundled build, the exec bit, the CPU architecture."""

from __future__ import annotations

import os
import platform
import stat
from pathlib import Path

import pytest

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError
from mediascribe.media.binaries import check_architecture, elf_architecture, resolve_binaries


def fake_elf(path, machine: int):
    """An ELF header for ``machine`` (62 = x86_64, 183 = aarch64), enough for the architecture check."""
    header = (
        b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + (2).to_bytes(2, "little") + machine.to_bytes(2, "little")
    )
    path.write_bytes(header + bytes(64))
    path.chmod(0o644)
    return path


def host_machine_code() -> int:
    return {"x86_64": 62, "amd64": 62, "aarch64": 183, "arm64": 183}[platform.machine().lower()]


def test_media_bundled_binaries_resolve_and_match_this_machine():
    binaries = resolve_binaries(Settings())
    for binary in (binaries.ffmpeg, binaries.ffprobe):
        assert os.access(binary, os.X_OK)
        assert elf_architecture(Path(binary)) in ("x86_64", "aarch64")
    assert binaries.ffmpeg.endswith("/ffmpeg") and binaries.ffprobe.endswith("/ffprobe")


def test_media_configured_binaries_win_and_get_the_exec_bit(tmp_path):
    ffmpeg = fake_elf(tmp_path / "ffmpeg", host_machine_code())
    ffprobe = fake_elf(tmp_path / "ffprobe", host_machine_code())
    binaries = resolve_binaries(Settings(ffmpeg_binary=str(ffmpeg), ffprobe_binary=str(ffprobe)))
    assert (binaries.ffmpeg, binaries.ffprobe) == (str(ffmpeg), str(ffprobe))
    assert ffmpeg.stat().st_mode & stat.S_IXUSR and ffprobe.stat().st_mode & stat.S_IXUSR


def test_media_binary_for_another_architecture_is_refused(tmp_path):
    foreign = 183 if host_machine_code() == 62 else 62
    ffmpeg = fake_elf(tmp_path / "ffmpeg", foreign)
    ffprobe = fake_elf(tmp_path / "ffprobe", host_machine_code())
    with pytest.raises(ConfigurationError, match=r"built for .* but this machine is"):
        resolve_binaries(Settings(ffmpeg_binary=str(ffmpeg), ffprobe_binary=str(ffprobe)))


@pytest.mark.parametrize(
    ("machine", "host", "refused"),
    [(62, "x86_64", False), (62, "arm64", True), (183, "aarch64", False), (183, "AMD64", True)],
)
def test_media_architecture_check_compares_elf_machine_and_host(tmp_path, machine, host, refused):
    binary = fake_elf(tmp_path / "tool", machine)
    if refused:
        with pytest.raises(ConfigurationError, match="tool"):
            check_architecture(binary, host)
    else:
        check_architecture(binary, host)


def test_media_non_elf_binary_is_not_judged_by_architecture(tmp_path):
    script = tmp_path / "ffmpeg-wrapper"
    script.write_text('#!/bin/sh\nexec ffmpeg "$@"\n')
    assert elf_architecture(script) is None
    check_architecture(script, "x86_64")


def test_media_missing_configured_binary_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        resolve_binaries(
            Settings(ffmpeg_binary=str(tmp_path / "nope"), ffprobe_binary=str(tmp_path / "nope2"))
        )
