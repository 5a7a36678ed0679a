"""Planning the offline engine's decode: pauses shortened, pieces that fit Whisper's window, and the
threads and batch size that follow the cores or the settings."""

from __future__ import annotations

import pytest

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError
from mediascribe.transcription import local_decoding
from mediascribe.transcription.local_decoding import (
    KEPT_PAUSE_SECONDS,
    WINDOW_SECONDS,
    batch_size,
    decoder_threads,
    plan_decoding,
)
from mediascribe.transcription.speech import SpeechRegion


def _regions(count: int, *, speech: float = 2.5, pause: float = 1.5, lead: float = 4.0) -> list[SpeechRegion]:
    return [
        SpeechRegion(round(lead + n * (speech + pause), 3), round(lead + n * (speech + pause) + speech, 3))
        for n in range(count)
    ]


def test_pauses_are_shortened_and_every_region_is_decoded_once_in_order():
    regions = _regions(40)
    plan = plan_decoding(regions, duration=regions[-1].end + 6.0)

    kept = [end - start for start, end in plan.spans]
    assert sum(kept) == pytest.approx(
        sum(r.seconds for r in regions) + 39 * KEPT_PAUSE_SECONDS + 0.5, abs=0.01
    )
    assert [region for piece in plan.pieces for region in piece] == regions
    assert len(plan.clips) == len(plan.pieces) < len(regions)


def test_every_clip_fits_whispers_window_and_holds_its_regions_speech():
    regions = _regions(60, pause=0.4)
    plan = plan_decoding(regions, duration=regions[-1].end)

    assert all(0 < end - start <= WINDOW_SECONDS for start, end in plan.clips)
    for (start, end), piece in zip(plan.clips, plan.pieces, strict=True):
        assert end - start >= sum(region.seconds for region in piece)
    assert all(a[1] <= b[0] for a, b in zip(plan.clips, plan.clips[1:], strict=False))


def test_a_region_longer_than_the_window_is_decoded_in_parts():
    plan = plan_decoding([SpeechRegion(1.0, 71.0)], duration=72.0)

    assert len(plan.clips) == 3
    assert all(end - start <= WINDOW_SECONDS for start, end in plan.clips)
    parts = [region for piece in plan.pieces for region in piece]
    assert parts[0].start == 1.0 and parts[-1].end == 71.0


def test_no_speech_plans_nothing():
    plan = plan_decoding([], duration=30.0)
    assert plan.spans == plan.clips == plan.pieces == ()


@pytest.mark.parametrize(("cores", "threads", "batch"), [(1, 1, 2), (2, 2, 4), (12, 12, 16)])
def test_threads_and_batch_size_follow_the_cores(monkeypatch, cores, threads, batch):
    monkeypatch.setattr(local_decoding.os, "sched_getaffinity", lambda _pid: set(range(cores)))
    assert decoder_threads(None) == threads
    assert batch_size(None) == batch


def test_configured_threads_and_batch_size_win(monkeypatch):
    monkeypatch.setattr(local_decoding.os, "sched_getaffinity", lambda _pid: {0, 1})
    settings = Settings.from_env({"LOCAL_THREADS": "3", "LOCAL_BATCH_SIZE": "5"})
    assert decoder_threads(settings.local_threads) == 3
    assert batch_size(settings.local_batch_size) == 5


@pytest.mark.parametrize("variable", ["LOCAL_THREADS", "LOCAL_BATCH_SIZE"])
def test_a_count_below_one_is_refused(variable):
    with pytest.raises(ConfigurationError, match=variable):
        Settings.from_env({variable: "0"})
