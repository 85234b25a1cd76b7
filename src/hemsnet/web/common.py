"""What the dashboard's query modules share: the API error, JSON numbers and times, the meter.

All times in the JSON are naive local ISO strings ``YYYY-MM-DDTHH:MM:SS``: meter time for
measurements, controller time for arrivals and bookkeeping (docs/storage.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from hemsnet.localtime import check_window, in_window
from hemsnet.metering.series import Series
from hemsnet.store.model import Meter
from hemsnet.store.store import Store

__all__ = ["ApiError", "Clock", "iso", "meter_today", "number", "parse_day", "pick_meter"]

#: The dashboard's "now": ``datetime.now`` or the controller's scaled clock.
Clock = Callable[[], datetime]

#: The series whose newest reading tells the meter's date (instant, minute, present, 30-min).
_CLOCK_SERIES: Final = (
    Series.POWER,
    Series.MINUTE_ENERGY_NORMAL,
    Series.PRESENT_ENERGY_NORMAL,
    Series.ENERGY_NORMAL,
)


class ApiError(Exception):
    """An answer other than 200: the HTTP status and a message naming what was wrong."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = dict(headers or {})
        self.body: dict[str, Any] = {"error": message, **extra}


def iso(at: datetime | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS`` (the fraction of a controller stamp dropped), or ``None``."""
    return None if at is None else at.replace(microsecond=0).isoformat()


def number(value: Decimal | None) -> float | None:
    """A JSON number for display; the exact decimals are in the CSV export."""
    return None if value is None else float(value)


def pick_meter(store: Store, key: str | None) -> Meter:
    """The meter named ``key``, or the most recently seen one when ``key`` is ``None``."""
    meters = store.meters()
    if not meters:
        raise ApiError(404, "no meter stored yet", waiting=True)
    if key is None:
        return max(meters, key=lambda m: m.last_seen)
    for meter in meters:
        if meter.key == key:
            return meter
    keys = ", ".join(m.key for m in meters)
    raise ApiError(404, f"no meter {key!r}; the meters are: {keys}")


def meter_today(store: Store, meter_id: int, now: datetime) -> date:
    """The meter's date: that of its newest reading, else the dashboard's ``now``.

    A newest reading dated outside :data:`hemsnet.localtime.EARLIEST` .. ``LATEST`` (a meter
    clock gone wrong) tells nothing: ``now`` it is, so that no day built from it overflows.
    """
    latest = [store.latest(meter_id, series) for series in _CLOCK_SERIES]
    times = [reading.measured_at for reading in latest if reading is not None]
    newest = max(times) if times else now
    return newest.date() if in_window(newest) else now.date()


def parse_day(name: str, text: str | None) -> date | None:
    """A ``YYYY-MM-DD`` query parameter in the window of :mod:`hemsnet.localtime`, ``None``
    when absent; 400 when it is something else."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ApiError(400, f"{name}={text!r} is not a date YYYY-MM-DD") from None
    try:
        check_window(day)
    except ValueError as exc:
        raise ApiError(400, f"{name}: {exc}") from None
    return day
