"""Cut planning: duration budgets from the size limit, cuts in silence, hard cuts, silencedetect output."""

from __future__ import annotations

import pytest

from mediascribe.config import Settings
from mediascribe.media.cut_planning import (
    MAX_WINDOW_SECONDS,
    WINDOW_SHARE,
    chunk_seconds_budget,
    chunk_seconds_for,
    estimated_chunk_count,
    last_silence_midpoint,
    plan_cuts,
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
        ("silence_start: 3.0\n", 3.5),  # still silent when the window ends at 4.0
        ("silence_start: -0.02\nsilence_end: 0.5 |\n", 0.25),
    ],
)
def test_media_silencedetect_output_gives_the_latest_midpoint(stderr, expected):
    result = last_silence_midpoint(stderr, 4.0)
    assert result == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("bytes_seconds", "target", "cap", "expected"),
    [
        (3100.0, 600.0, 1500.0, 600.0),  # the target spreads a long file over the Map
        (3100.0, 3600.0, 1500.0, 1470.0),  # a long target stays under the model's cap, with margin
        (3100.0, 3600.0, None, 3100.0),  # no cap (offline engine): bytes decide
        (200.0, 600.0, 1400.0, 200.0),  # a small byte budget still wins
    ],
)
def test_media_chunk_length_is_the_smallest_budget(bytes_seconds, target, cap, expected):
    assert chunk_seconds_budget(bytes_seconds, target_seconds=target, model_max_seconds=cap) == expected


def test_media_six_hours_fit_the_chunk_cap_at_the_default_target():
    settings = Settings()
    seconds = chunk_seconds_budget(
        chunk_seconds_for(settings.max_chunk_size_bytes, 64000 / 8),
        target_seconds=settings.chunk_target_seconds,
        model_max_seconds=1400.0,
    )
    # Cuts move up to one silence window earlier than the budget, so count with the shortest chunk.
    shortest = seconds - min(MAX_WINDOW_SECONDS, seconds * WINDOW_SHARE)
    assert estimated_chunk_count(settings.max_duration_seconds, shortest) <= settings.max_chunks
