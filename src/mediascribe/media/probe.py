"""What a file really is, decided by its content: magic bytes first, then ffprobe's streams.

Extensions lie (an ``.mp3`` holding AAC, a ``.txt`` renamed ``.mp4``), and ffprobe alone is too eager:
it reads a PNG as a one-frame video and a ``.txt`` as ANSI art. So images and text are recognised from
their bytes before ffprobe is asked, and cover art inside audio files is not counted as video.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from mediascribe.config import Settings
from mediascribe.errors import CorruptMediaError, EmptyMediaError, SourceObjectMissingError
from mediascribe.media.binaries import resolve_binaries
from mediascribe.media.process import probe_json

logger = logging.getLogger(__name__)

_SNIFF_BYTES = 8192
_IMAGE_SIGNATURES = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
)
# Demuxers ffprobe uses for still images and text; none of them holds anything to transcribe.
_IMAGE_FORMATS = ("image2", "_pipe", "gif", "apng", "webp")
_TEXT_FORMATS = ("tty", "srt", "webvtt", "ass", "subviewer", "microdvd", "sami", "lrc")
# Codecs that appear as a "video" stream in audio files when they only carry album art.
_COVER_ART_CODECS = {"mjpeg", "png", "bmp", "gif", "webp", "tiff"}


class MediaType(StrEnum):
    AUDIO = "audio"
    VIDEO = "video"
    TEXT = "text"
    IMAGE = "image"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class MediaInfo:
    media_type: MediaType
    duration_seconds: float | None
    size_bytes: int
    format_name: str | None
    has_audio: bool
    has_video: bool
    audio_codec: str | None


async def probe_media(path: Path | str, *, settings: Settings, filename: str | None = None) -> MediaInfo:
    """Describe the file at ``path``; ``filename`` (defaults to the path's name) is used in errors.

    Raises EmptyMediaError for zero bytes, SourceObjectMissingError when the file is gone and
    CorruptMediaError for bytes that are neither media, image nor text.
    """
    name = filename or Path(path).name
    source, size, head = _read_head(Path(path), name)
    sniffed = _sniff(head)
    if sniffed is not None:
        info = _without_streams(sniffed, size)
    else:
        description = await probe_json(resolve_binaries(settings).ffprobe, str(source), filename=name)
        info = _from_probe(description, size, name)
    logger.info(
        "probed media",
        extra={"path": str(source), "media_type": str(info.media_type), "duration": info.duration_seconds},
    )
    return info


def _read_head(path: Path, name: str) -> tuple[Path, int, bytes]:
    """The absolute path, size and first bytes; a few kilobytes, so reading them inline is harmless.

    The path is made absolute so ffmpeg never takes a name starting with ``-`` for an option.
    """
    source = path.absolute()
    try:
        size = source.stat().st_size
        with source.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except FileNotFoundError as exc:
        raise SourceObjectMissingError(name, "the file does not exist") from exc
    if size == 0:
        raise EmptyMediaError(name, "the file is empty (0 bytes)")
    return source, size, head


def _sniff(head: bytes) -> MediaType | None:
    if head.startswith(_IMAGE_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return MediaType.IMAGE
    if _looks_like_text(head):
        return MediaType.TEXT
    return None


def _looks_like_text(head: bytes) -> bool:
    """UTF-8 without NUL or control bytes other than whitespace; media headers always have some."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The sniffed block may end in the middle of a multi-byte character.
        if exc.start < len(head) - 3:
            return False
        text = head[: exc.start].decode("utf-8")
    return all(ch.isprintable() or ch in "\t\n\r\f\ufeff" for ch in text)


def _without_streams(media_type: MediaType, size: int) -> MediaInfo:
    return MediaInfo(media_type, None, size, None, has_audio=False, has_video=False, audio_codec=None)


def _from_probe(description: dict[str, Any], size: int, name: str) -> MediaInfo:
    fmt = description.get("format") or {}
    format_name = fmt.get("format_name")
    streams = description.get("streams") or []
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    video = [s for s in streams if s.get("codec_type") == "video" and not _is_cover_art(s)]
    duration = _duration(fmt, audio or video)

    if format_name and any(marker in format_name for marker in _TEXT_FORMATS):
        media_type = MediaType.TEXT
    elif format_name and any(marker in format_name for marker in _IMAGE_FORMATS) and not audio:
        media_type = MediaType.IMAGE
    elif video:
        media_type = MediaType.VIDEO
    elif audio:
        media_type = MediaType.AUDIO
    else:
        media_type = MediaType.UNKNOWN
    if media_type in (MediaType.AUDIO, MediaType.VIDEO) and not duration:
        raise CorruptMediaError(name, f"{format_name or 'media'} stream has no readable duration")
    return MediaInfo(
        media_type=media_type,
        duration_seconds=duration,
        size_bytes=size,
        format_name=format_name,
        has_audio=bool(audio),
        has_video=bool(video),
        audio_codec=audio[0].get("codec_name") if audio else None,
    )


def _is_cover_art(stream: dict[str, Any]) -> bool:
    """Album art: flagged as an attached picture, or a single still frame next to the audio."""
    if (stream.get("disposition") or {}).get("attached_pic"):
        return True
    single_frame = str(stream.get("nb_frames", "1")) in ("0", "1")
    return stream.get("codec_name") in _COVER_ART_CODECS and single_frame


def _duration(fmt: dict[str, Any], streams: list[dict[str, Any]]) -> float | None:
    candidate: Any
    for candidate in (fmt.get("duration"), *(s.get("duration") for s in streams)):
        try:
            value = float(candidate)
        except (TypeError, ValueError):
            continue
        if value > 0:
            return value
    return None
