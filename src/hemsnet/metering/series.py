"""The quantities a controller keeps of a smart meter, how they reached it, and their grids.

Time stamps are naive local ``datetime`` objects, as the meter's dt7/dt6 fields are
[AIF 2.3]. A *grid* series is measured at fixed instants counted from midnight: every
half-hour (:00 and :30 [AIF 3.2.1]) or every whole minute [AIF 3.3.4]; the others at any
second.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Final

from hemsnet.devices.model import Quantity

__all__ = [
    "DAY",
    "HALF_HOUR",
    "HALF_HOUR_SERIES",
    "MINUTE",
    "MINUTE_SERIES",
    "Series",
    "Source",
    "day_start",
    "floor_half_hour",
    "instants",
    "off_grid",
]

HALF_HOUR: Final = timedelta(minutes=30)
MINUTE: Final = timedelta(minutes=1)
DAY: Final = timedelta(days=1)


class Series(Enum):
    """One quantity of a 0x028F meter, and the EPCs it comes from [AIF 2.3 Table 2-4].

    (Named ``Series`` because :class:`hemsnet.devices.model.Quantity` already names the unit
    families that scale readings.)
    """

    ENERGY_NORMAL = "energy_normal"  # E3 (INF or Get), E7 history: cumulative at :00/:30
    ENERGY_REVERSE = "energy_reverse"  # E3, E8
    DEMAND_NORMAL = "demand_normal"  # C3, C6: 30-minute average of the half-hour ending then
    DEMAND_REVERSE = "demand_reverse"  # C3, C8
    REACTIVE_NORMAL = "reactive_normal"  # CB, CE: cumulative reactive (lag) at :00/:30
    REACTIVE_REVERSE = "reactive_reverse"  # CB, CF
    MINUTE_ENERGY_NORMAL = "minute_energy_normal"  # D0, ED: cumulative at a whole minute
    MINUTE_ENERGY_REVERSE = "minute_energy_reverse"  # D0, ED
    PRESENT_ENERGY_NORMAL = "present_energy_normal"  # E2: cumulative, to the second
    PRESENT_ENERGY_REVERSE = "present_energy_reverse"  # E2
    PRESENT_PF_ENERGY_NORMAL = "present_pf_energy_normal"  # E4: active, for the power factor
    PRESENT_PF_ENERGY_REVERSE = "present_pf_energy_reverse"  # E4
    PRESENT_REACTIVE_NORMAL = "present_reactive_normal"  # CA: reactive (lag), to the second
    PRESENT_REACTIVE_REVERSE = "present_reactive_reverse"  # CA
    MAX_DEMAND_NORMAL = "max_demand_normal"  # C1: this billing month's maximum 30-minute demand
    MAX_DEMAND_REVERSE = "max_demand_reverse"  # C1
    POWER = "power"  # EA, W
    CURRENT_R = "current_r"  # EB, A
    CURRENT_T = "current_t"  # EB, A

    @property
    def unit(self) -> str:
        """The unit of the series' physical values."""
        return _SHAPES[self][0]

    @property
    def step(self) -> timedelta | None:
        """The grid the meter measures this series on; ``None``: any second."""
        return _SHAPES[self][1]

    @property
    def quantity(self) -> Quantity | None:
        """The family of the meter's counts it is read in: which attributes scale it and how
        many digits it has; ``None`` for power and currents, read in W and A."""
        return _SHAPES[self][2]

    @property
    def cumulative(self) -> bool:
        """Whether it is a counter that only goes up, rolling over at its digits."""
        return self.quantity in (Quantity.ACTIVE_ENERGY, Quantity.REACTIVE_ENERGY)


_KWH: Final = Quantity.ACTIVE_ENERGY
_KW: Final = Quantity.DEMAND
_KVARH: Final = Quantity.REACTIVE_ENERGY
#: Unit, measurement grid and quantity of each series [reference §8.2; AIF 3.2.1 :00/:30,
#: 3.3.4 minutes].
_SHAPES: Final[dict[Series, tuple[str, timedelta | None, Quantity | None]]] = {
    Series.ENERGY_NORMAL: ("kWh", HALF_HOUR, _KWH),
    Series.ENERGY_REVERSE: ("kWh", HALF_HOUR, _KWH),
    Series.DEMAND_NORMAL: ("kW", HALF_HOUR, _KW),
    Series.DEMAND_REVERSE: ("kW", HALF_HOUR, _KW),
    Series.REACTIVE_NORMAL: ("kvarh", HALF_HOUR, _KVARH),
    Series.REACTIVE_REVERSE: ("kvarh", HALF_HOUR, _KVARH),
    Series.MINUTE_ENERGY_NORMAL: ("kWh", MINUTE, _KWH),
    Series.MINUTE_ENERGY_REVERSE: ("kWh", MINUTE, _KWH),
    Series.PRESENT_ENERGY_NORMAL: ("kWh", None, _KWH),
    Series.PRESENT_ENERGY_REVERSE: ("kWh", None, _KWH),
    Series.PRESENT_PF_ENERGY_NORMAL: ("kWh", None, _KWH),
    Series.PRESENT_PF_ENERGY_REVERSE: ("kWh", None, _KWH),
    Series.PRESENT_REACTIVE_NORMAL: ("kvarh", None, _KVARH),
    Series.PRESENT_REACTIVE_REVERSE: ("kvarh", None, _KVARH),
    Series.MAX_DEMAND_NORMAL: ("kW", None, _KW),
    Series.MAX_DEMAND_REVERSE: ("kW", None, _KW),
    Series.POWER: ("W", None, None),
    Series.CURRENT_R: ("A", None, None),
    Series.CURRENT_T: ("A", None, None),
}

HALF_HOUR_SERIES: Final = tuple(s for s in Series if s.step == HALF_HOUR)
MINUTE_SERIES: Final = tuple(s for s in Series if s.step == MINUTE)


class Source(Enum):
    """How a reading reached the controller."""

    NOTIFICATION = "notification"  # scheduled INF [AIF 3.2.1]
    POLL = "poll"  # Get of the latest value [AIF 3.3.1, 3.3.2, 3.3.4]
    HISTORY = "history"  # Get of E7/E8/C6/C8/CE/CF or ED [AIF 3.3.3, 3.3.5]


def day_start(day: date) -> datetime:
    """00:00 of ``day``."""
    return datetime.combine(day, time())


def off_grid(at: datetime, step: timedelta) -> timedelta:
    """How far ``at`` is past the latest instant of the ``step`` grid (from midnight)."""
    return (at - day_start(at.date())) % step


def floor_half_hour(at: datetime) -> datetime:
    """The half-hour boundary at or before ``at``: the start of its 30-minute period."""
    return at - off_grid(at, HALF_HOUR)


def instants(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """The instants of the ``step`` grid (counted from midnight) in [start, end)."""
    if DAY % step:
        raise ValueError(f"step {step} does not divide a day")
    offset = off_grid(start, step)
    at = start if not offset else start + (step - offset)
    found = []
    while at < end:
        found.append(at)
        at += step
    return found
