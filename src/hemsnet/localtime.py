"""Local date-times typed by people: meter and controller time are naive local time.

One reader for every place that takes one: ``--start`` of the meter, controller and
appliances, the bounds of ``hemsnet export`` and of the dashboard's CSV export. The times it
takes lie in a window, [``EARLIEST``, ``LATEST``): the emulators' time line starts in 2000
(:mod:`hemsnet.physics.timeline`), Route B meters date from 2014, and a century is plenty.
Anything else is a typo or a probe (``9999-12-31``), and the window keeps every day and range
built from a time far from ``datetime``'s limits (years 1 and 9999), where the arithmetic
overflows.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final

__all__ = ["EARLIEST", "LATEST", "WINDOW", "check_window", "in_window", "parse_local_time"]

EARLIEST: Final = datetime(2000, 1, 1)
LATEST: Final = datetime(2100, 1, 1)  # excluded
#: The window as people read it: its first and last day.
WINDOW: Final = f"{EARLIEST:%Y-%m-%d} .. {LATEST - timedelta(days=1):%Y-%m-%d}"


def in_window(at: datetime | date) -> bool:
    """Whether ``at`` (a date: its midnight) lies in [EARLIEST, LATEST)."""
    moment = at if isinstance(at, datetime) else datetime(at.year, at.month, at.day)
    return EARLIEST <= moment < LATEST


def check_window(at: datetime | date) -> None:
    """``ValueError`` naming the window when ``at`` lies outside it."""
    if not in_window(at):
        raise ValueError(f"{at.isoformat()} is outside {WINDOW}")


def parse_local_time(text: str) -> datetime:
    """An ISO date-time (a bare date is its midnight) with no UTC offset, in the window;
    ``ValueError`` says which of the three it is not."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO date-time") from None
    if value.tzinfo is not None:
        raise ValueError(f"{text}: the time is local, give no UTC offset")
    check_window(value)
    return value
