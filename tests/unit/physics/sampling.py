"""Which minutes the physics tests sample: days of a calendar range, hours of those days."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from hemsnet.physics.timeline import minute_index

WEEKDAYS, WEEKENDS = range(5), (5, 6)


def days_between(start: date, end: date, weekdays: Iterable[int] = range(7)) -> list[date]:
    """The days from ``start`` to ``end`` inclusive whose weekday is in ``weekdays``."""
    wanted = set(weekdays)
    count = (end - start).days + 1
    return [d for d in (start + timedelta(n) for n in range(count)) if d.weekday() in wanted]


def minutes_of(
    days: Iterable[date], start_hour: float, end_hour: float, step: int = 5
) -> list[int]:
    """Every ``step``-th minute index from ``start_hour`` to before ``end_hour`` of each day."""
    first, last = round(start_hour * 60), round(end_hour * 60)
    return [
        minute_index(datetime(d.year, d.month, d.day)) + m
        for d in days
        for m in range(first, last, step)
    ]
