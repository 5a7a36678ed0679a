"""Running ffmpeg and ffprobe without blocking the event loop.

The command lines are built with ffmpeg-python; the processes run through asyncio so other coroutines
(heartbeats, concurrent uploads) keep going while a long conversion runs. stderr is kept so a failure
names the file and ffmpeg's own reason.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import ffmpeg

from mediascribe.errors import CorruptMediaError, FFmpegError

logger = logging.getLogger(__name__)

_STDERR_TAIL_CHARS = 600


def stderr_tail(stderr: str) -> str:
    """The last lines of ffmpeg's stderr: that is where it states why it gave up."""
    text = stderr.strip()
    return text[-_STDERR_TAIL_CHARS:] if text else "no diagnostic output"


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
        raise CorruptMediaError(filename, f"ffmpeg cannot read it: {stderr_tail(stderr)}")
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
        raise CorruptMediaError(filename, f"ffprobe cannot read it: {stderr_tail(stderr)}") from exc
    except OSError as exc:
        raise FFmpegError(f"cannot start {ffprobe}: {exc}") from exc
