"""Where a series misses readings: a gap and what became of it."""

from __future__ import annotations

from enum import Enum

__all__ = ["GapStatus"]


class GapStatus(Enum):
    OPEN = "open"  # readings are missing and the controller may still fetch them
    FILLED = "filled"  # every instant of the gap has a real reading now
    UNRECOVERABLE = "unrecoverable"  # the meter no longer has (or never had) the data
