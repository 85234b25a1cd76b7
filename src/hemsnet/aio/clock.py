"""A clock that may run faster than real time: meter and controller time in tests and demos.

The meter emulator and the controller both take their time from one; at speed 1 from now it is
the wall clock (local, naive), read through the monotonic clock so that it never steps back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

__all__ = ["ScaledClock", "wait_for_stop"]

_RESOLUTION: Final = 0.001  # s of real time


class ScaledClock:
    """``start`` plus the monotonic time elapsed since, times ``speed``."""

    def __init__(
        self,
        start: datetime,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            raise ValueError("the speed must be positive")
        self.start = start
        self.speed = speed
        self._monotonic = monotonic
        self._origin = monotonic()
        self._elapsed = 0.0
        self._now = start

    def now(self) -> datetime:
        elapsed = self._monotonic() - self._origin
        # Datagrams arrive in bursts: one meter time per millisecond of real time is enough.
        if elapsed - self._elapsed >= _RESOLUTION:
            self._elapsed = elapsed
            self._now = self.start + timedelta(seconds=elapsed * self.speed)
        return self._now

    def delay_until(self, at: datetime) -> float:
        """Real seconds until clock time ``at`` (0 if it has passed)."""
        return max(0.0, (at - self.now()).total_seconds() / self.speed)


async def wait_for_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds`` or until ``stop`` is set, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
