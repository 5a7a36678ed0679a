"""Media type detection by content: containers, mislabeled files, cover art, images, text, bad bytes."""

from __future__ import annotations

import re

import pytest

from mediascribe.errors import CorruptMediaError, EmptyMediaError, SourceObjectMissingError
from mediascribe.media.probe import MediaType, probe_media
from support import media_factory


@pytest.mark.parametrize("fmt", ["mp3", "wav", "m4a", "aac", "ogg", "opus", "flac"])
async def test_media_audio_formats_are_audio(media, settings, fmt):
    info = await probe_media(media.tone(3, fmt), settings=settings)
    assert info.media_type is MediaType.AUDIO
    assert info.has_audio and not info.has_video
    assert info.duration_seconds == pytest.approx(3, abs=0.15)


@pytest.mark.parametrize("fmt", ["mp4", "mkv", "mov", "webm"])
async def test_media_video_formats_are_video_with_audio(media, settings, fmt):
    info = await probe_media(media.video(2, fmt), settings=settings)
    assert info.media_type is MediaType.VIDEO
    assert info.has_audio and info.has_video


async def test_media_video_without_audio_is_video_without_audio(media, settings):
    info = await probe_media(media.video(2, "mp4", audio=False), settings=settings)
    assert (info.media_type, info.has_audio, info.audio_codec) == (MediaType.VIDEO, False, None)


async def test_media_mp3_named_file_holding_aac_is_audio(tmp_path, settings):
    path = media_factory.make_audio(tmp_path / "really-aac.mp3", 2, fmt="m4a")
    info = await probe_media(path, settings=settings)
    assert (info.media_type, info.audio_codec) == (MediaType.AUDIO, "aac")


async def test_media_video_named_like_audio_is_video(tmp_path, settings):
    path = media_factory.make_video(tmp_path / "clip.wav", 2, fmt="mkv")
    assert (await probe_media(path, settings=settings)).media_type is MediaType.VIDEO


@pytest.mark.parametrize("name", ["notes.txt", "notes.mp4", "notes.mp3", "notes"])
async def test_media_text_is_text_whatever_the_extension(tmp_path, settings, name):
    path = media_factory.make_text(tmp_path / name, "Minutes: the budget was approved.\nNo audio here ✓\n")
    assert (await probe_media(path, settings=settings)).media_type is MediaType.TEXT


@pytest.mark.parametrize("fmt", ["png", "jpeg", "gif", "webp"])
async def test_media_images_are_images_not_single_frame_video(tmp_path, settings, fmt):
    path = media_factory.make_image(tmp_path / f"picture.{fmt}.mp4", fmt=fmt)
    assert (await probe_media(path, settings=settings)).media_type is MediaType.IMAGE


async def test_media_cover_art_does_not_make_audio_a_video(tmp_path, settings):
    path = media_factory.make_audio_with_cover(tmp_path / "song.mp3", 3)
    info = await probe_media(path, settings=settings)
    assert (info.media_type, info.has_video, info.audio_codec) == (MediaType.AUDIO, False, "mp3")


async def test_media_empty_file_is_empty_media(tmp_path, settings):
    path = tmp_path / "empty.mp3"
    path.write_bytes(b"")
    with pytest.raises(EmptyMediaError, match=r"empty\.mp3"):
        await probe_media(path, settings=settings)


@pytest.mark.parametrize("name", ["noise.mp3", "noise.mp4", "noise.bin"])
async def test_media_garbage_is_corrupt(tmp_path, settings, name):
    path = media_factory.make_garbage(tmp_path / name)
    with pytest.raises(CorruptMediaError, match=re.escape(name)):
        await probe_media(path, settings=settings)


async def test_media_truncated_mp4_is_corrupt(media, tmp_path, settings):
    path = media_factory.make_truncated(media.video(2, "mp4"), tmp_path / "cut-short.mp4")
    with pytest.raises(CorruptMediaError, match=r"cut-short\.mp4"):
        await probe_media(path, settings=settings)


async def test_media_missing_file_is_reported_as_missing(tmp_path, settings):
    with pytest.raises(SourceObjectMissingError):
        await probe_media(tmp_path / "gone.mp3", settings=settings)
