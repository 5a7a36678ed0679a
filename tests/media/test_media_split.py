"""Splitting into size-limited mp3 chunks: counts, names, offsets, silence-aware cuts, stream copy."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from mediascribe.config import Settings
from mediascribe.ids import safe_basename
from mediascribe.media.cut_planning import DURATION_CAP_SHARE, chunk_seconds_for
from mediascribe.media.split import split_audio_file
from mediascribe.workspace import job_workspace
from support import media_factory
from support.media_factory import describe, duration_of

SMALL_LIMIT = 100_000  # about 11.5 s of 64 kbit/s mp3


async def test_media_mp3_under_the_limit_is_one_chunk(media, settings, job_id):
    source = media.tone(5)
    with job_workspace(settings.temp_dir, job_id) as workspace:
        chunks = await split_audio_file(source, 24 * 1024 * 1024, "short talk", job_id, settings=settings)
        assert len(chunks) == 1
        chunk = chunks[0]
        assert (chunk.index, chunk.name, chunk.start_seconds) == (0, "short talk_audio_0.mp3", 0.0)
        assert chunk.path == workspace / "chunks" / chunk.name and chunk.path.is_file()
        assert chunk.size_bytes == chunk.path.stat().st_size
        assert chunk.duration_seconds == pytest.approx(duration_of(source), abs=0.05)


async def test_media_long_mp3_splits_into_ordered_contiguous_chunks(media, settings, job_id):
    source = media.tone(40)
    with job_workspace(settings.temp_dir, job_id):
        chunks = await split_audio_file(source, SMALL_LIMIT, "lecture", job_id, settings=settings)
        assert len(chunks) >= 3
        assert [c.index for c in chunks] == list(range(len(chunks)))
        assert [c.name for c in chunks] == [f"lecture_audio_{i}.mp3" for i in range(len(chunks))]
        assert all(c.path.stat().st_size == c.size_bytes <= SMALL_LIMIT for c in chunks)
        # As few chunks as the limit allows: every chunk but the last is close to it.
        assert all(c.size_bytes > 0.85 * SMALL_LIMIT for c in chunks[:-1])
        assert chunks[0].start_seconds == 0.0
        for previous, current in itertools.pairwise(chunks):
            assert current.start_seconds == pytest.approx(previous.start_seconds + previous.duration_seconds)
        assert sum(c.duration_seconds for c in chunks) == pytest.approx(duration_of(source), abs=0.1)
        for chunk in chunks:
            assert chunk.duration_seconds == pytest.approx(duration_of(chunk.path), abs=1e-3)


async def test_media_mp3_is_split_by_stream_copy_not_reencoded(tmp_path, settings, job_id):
    source = media_factory.make_audio(
        tmp_path / "stereo.mp3", 20, channels=2, sample_rate=44100, bitrate="96k"
    )
    with job_workspace(settings.temp_dir, job_id):
        chunks = await split_audio_file(source, SMALL_LIMIT, "stereo", job_id, settings=settings)
        assert len(chunks) >= 2
        for chunk in chunks:
            stream = describe(chunk.path)["streams"][0]
            assert (stream["codec_name"], stream["channels"], stream["sample_rate"]) == ("mp3", 2, "44100")
            assert int(stream["bit_rate"]) == 96000


async def test_media_cut_lands_in_a_silence_gap_near_the_boundary(tmp_path, settings, job_id):
    budget = chunk_seconds_for(SMALL_LIMIT, 64000 / 8)
    gap_start, gap_length = budget - 2.0, 0.8
    source = media_factory.make_audio(tmp_path / "paused.mp3", 30, gaps=[(gap_start, gap_length)])
    with job_workspace(settings.temp_dir, job_id):
        chunks = await split_audio_file(source, SMALL_LIMIT, "paused", job_id, settings=settings)
    first_cut = chunks[1].start_seconds
    assert gap_start < first_cut < gap_start + gap_length


async def test_media_without_silence_the_cut_is_hard_at_the_budget(tmp_path, settings, job_id):
    budget = chunk_seconds_for(SMALL_LIMIT, 64000 / 8)
    # A silence early in the chunk is outside the window searched before the boundary.
    source = media_factory.make_audio(tmp_path / "early-pause.mp3", 30, gaps=[(2.0, 1.0)])
    with job_workspace(settings.temp_dir, job_id):
        chunks = await split_audio_file(source, SMALL_LIMIT, "early", job_id, settings=settings)
    assert chunks[1].start_seconds == pytest.approx(budget, abs=0.05)


async def test_media_chunks_exist_only_inside_an_enclosing_workspace(media, settings, job_id):
    source = media.tone(5)
    with job_workspace(settings.temp_dir, job_id) as workspace:
        chunks = await split_audio_file(source, SMALL_LIMIT, "kept", job_id, settings=settings)
        # Intermediates are gone as soon as the call returns; only the chunks stay for the caller.
        assert [p.name for p in workspace.iterdir()] == ["chunks"]
    assert not chunks[0].path.exists()
    assert list(settings.temp_dir.iterdir()) == []

    chunks = await split_audio_file(source, SMALL_LIMIT, "dropped", job_id, settings=settings)
    assert len(chunks) == 1 and not chunks[0].path.exists()
    assert list(settings.temp_dir.iterdir()) == []
    assert source.is_file()


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "my talk (final) 'v2'.mp3", "Ünïcödé — 会议.mp3", 'quote"d\\name.mp3', "-rf .mp3"],
)
async def test_media_awkward_file_names_stay_inside_the_workspace(media, settings, job_id, name):
    with job_workspace(settings.temp_dir, job_id) as workspace:
        chunks = await split_audio_file(media.tone(5), SMALL_LIMIT, name, job_id, settings=settings)
        assert chunks[0].name == f"{safe_basename(name)}_audio_0.mp3"
        assert chunks[0].path.parent == workspace / "chunks"
        assert chunks[0].path.resolve().is_relative_to(settings.temp_dir.resolve())
        assert chunks[0].path.is_file()
    assert list(settings.temp_dir.iterdir()) == []


async def test_media_split_leaves_the_event_loop_free(media, settings, job_id):
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    beat = asyncio.create_task(heartbeat())
    await asyncio.sleep(0)
    before = ticks
    with job_workspace(settings.temp_dir, job_id):
        await split_audio_file(media.tone(40), SMALL_LIMIT, "loop", job_id, settings=settings)
    during = ticks - before
    beat.cancel()
    assert during >= 3


async def test_media_variable_bitrate_chunks_over_the_limit_are_cut_again(tmp_path, settings, job_id, caplog):
    # Quiet first half, loud second half: the average bitrate underestimates the loud part's size.
    source = media_factory.make_audio(tmp_path / "vbr.mp3", 40, noise=True, gaps=[(0, 20)], vbr_quality=0)
    with caplog.at_level("WARNING"), job_workspace(settings.temp_dir, job_id):
        chunks = await split_audio_file(source, SMALL_LIMIT, "vbr", job_id, settings=settings)
        assert all(c.path.stat().st_size <= SMALL_LIMIT for c in chunks)
        assert sum(c.duration_seconds for c in chunks) == pytest.approx(duration_of(source), abs=0.1)
    assert "cutting shorter" in caplog.text


async def test_media_pure_silence_splits_within_the_limit(tmp_path, settings, job_id):
    source = media_factory.make_silence(tmp_path / "quiet.mp3", 30)
    budget = chunk_seconds_for(SMALL_LIMIT, 64000 / 8)
    with job_workspace(settings.temp_dir, job_id):
        chunks = await split_audio_file(source, SMALL_LIMIT, "quiet", job_id, settings=settings)
        assert len(chunks) == 3
        assert all(c.size_bytes <= SMALL_LIMIT for c in chunks)
        # The whole search window is silent, so the boundary itself lies in silence: the cut goes
        # there (the segment muxer ends a chunk on the next mp3 frame, ~26 ms later).
        assert budget - 0.05 < chunks[1].start_seconds < budget + 0.05
        assert sum(c.duration_seconds for c in chunks) == pytest.approx(duration_of(source), abs=0.1)


async def test_media_silence_across_the_boundary_keeps_all_of_its_quiet_before_the_cut(
    tmp_path, settings, job_id
):
    """A pause that starts 0.5 s before the budget runs out and lasts past it: the cut goes at the
    budget, in the pause, rather than in the middle of the part of it the window sees (~0.25 s after
    the sound), which leaves the last word almost no quiet before the cut."""
    budget = chunk_seconds_for(SMALL_LIMIT, 64000 / 8)
    pause_start = budget - 0.5
    source = media_factory.make_audio(tmp_path / "talk.mp3", 20, gaps=[(pause_start, 1.5)])
    with job_workspace(settings.temp_dir, job_id):
        chunks = await split_audio_file(source, SMALL_LIMIT, "talk", job_id, settings=settings)
        assert len(chunks) == 2
        assert all(c.size_bytes <= SMALL_LIMIT for c in chunks)
        assert pause_start + 0.4 < chunks[1].start_seconds < budget + 0.05


async def test_media_chunks_stay_under_the_target_and_the_model_cap_cutting_in_silence(
    tmp_path, temp_dir, job_id
):
    """Bytes alone would make one chunk; the target (45 s) and a 40 s model cap make shorter ones."""
    gaps = [(start, 0.8) for start in range(10, 120, 12)]
    source = media_factory.make_audio(tmp_path / "talk.mp3", 120, gaps=gaps)
    settings = Settings(temp_dir=temp_dir, chunk_target_seconds=45.0)
    with job_workspace(settings.temp_dir, job_id):
        capped = await split_audio_file(
            source, 24 * 1024 * 1024, "capped", job_id, settings=settings, model_max_seconds=40.0
        )
        assert all(chunk.duration_seconds <= 40.0 * DURATION_CAP_SHARE + 0.05 for chunk in capped)
        assert len(capped) == 4
        for chunk in capped[1:]:
            assert any(start < chunk.start_seconds < start + 0.8 for start, _ in gaps), chunk.start_seconds
        targeted = await split_audio_file(source, 24 * 1024 * 1024, "targeted", job_id, settings=settings)
        # The target spreads 120 s evenly over three chunks; cuts in silences may add up to 8 s.
        assert len(targeted) == 3
        assert all(chunk.duration_seconds <= 48.05 for chunk in targeted)
