"""Encoding to speech mp3: mono at ``settings.mp3_bitrate`` and ``settings.mp3_sample_rate``.

Speech recognisers work on 16 kHz mono, so a higher rate or a second channel adds bytes but no
accuracy, and at 64 kbit/s one 24 MiB chunk holds about 52 minutes, so long recordings need few
requests. mp3 input is never re-encoded: it is split by stream copy at frame boundaries.
"""

from __future__ import annotations

import logging
from pathlib import Path

import ffmpeg

from mediascribe.config import Settings
from mediascribe.media.binaries import resolve_binaries
from mediascribe.media.probe import MediaInfo
from mediascribe.media.process import run_tool

logger = logging.getLogger(__name__)


def is_mp3(info: MediaInfo) -> bool:
    """An mp3 stream in an mp3 container: such a file is cut as it is, never re-encoded."""
    return info.audio_codec == "mp3" and (info.format_name or "").split(",")[0] == "mp3"


async def encode_mp3(source: Path, target: Path, settings: Settings, *, filename: str) -> None:
    """The first audio track of ``source`` (audio or video) as speech mp3 at ``target``."""
    argv = (
        ffmpeg.input(str(source))
        .output(
            str(target),
            map="0:a:0",
            acodec="libmp3lame",
            ac=1,
            ar=settings.mp3_sample_rate,
            audio_bitrate=settings.mp3_bitrate,
            map_metadata=-1,
            vn=None,
        )
        .global_args("-hide_banner", "-nostats")
        .overwrite_output()
        .compile(cmd=resolve_binaries(settings).ffmpeg)
    )
    await run_tool(argv, filename=filename)
    logger.info("wrote mp3", extra={"path": str(target)})
