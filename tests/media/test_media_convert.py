"""Non-mp3 audio is converted and video audio extracted to speech mp3 before splitting."""

from __future__ import annotations

import pytest

from mediascribe.media.split import extract_audio_from_video_and_split, split_audio_file
from mediascribe.workspace import job_workspace
from support.media_factory import describe, duration_of, make_audio, make_video

SMALL_LIMIT = 100_000


def assert_speech_mp3(path, settings) -> None:
    stream = describe(path)["streams"][0]
    assert describe(path)["format"]["format_name"] == "mp3"
    assert (stream["codec_name"], stream["channels"]) == ("mp3", 1)
    assert int(stream["sample_rate"]) == settings.mp3_sample_rate


@pytest.mark.parametrize("fmt", ["wav", "m4a", "ogg", "flac", "opus"])
async def test_media_other_audio_is_converted_then_split(media, settings, job_id, fmt):
    source = media.tone(25, fmt)
    with job_workspace(settings.temp_dir, job_id):
        chunks = await split_audio_file(source, SMALL_LIMIT, f"talk.{fmt}", job_id, settings=settings)
        assert len(chunks) == 3
        assert chunks[0].name == "talk_audio_0.mp3"
        for chunk in chunks:
            assert chunk.size_bytes <= SMALL_LIMIT
            assert_speech_mp3(chunk.path, settings)
        total = sum(c.duration_seconds for c in chunks)
        # Conversion adds at most an mp3 frame of encoder padding at each end.
        assert total == pytest.approx(duration_of(source), abs=0.15)


@pytest.mark.parametrize("fmt", ["mp4", "mkv", "mov", "webm"])
async def test_media_video_audio_is_extracted_and_split(media, settings, job_id, fmt):
    source = media.video(2, fmt)
    with job_workspace(settings.temp_dir, job_id) as workspace:
        chunks = await extract_audio_from_video_and_split(
            source, SMALL_LIMIT, f"clip.{fmt}", job_id, settings=settings
        )
        assert [c.name for c in chunks] == ["clip_audio_0.mp3"]
        assert_speech_mp3(chunks[0].path, settings)
        assert all(s["codec_type"] == "audio" for s in describe(chunks[0].path)["streams"])
        assert chunks[0].duration_seconds == pytest.approx(2, abs=0.15)
        assert [p.name for p in workspace.iterdir()] == ["chunks"]


async def test_media_long_video_is_extracted_into_several_chunks(tmp_path, settings, job_id):
    source = make_video(tmp_path / "meeting.mkv", 30)
    with job_workspace(settings.temp_dir, job_id):
        chunks = await extract_audio_from_video_and_split(
            source, SMALL_LIMIT, "meeting.mkv", job_id, settings=settings
        )
        assert len(chunks) == 3
        assert sum(c.duration_seconds for c in chunks) == pytest.approx(30, abs=0.15)


async def test_media_aac_named_mp3_is_converted_not_copied(tmp_path, settings, job_id):
    source = make_audio(tmp_path / "podcast.mp3", 4, fmt="m4a")
    with job_workspace(settings.temp_dir, job_id):
        chunks = await split_audio_file(source, SMALL_LIMIT, "podcast.mp3", job_id, settings=settings)
        assert_speech_mp3(chunks[0].path, settings)
