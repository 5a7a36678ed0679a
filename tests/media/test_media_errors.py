"""Every bad input gets its typed error, names the file, and leaves the temp dir empty."""

from __future__ import annotations

import re

import pytest

from mediascribe.errors import (
    ConfigurationError,
    CorruptMediaError,
    EmptyMediaError,
    MediaTooLongError,
    NoAudioStreamError,
    SourceObjectMissingError,
    UnsupportedMediaError,
)
from mediascribe.media.split import extract_audio_from_video_and_split, split_audio_file
from support import media_factory

LIMIT = 100_000


def build_bad_input(kind: str, tmp_path, media):
    if kind == "empty":
        path = tmp_path / "empty.mp3"
        path.write_bytes(b"")
        return path
    if kind == "garbage":
        return media_factory.make_garbage(tmp_path / "garbage.mp3")
    if kind == "truncated":
        return media_factory.make_truncated(media.tone(3, "m4a"), tmp_path / "truncated.m4a")
    if kind == "silent-video":
        return media.video(2, "mp4", audio=False)
    if kind == "text":
        return media_factory.make_text(tmp_path / "notes.mp4")
    if kind == "image":
        return media_factory.make_image(tmp_path / "photo.mp3", fmt="jpeg")
    raise AssertionError(kind)


BAD_INPUTS = [
    ("empty", EmptyMediaError),
    ("garbage", CorruptMediaError),
    ("truncated", CorruptMediaError),
    ("silent-video", NoAudioStreamError),
    ("text", UnsupportedMediaError),
    ("image", UnsupportedMediaError),
]


@pytest.mark.parametrize("split", [split_audio_file, extract_audio_from_video_and_split])
@pytest.mark.parametrize(("kind", "error"), BAD_INPUTS)
async def test_media_bad_input_raises_typed_error_and_cleans_up(
    tmp_path, media, settings, job_id, kind, error, split
):
    path = build_bad_input(kind, tmp_path, media)
    filename = f"upload {kind} ../'x'.bin"
    with pytest.raises(error) as caught:
        await split(path, LIMIT, filename, job_id, settings=settings)
    assert caught.value.filename == filename
    assert filename in str(caught.value)
    assert list(settings.temp_dir.iterdir()) == []


async def test_media_unsupported_error_carries_the_media_type(tmp_path, settings, job_id):
    path = media_factory.make_text(tmp_path / "notes.txt")
    with pytest.raises(UnsupportedMediaError) as caught:
        await split_audio_file(path, LIMIT, "notes.txt", job_id, settings=settings)
    assert caught.value.media_type == "text"


async def test_media_missing_path_is_source_missing(tmp_path, settings, job_id):
    with pytest.raises(SourceObjectMissingError):
        await split_audio_file(tmp_path / "nope.mp3", LIMIT, "nope.mp3", job_id, settings=settings)
    assert list(settings.temp_dir.iterdir()) == []


async def test_media_too_long_for_the_duration_guard(media, settings, job_id):
    guarded = settings.with_overrides(max_duration_seconds=10.0)
    with pytest.raises(MediaTooLongError, match=re.escape("long.mp3")):
        await split_audio_file(media.tone(25), LIMIT, "long.mp3", job_id, settings=guarded)
    assert list(settings.temp_dir.iterdir()) == []


async def test_media_too_many_chunks_for_the_chunk_guard(media, settings, job_id):
    guarded = settings.with_overrides(max_chunks=2)
    with pytest.raises(MediaTooLongError, match="maximum of 2 chunks"):
        await split_audio_file(media.tone(40), LIMIT, "many.mp3", job_id, settings=guarded)
    assert list(settings.temp_dir.iterdir()) == []


async def test_media_guard_applies_to_video_extraction(media, settings, job_id):
    guarded = settings.with_overrides(max_duration_seconds=1.0)
    with pytest.raises(MediaTooLongError):
        await extract_audio_from_video_and_split(media.video(2), LIMIT, "v.mp4", job_id, settings=guarded)
    assert list(settings.temp_dir.iterdir()) == []


@pytest.mark.parametrize("limit", [0, 1000])
async def test_media_unusable_chunk_limit_is_a_configuration_error(media, settings, job_id, limit):
    with pytest.raises(ConfigurationError):
        await split_audio_file(media.tone(3), limit, "x.mp3", job_id, settings=settings)
    assert list(settings.temp_dir.iterdir()) == []


async def test_media_invalid_job_id_is_refused_before_writing(media, settings):
    with pytest.raises(ValueError, match="not a UUID"):
        await split_audio_file(media.tone(3), LIMIT, "x.mp3", "../escape", settings=settings)
    assert list(settings.temp_dir.iterdir()) == []
    assert not (settings.temp_dir.parent / "escape").exists()


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("garbage", "not audio or video that can be read"),
        ("truncated", "incomplete"),
        ("truncated-header", "not audio or video that can be read"),
    ],
)
async def test_media_unreadable_file_reason_is_plain_words_and_the_detail_is_logged(
    tmp_path, media, settings, job_id, caplog, kind, reason
):
    if kind == "truncated-header":
        whole = media.tone(3, "wav")
        path = media_factory.make_truncated(whole, tmp_path / "header.mp3", keep=20 / whole.stat().st_size)
    else:
        path = build_bad_input(kind, tmp_path, media)
    with pytest.raises(CorruptMediaError) as caught:
        await split_audio_file(path, LIMIT, "upload.bin", job_id, settings=settings)
    shown = str(caught.value)
    assert shown.startswith("upload.bin: ") and reason in caught.value.reason
    for internal in (str(tmp_path), str(settings.temp_dir), "0x", " @ ", "ffprobe", "ffmpeg"):
        assert internal not in shown
    assert any("Invalid data found" in str(getattr(r, "detail", "")) for r in caplog.records)
