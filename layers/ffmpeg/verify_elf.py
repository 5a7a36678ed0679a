"""Refuse to package binaries that Lambda's x86_64 runtime cannot execute.

A wheel for the wrong architecture (or a truncated download) would only fail at the first
invocation in AWS, with an opaque "Exec format error"; checking the ELF header at build time
turns that into a build failure naming the file.
"""

import sys
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
ELFCLASS64 = 2
ELFDATA2LSB = 1
EM_X86_64 = 62


def problem(path: Path) -> str | None:
    header = path.read_bytes()[:20] if path.is_file() else b""
    if len(header) < 20 or header[:4] != ELF_MAGIC:
        return "not an ELF executable"
    if header[4] != ELFCLASS64 or header[5] != ELFDATA2LSB:
        return "not a 64-bit little-endian ELF"
    machine = int.from_bytes(header[18:20], "little")
    if machine != EM_X86_64:
        return f"ELF machine {machine}, expected x86-64 ({EM_X86_64})"
    return None


def main(paths: list[str]) -> int:
    failures = [f"{p}: {reason}" for p in paths if (reason := problem(Path(p)))]
    for failure in failures:
        print(f"verify_elf: {failure}", file=sys.stderr)
    return 1 if failures or not paths else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
