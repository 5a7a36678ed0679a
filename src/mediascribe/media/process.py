"""Running ffmpeg and ffprobe without blocking the event loop.

The command lines are built with ffmpeg-python; the processes run through asyncio so other coroutines
(heartbeats, concurrent uploads) keep going while a long conversion runs. A failure names the file and
says in plain words what is wrong with it; ffmpeg's own diagnostic goes to the log.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import ffmpeg

from mediascribe.errors import CorruptMediaError, FFmpegError

logger = logging.getLogger(__name__)

_STDERR_TAIL_CHARS = 600


# What a person is told, matched against the tool's diagnostic (first match wins). The diagnostic
# itself names temporary paths and memory addresses, so it goes to the log only.
_READABLE_REASONS = (
    (
        "moov atom not found",
        "the file is incomplete: its index is missing, so the upload was probably cut short",
    ),
    ("End of file", "the file ends early: the upload was probably cut short"),
    (
        "Invalid data found",
        "the file is not audio or video that can be read: it is damaged, cut short or not media",
    ),
)
_DEFAULT_REASON = (
    "the file could not be decoded as audio or video: it may be damaged or in an unsupported format"
)


def stderr_tail(stderr: str) -> str:
    """The last lines of ffmpeg's stderr: that is where it states why it gave up."""
    text = stderr.strip()
    return text[-_STDERR_TAIL_CHARS:] if text else "no diagnostic output"


def unreadable_media(filename: str, tool: str, stderr: str) -> CorruptMediaError:
    """The error for a file the tool cannot read: a plain reason for people, the diagnostic in the log."""
    detail = stderr_tail(stderr)
    logger.warning(
        "media tool could not read the file", extra={"file": filename, "tool": tool, "detail": detail}
    )
    reason = next((text for marker, text in _READABLE_REASONS if marker in stderr), _DEFAULT_REASON)
    return CorruptMediaError(filename, reason)


async def run_tool(argv: list[str], *, filename: str) -> tuple[bytes, str]:
    """Run ffmpeg/ffprobe; return (stdout, stderr).

    A non-zero exit is blamed on the input (CorruptMediaError): the binaries were checked when they
    were resolved, so what fails afterwards is almost always the media. A missing binary or a crash
    by signal is FFmpegError instead, which the caller must not report as a bad upload.
    """
    logger.debug("running media tool", extra={"argv": argv})
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        raise FFmpegError(f"cannot start {argv[0]}: {exc}") from exc
    try:
        stdout, stderr_bytes = await process.communicate()
    except asyncio.CancelledError:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    stderr = stderr_bytes.decode("utf-8", errors="replace")
    if process.returncode is not None and process.returncode < 0:
        raise FFmpegError(
            f"{filename}: {argv[0]} was killed by signal {-process.returncode}: {stderr_tail(stderr)}"
        )
    if process.returncode != 0:
        raise unreadable_media(filename, Path(argv[0]).name, stderr)
    return stdout, stderr


async def probe_json(ffprobe: str, path: str, *, filename: str) -> dict[str, Any]:
    """ffprobe's format and streams description of ``path``.

    ``ffmpeg.probe`` waits on its process synchronously, so it runs in a worker thread: the loop stays
    free and probes of several chunks can overlap.
    """
    try:
        return await asyncio.to_thread(ffmpeg.probe, path, cmd=ffprobe, v="error")
    except ffmpeg.Error as exc:
        stderr = (exc.stderr or b"").decode("utf-8", errors="replace")
        raise unreadable_media(filename, Path(ffprobe).name, stderr) from exc
    except OSError as exc:
        raise FFmpegError(f"cannot start {ffprobe}: {exc}") from exc
