"""The 30-minute demand of a day, the forecast of the running half-hour, the month's maximum.

The bill of a high-voltage customer in Japan follows the largest 30-minute demand of the
month (the contract demand is reset from it), so the dashboard shows each half-hour's demand
(C3/C6, the average of the half-hour ending at its time, docs/meter.md M1), projects the
running half-hour from the energy used so far, and shows the meter's own monthly maximum
(0xC1).

Forecast (docs/dashboard.md D1): the period is the half-hour (meter time) that contains the
newest cumulative reading, one-minute (0xD0) or present (0xE2), whichever is newer. Its start
energy is the one-minute reading at the period start, else the 30-minute reading (0xE3) there.
With ``E`` the energy since the start (across a counter wrap), the live power (0xE7) and its
trend over the last minutes, ``forecast_kw`` is the projection of
:func:`hemsnet.control.forecast.project` with its band ``low_kw``..``high_kw``, and the level is
decided on the band (docs/energy-management.md E1, E2). No forecast before 60 s have elapsed.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

from hemsnet.control.forecast import level_of, project
from hemsnet.devices.model import Quantity
from hemsnet.localtime import in_window
from hemsnet.metering.billing import fixed_date, month_start
from hemsnet.metering.energy import interval_energy
from hemsnet.metering.series import HALF_HOUR, Series, floor_half_hour
from hemsnet.store.model import Meter, Reading
from hemsnet.store.store import Store
from hemsnet.web.common import iso, number
from hemsnet.web.config import DashboardConfig

__all__ = ["demand_day", "forecast", "month_max"]

_SLOTS: Final = 48
_MIN_ELAPSED: Final = timedelta(seconds=60)
_TREND: Final = timedelta(minutes=3)  # power readings the trend is fitted on
_SECOND: Final = timedelta(seconds=1)


def _levels(config: DashboardConfig) -> dict[str, float | None]:
    target = config.target
    return {
        "target_kw": target,
        "warning_kw": None if target is None else target * config.warning,
        "alarm_kw": None if target is None else target * config.alarm,
    }


def _provisional(
    store: Store, meter: Meter, series: tuple[Series, Series], ends: list[datetime]
) -> dict[datetime, Decimal]:
    """The demand of each half-hour in ``ends`` from the cumulative readings that bound it, the
    one-minute (0xD0) else the 30-minute (0xE3) ones: energy / 0.5 h (docs/meter.md M1). What
    the page shows until the meter's own demand (C3, C6) is stored (docs/dashboard.md D13)."""
    registers = store.register_history(meter.id, Quantity.ACTIVE_ENERGY)
    if registers.missing():
        return {}
    first, last = ends[0] - HALF_HOUR, ends[-1] + timedelta(seconds=1)
    found: dict[datetime, Decimal] = {}
    for cumulative in series:
        readings = {r.measured_at: r for r in store.readings(meter.id, cumulative, first, last)}
        for at in ends:
            if at in found:
                continue
            energy = interval_energy(readings.get(at - HALF_HOUR), readings.get(at), registers)
            if energy is not None:
                found[at] = energy * 2  # kWh in half an hour -> kW
    return found


def demand_day(
    store: Store, meter: Meter, day: date, config: DashboardConfig, today: date
) -> dict[str, Any]:
    """/api/demand: the 48 half-hours of ``day`` (ending 00:30 … next day 00:00); a half-hour
    without its demand stored yet has it from the energy readings, marked ``provisional``."""
    first = datetime.combine(day, time()) + HALF_HOUR
    ends = [first + i * HALF_HOUR for i in range(_SLOTS)]
    end = ends[-1] + HALF_HOUR

    def stored(
        series: Series, cumulative: tuple[Series, Series]
    ) -> dict[datetime, tuple[Decimal | None, bool]]:
        values = {r.measured_at: r.value for r in store.readings(meter.id, series, first, end)}
        missing = [at for at in ends if values.get(at) is None]
        if not missing:
            return {at: (values[at], False) for at in ends}
        estimated = _provisional(store, meter, cumulative, missing)
        return {
            at: (values[at], False) if values.get(at) is not None else (estimated.get(at), True)
            for at in ends
        }

    normal = stored(Series.DEMAND_NORMAL, (Series.MINUTE_ENERGY_NORMAL, Series.ENERGY_NORMAL))
    reverse = stored(Series.DEMAND_REVERSE, (Series.MINUTE_ENERGY_REVERSE, Series.ENERGY_REVERSE))
    return {
        "meter": meter.key,
        "date": day.isoformat(),
        "unit": "kW",
        **_levels(config),
        "slots": [
            {
                "end": iso(at),
                "normal_kw": number(normal[at][0]),
                "reverse_kw": number(reverse[at][0]),
                "provisional": (normal[at][1] and normal[at][0] is not None)
                or (reverse[at][1] and reverse[at][0] is not None),
            }
            for at in ends
        ],
        "has_reverse": store.latest(meter.id, Series.DEMAND_REVERSE) is not None,
        "forecast": forecast(store, meter, config),
        "month_max": month_max(store, meter, today),
    }


def _newer(a: Reading | None, b: Reading | None) -> Reading | None:
    if a is None or b is None:
        return a or b
    return b if b.measured_at > a.measured_at else a


def _reading_at(store: Store, meter: Meter, series: Series, at: datetime) -> Reading | None:
    found = store.readings(meter.id, series, at, at + timedelta(seconds=1))
    return found[0] if found and not found[0].void else None


def forecast(store: Store, meter: Meter, config: DashboardConfig) -> dict[str, Any] | None:
    """FORECAST of the running half-hour, ``None`` when it cannot be computed (module doc)."""
    latest = _newer(
        store.latest(meter.id, Series.MINUTE_ENERGY_NORMAL),
        store.latest(meter.id, Series.PRESENT_ENERGY_NORMAL),
    )
    if latest is None or not in_window(latest.measured_at):  # a meter clock gone wrong
        return None
    start = floor_half_hour(latest.measured_at)
    elapsed = latest.measured_at - start
    if elapsed < _MIN_ELAPSED:
        return None
    base = _reading_at(store, meter, Series.MINUTE_ENERGY_NORMAL, start) or _reading_at(
        store, meter, Series.ENERGY_NORMAL, start
    )
    energy = interval_energy(base, latest, store.register_history(meter.id, Quantity.ACTIVE_ENERGY))
    if energy is None:
        return None
    powers = [
        (r.measured_at, float(r.value) / 1000)
        for r in store.readings(
            meter.id, Series.POWER, latest.measured_at - _TREND, latest.measured_at + _SECOND
        )
        if r.value is not None
    ]
    at, power = (
        powers[-1]
        if powers
        else (latest.measured_at, float(energy) * 3600 / max(elapsed.total_seconds(), 1.0))
    )
    at = max(at, latest.measured_at)
    projection = project(start, at, float(energy), power, powers, energy_at=latest.measured_at)
    levels = _levels(config)
    return {
        "period_start": iso(start),
        "period_end": iso(start + HALF_HOUR),
        "at": iso(at),
        "energy_kwh": float(energy),
        "elapsed_s": int((at - start).total_seconds()),
        "forecast_kw": projection.projected_kw,
        "low_kw": projection.low_kw,
        "high_kw": projection.high_kw,
        "power_kw": projection.power_kw,
        "level": level_of(projection, config.target, config.warning, config.alarm),
        **levels,
    }


def month_max(store: Store, meter: Meter, today: date) -> dict[str, Any]:
    """MONTHMAX: the meter's 0xC1 and the stored half-hour that reached it.

    A half-hour belongs to the billing month in which it ends minus one minute, so the one
    ending at 00:00 on the fixed date closes the old month (:mod:`hemsnet.metering.billing`).
    """
    normal = store.latest(meter.id, Series.MAX_DEMAND_NORMAL)
    reverse = store.latest(meter.id, Series.MAX_DEMAND_REVERSE)
    read_at = normal.measured_at if normal is not None else None
    # A reading dated outside the window (a meter clock gone wrong) places no month.
    placed = read_at if read_at is not None and in_window(read_at) else None
    fixed = fixed_date(store.attributes(meter.id))
    at = None
    start = None
    if fixed is not None:
        start = month_start(placed or datetime.combine(today, time()), fixed)
        if normal is not None and normal.value is not None and placed is not None:
            first = datetime.combine(start, time()) + HALF_HOUR
            demands = store.readings(
                meter.id, Series.DEMAND_NORMAL, first, placed + timedelta(seconds=1)
            )
            at = next((r.measured_at for r in demands if r.value == normal.value), None)
    return {
        "normal_kw": number(normal.value if normal else None),
        "reverse_kw": number(reverse.value if reverse else None),
        "read_at": iso(read_at),
        "at": iso(at),
        "month_start": None if start is None else start.isoformat(),
    }
