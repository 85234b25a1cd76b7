"""Meter time as whole minutes: the unit the registers advance in and the physics is drawn in.

Meter time is naive local wall time, as the AIF's date-time fields are (appliance time too). A
*minute index* counts whole minutes since 2000-01-01 00:00 (a Saturday); the half-hour boundary
``h`` is minute ``30 * h``. Integer indexes keep the hot paths free of ``datetime`` arithmetic.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

__all__ = [
    "EPOCH",
    "MINUTES_PER_DAY",
    "MINUTES_PER_HALF_HOUR",
    "minute_index",
    "minute_start",
    "weekday",
]

EPOCH: Final = datetime(2000, 1, 1)
MINUTES_PER_DAY: Final = 1440
MINUTES_PER_HALF_HOUR: Final = 30
_EPOCH_WEEKDAY: Final = EPOCH.weekday()  # Saturday = 5


def minute_index(at: datetime) -> int:
    """The index of the whole minute that contains ``at`` (seconds are dropped)."""
    if at < EPOCH:
        raise ValueError(f"meter time {at.isoformat()} is before {EPOCH.year}")
    return (at - EPOCH) // timedelta(minutes=1)


def minute_start(index: int) -> datetime:
    """The date-time at which minute ``index`` starts."""
    return EPOCH + timedelta(minutes=index)


def weekday(index: int) -> int:
    """Monday 0 .. Sunday 6 of the minute ``index``."""
    return (index // MINUTES_PER_DAY + _EPOCH_WEEKDAY) % 7
