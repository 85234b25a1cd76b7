"""Energy per day and per month, and the day's power factor, from the 30-minute counters.

A day is the 48 half-hours *starting* on it, ending 00:30 … next day 00:00, the same
half-hours as the day's demand bars. Each half-hour's energy comes from the two cumulative
readings that bound it (E3/E7/E8 active, CB/CE/CF reactive lag), across a counter wrap, with
:func:`hemsnet.metering.energy.interval_energy`: exactly what ``hemsnet export --quantity energy``
writes for the rows of those half-hours.

Power factor of a day (docs/dashboard.md D4): ``P / sqrt(P² + Q²)`` with ``P`` the active and
``Q`` the reactive (lag) energy of the half-hours where both are known, the way a monthly power
factor is worked out from the active and reactive energy meters.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

from hemsnet.devices.model import Quantity
from hemsnet.metering.attributes import RegisterHistory
from hemsnet.metering.energy import interval_energy
from hemsnet.metering.series import HALF_HOUR, Series
from hemsnet.store.model import Meter
from hemsnet.store.store import Store
from hemsnet.web.common import number

__all__ = ["MAX_DAYS", "energy_days"]

MAX_DAYS: Final = 400
_SLOTS: Final = 48


def _half_hours(
    store: Store, meter: Meter, series: Series, registers: RegisterHistory, start: date, end: date
) -> list[Decimal | None]:
    """The energy of each half-hour ending in (start 00:00, end 00:00], in order."""
    first = datetime.combine(start, time())
    last = datetime.combine(end, time())
    readings = {
        r.measured_at: r
        for r in store.readings(meter.id, series, first, last + timedelta(seconds=1))
    }
    ends = [first + HALF_HOUR * (i + 1) for i in range((last - first) // HALF_HOUR)]
    return [
        interval_energy(readings.get(at - HALF_HOUR), readings.get(at), registers) for at in ends
    ]


@dataclass(frozen=True, slots=True)
class _Day:
    date: date
    imported: list[Decimal | None]
    exported: list[Decimal | None]
    reactive: list[Decimal | None]

    def json(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "imported_kwh": number(_total(self.imported)),
            "exported_kwh": number(_total(self.exported)),
            "reactive_kvarh": number(_total(self.reactive)),
            "power_factor": _power_factor(self.imported, self.reactive),
            "complete": all(value is not None for value in self.imported),
        }


def _total(values: Sequence[Decimal | None]) -> Decimal | None:
    """The sum of the known values; ``None`` when none is known."""
    known = [value for value in values if value is not None]
    return sum(known, Decimal(0)) if known else None


def _power_factor(
    active: Sequence[Decimal | None], reactive: Sequence[Decimal | None]
) -> float | None:
    pairs = [
        (p, q) for p, q in zip(active, reactive, strict=True) if p is not None and q is not None
    ]
    p = float(sum((p for p, _ in pairs), Decimal(0)))
    q = float(sum((q for _, q in pairs), Decimal(0)))
    return p / math.hypot(p, q) if pairs and (p or q) else None


def energy_days(store: Store, meter: Meter, start: date, end: date) -> dict[str, Any]:
    """/api/energy: each day in [start, end) and each calendar month those days touch."""

    def series(which: Series, quantity: Quantity) -> list[Decimal | None]:
        registers = store.register_history(meter.id, quantity)
        if registers.missing():  # the meter lacks this counter (or was never read)
            return [None] * ((end - start).days * _SLOTS)
        return _half_hours(store, meter, which, registers, start, end)

    imported = series(Series.ENERGY_NORMAL, Quantity.ACTIVE_ENERGY)
    exported = series(Series.ENERGY_REVERSE, Quantity.ACTIVE_ENERGY)
    reactive = series(Series.REACTIVE_NORMAL, Quantity.REACTIVE_ENERGY)
    days = [
        _Day(
            start + timedelta(days=i),
            imported[i * _SLOTS : (i + 1) * _SLOTS],
            exported[i * _SLOTS : (i + 1) * _SLOTS],
            reactive[i * _SLOTS : (i + 1) * _SLOTS],
        )
        for i in range((end - start).days)
    ]
    return {
        "meter": meter.key,
        "days": [day.json() for day in days],
        "months": _months(days),
        "units": {"energy": "kWh", "reactive": "kvarh"},
    }


def _months(days: list[_Day]) -> list[dict[str, Any]]:
    """Calendar months: the energy of their days in the range, how many days had any, and
    whether the month is whole: every day of it in the range and complete (a partial month is
    no monthly total, docs/dashboard.md D15)."""
    months: dict[str, list[_Day]] = {}
    for day in days:
        months.setdefault(day.date.strftime("%Y-%m"), []).append(day)
    found = []
    for month, members in months.items():
        first = members[0].date
        length = calendar.monthrange(first.year, first.month)[1]
        found.append(
            {
                "month": month,
                "imported_kwh": number(_total([_total(d.imported) for d in members])),
                "exported_kwh": number(_total([_total(d.exported) for d in members])),
                "days": sum(1 for d in members if _total(d.imported) is not None),
                "days_in_month": length,
                "complete": len(members) == length
                and all(value is not None for d in members for value in d.imported),
            }
        )
    return found
