"""Cut planning: duration budgets from the size limit, cuts in silence, hard cuts, silencedetect output."""

from __future__ import annotations

import pytest

from mediascribe.config import Settings
from mediascribe.media.cut_planning import (
    chunk_seconds_budget,
    chunk_seconds_for,
    estimated_chunk_count,
    last_silence_cut,
    plan_cuts,
    silence_window,
)


def silences_at(*midpoints: float):
    """A silence finder over a fixed list of silence midpoints (absolute seconds)."""
    windows = []

    async def find(window_start: float, window_seconds: float) -> float | None:
        windows.append((window_start, window_seconds))
        inside = [m for m in midpoints if window_start <= m <= window_start + window_seconds]
        return max(inside) if inside else None

    return find, windows


async def test_media_plan_without_silence_cuts_at_each_budget():
    find, windows = silences_at()
    cuts = await plan_cuts(100.0, 30.0, find)
    assert cuts == pytest.approx([30.0, 60.0, 90.0])
    # Only a short window before each boundary is analysed, never the whole file.
    assert sum(length for _, length in windows) <= 0.25 * 100


async def test_media_plan_prefers_the_latest_silence_before_the_boundary():
    find, _ = silences_at(27.0, 29.0, 55.0)
    cuts = await plan_cuts(100.0, 30.0, find)
    assert cuts == pytest.approx([29.0, 55.0, 85.0])
    assert all(b - a <= 30.0 for a, b in zip([0.0, *cuts], [*cuts, 100.0], strict=True))


async def test_media_plan_needs_no_cut_when_it_fits():
    find, windows = silences_at()
    assert await plan_cuts(29.9, 30.0, find) == []
    assert windows == []


def test_media_chunk_budget_stays_under_the_limit():
    seconds = chunk_seconds_for(24 * 1024 * 1024, 64000 / 8)
    assert seconds * 8000 < 24 * 1024 * 1024
    assert seconds * 8000 > 0.9 * 24 * 1024 * 1024
    assert estimated_chunk_count(seconds * 2.5, seconds) == 3
    with pytest.raises(ValueError):
        chunk_seconds_for(2048, 8000)


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        ("nothing here", None),
        ("silence_start: 1.5\nsilence_end: 2.5 | silence_duration: 1\n", 2.0),
        ("silence_start: 0.2\nsilence_end: 0.8 |\nsilence_start: 3.0\nsilence_end: 3.4 |\n", 3.2),
        ("silence_start: -0.02\nsilence_end: 0.5 |\n", 0.25),
        # Still silent when the window ends at 4.0: the boundary lies in the silence, so the cut
        # goes there, as far from the last word as the window allows (not at its middle, 3.8).
        ("silence_start: 3.6\n", 4.0),
        ("silence_start: 3.6\nsilence_end: 4 | silence_duration: 0.4\n", 4.0),
        ("silence_start: 3.6\nsilence_end: 3.98 | silence_duration: 0.38\n", 4.0),
        ("silence_start: 0.2\nsilence_end: 0.8 |\nsilence_start: 3.0\n", 4.0),
    ],
)
def test_media_silencedetect_output_gives_the_cut_in_the_latest_silence(stderr, expected):
    result = last_silence_cut(stderr, 4.0)
    assert result == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("duration", "bytes_seconds", "target", "cap", "expected"),
    [
        (3600.0, 3100.0, 600.0, 1500.0, 608.0),  # six even chunks, one silence window of slack
        (3600.0, 3100.0, 360.0, 1500.0, 368.0),  # ten: one round of requests at MaxConcurrency 10
        (3600.03, 3100.0, 360.0, 1500.0, 3600.03 / 10 + 8),  # encoder padding adds no eleventh
        (3500.0, 3100.0, 300.0, 1500.0, 3500 / 12 + 8),  # twelve, not eleven full ones and a stub
        (3600.0, 3100.0, 3600.0, 1500.0, 1470.0),  # a long target stays under the cap, with margin
        (3600.0, 3100.0, 3600.0, None, 3100.0),  # no cap (offline engine): bytes decide
        (3600.0, 200.0, 600.0, 1400.0, 200.0),  # a small byte budget still wins
        (3600.0, 3100.0, 1380.0, 1400.0, 1372.0),  # even spreading never passes the cap
    ],
)
def test_media_chunk_length_is_the_smallest_budget(duration, bytes_seconds, target, cap, expected):
    budget = chunk_seconds_budget(duration, bytes_seconds, target_seconds=target, model_max_seconds=cap)
    assert budget == pytest.approx(expected)


async def test_media_even_spreading_makes_exactly_the_target_count_despite_silence_cuts():
    """Cuts pulled back into silences never add a stub chunk at the end."""
    duration = 3600.0
    budget = chunk_seconds_budget(duration, 3100.0, target_seconds=300.0, model_max_seconds=1400.0)
    # A silence 7 s before every boundary: the earliest a cut may land.
    find = silences_at(
        *(k * 300.0 - 7.0 for k in range(1, 13)), *(k * 300.0 - 7.0 + 0.5 for k in range(1, 13))
    )[0]
    cuts = await plan_cuts(duration, budget, find)
    assert len(cuts) == 11
    lengths = [b - a for a, b in zip([0.0, *cuts], [*cuts, duration], strict=True)]
    assert max(lengths) <= budget


def test_media_six_hours_fit_the_chunk_cap_at_the_default_target():
    settings = Settings()
    duration = settings.max_duration_seconds
    seconds = chunk_seconds_budget(
        duration,
        chunk_seconds_for(settings.max_chunk_size_bytes, 64000 / 8),
        target_seconds=settings.chunk_target_seconds,
        model_max_seconds=1400.0,
    )
    # Even spreading keeps every chunk at least one silence window shorter than the budget.
    assert estimated_chunk_count(duration, seconds - silence_window(seconds)) <= settings.max_chunks
