"""One clock for the stand-ins, the code under test and the Lambda timeout emulator.

Scenarios about time (a cluster that takes 30 s to resume, a statement past 45 s, a transaction left
idle for minutes) would otherwise wait in real time. ``VirtualClock`` runs ahead of the real clock
by every second anyone sleeps on it: ``sleep`` returns at once and moves the clock on, so what the
code under test waits for, the stand-in sees as elapsed, and an invocation's elapsed time (real work
plus virtual waits) is what the timeout emulator holds against the function's Timeout.

``SYSTEM_CLOCK`` is the real one; stand-ins take either.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


class VirtualClock:
    """Real elapsed time plus every second slept on it, by any thread."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return time.monotonic() + self._offset

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    @contextmanager
    def installed(self, *modules: object) -> Iterator[None]:
        """Point ``time.sleep`` and ``time.monotonic`` of the given modules' ``time`` at this clock.

        Each module is patched where it looks the names up (``module.time``), so the rest of the
        process, moto's threads and the test runner keep the real clock.
        """
        saved = [(module, module.time) for module in modules]  # type: ignore[attr-defined]
        proxy = _TimeProxy(self)
        try:
            for module in modules:
                module.time = proxy  # type: ignore[attr-defined]
            yield
        finally:
            for module, original in saved:
                module.time = original  # type: ignore[attr-defined]


class _TimeProxy:
    """The ``time`` module with ``sleep`` and ``monotonic`` taken from a clock."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock

    def sleep(self, seconds: float) -> None:
        self._clock.sleep(seconds)

    def monotonic(self) -> float:
        return self._clock.monotonic()

    def __getattr__(self, name: str) -> object:
        return getattr(time, name)
