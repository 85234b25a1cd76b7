"""What goes into the store and what comes out: series, readings, gaps, faults, counters.

Time stamps are naive ``datetime`` objects. ``measured_at`` is the meter's local time (from the
EDT's dt7/dt6, or the history slot); every other stamp (arrival, first/last seen, attribute
validity, gap and fault bookkeeping) is the controller's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Final

__all__ = [
    "HALF_HOUR",
    "MINUTE",
    "Appliance",
    "ApplianceReading",
    "AttributeVersion",
    "Fault",
    "Gap",
    "GapStatus",
    "Meter",
    "Reading",
    "RequestStats",
    "Series",
    "SeriesSummary",
    "Source",
    "instants",
    "require_naive",
]

HALF_HOUR: Final = timedelta(minutes=30)
MINUTE: Final = timedelta(minutes=1)
_DAY: Final = timedelta(days=1)


class Series(Enum):
    """One stored quantity of a 0x028F meter, and the EPCs it comes from [AIF 2.3 Table 2-4].

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
        """The unit of the physical value the caller stores."""
        return _SHAPES[self][0]

    @property
    def step(self) -> timedelta | None:
        """The grid the meter measures this series on; ``None``: any second."""
        return _SHAPES[self][1]


#: Unit and measurement grid of each series [reference §8.2; AIF 3.2.1 :00/:30, 3.3.4 minutes].
_SHAPES: Final[dict[Series, tuple[str, timedelta | None]]] = {
    Series.ENERGY_NORMAL: ("kWh", HALF_HOUR),
    Series.ENERGY_REVERSE: ("kWh", HALF_HOUR),
    Series.DEMAND_NORMAL: ("kW", HALF_HOUR),
    Series.DEMAND_REVERSE: ("kW", HALF_HOUR),
    Series.REACTIVE_NORMAL: ("kvarh", HALF_HOUR),
    Series.REACTIVE_REVERSE: ("kvarh", HALF_HOUR),
    Series.MINUTE_ENERGY_NORMAL: ("kWh", MINUTE),
    Series.MINUTE_ENERGY_REVERSE: ("kWh", MINUTE),
    Series.PRESENT_ENERGY_NORMAL: ("kWh", None),
    Series.PRESENT_ENERGY_REVERSE: ("kWh", None),
    Series.PRESENT_PF_ENERGY_NORMAL: ("kWh", None),
    Series.PRESENT_PF_ENERGY_REVERSE: ("kWh", None),
    Series.PRESENT_REACTIVE_NORMAL: ("kvarh", None),
    Series.PRESENT_REACTIVE_REVERSE: ("kvarh", None),
    Series.MAX_DEMAND_NORMAL: ("kW", None),
    Series.MAX_DEMAND_REVERSE: ("kW", None),
    Series.POWER: ("W", None),
    Series.CURRENT_R: ("A", None),
    Series.CURRENT_T: ("A", None),
}


class Source(Enum):
    """How a reading reached the controller."""

    NOTIFICATION = "notification"  # scheduled INF [AIF 3.2.1]
    POLL = "poll"  # Get of the latest value [AIF 3.3.1, 3.3.2, 3.3.4]
    HISTORY = "history"  # Get of E7/E8/C6/C8/CE/CF or ED [AIF 3.3.3, 3.3.5]


def require_naive(name: str, value: datetime) -> None:
    """Refuse an aware ``datetime``: the store's times are local, naive, in and out."""
    if value.tzinfo is not None:
        raise ValueError(f"{name} {value.isoformat()} must be naive (local time)")


@dataclass(frozen=True, slots=True)
class Reading:
    """One reading of one series at one measurement time, as recorded and as read back.

    ``raw`` is the count from the EDT and ``value`` its physical value in :attr:`Series.unit`,
    scaled by the caller (:class:`hemsnet.devices.units.Scale`). Both are ``None`` for the
    spec's "no data" (0xFFFFFFFF, 0x7FFFFFFE): a *void* reading, kept as such and never as
    zero [AIF 2.3 *2, 3.3.3].
    """

    meter_id: int
    series: Series
    measured_at: datetime
    raw: int | None
    value: Decimal | None
    source: Source
    arrived_at: datetime

    def __post_init__(self) -> None:
        require_naive("measured_at", self.measured_at)
        require_naive("arrived_at", self.arrived_at)
        if (self.raw is None) != (self.value is None):
            raise ValueError("raw and value are both given or both None (void)")
        if self.value is not None and not self.value.is_finite():
            raise ValueError(f"value {self.value} is not a finite number")
        if self.measured_at.microsecond:
            raise ValueError("measured_at has whole seconds (dt7/dt6 carry no fraction)")
        step = self.series.step
        if step is not None and _offset(self.measured_at, step):
            raise ValueError(
                f"{self.series.value} is measured every {_minutes(step)}; "
                f"{self.measured_at.isoformat()} is not on that grid"
            )

    @property
    def void(self) -> bool:
        return self.raw is None


def _offset(at: datetime, step: timedelta) -> timedelta:
    """How far ``at`` is past the latest instant of the ``step`` grid (from midnight)."""
    return (at - datetime.combine(at.date(), time())) % step


def _minutes(step: timedelta) -> str:
    count = step // MINUTE
    return "minute" if count == 1 else f"{count} minutes"


def instants(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """The instants of the ``step`` grid (counted from midnight) in [start, end)."""
    if _DAY % step:
        raise ValueError(f"step {step} does not divide a day")
    offset = _offset(start, step)
    at = start if not offset else start + (step - offset)
    found = []
    while at < end:
        found.append(at)
        at += step
    return found


@dataclass(frozen=True, slots=True)
class Meter:
    """A meter the controller talks to, known by the key the controller chose."""

    id: int
    key: str
    address: str
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class AttributeVersion:
    """An attribute's EDT from ``valid_from`` until the next version; ``None``: the meter does
    not have this optional property (it answered Get_SNA [AIF 3.1.4(2)])."""

    valid_from: datetime
    edt: bytes | None


class GapStatus(Enum):
    OPEN = "open"  # readings are missing and the controller may still fetch them
    FILLED = "filled"  # every instant of the gap has a real reading now
    UNRECOVERABLE = "unrecoverable"  # the meter no longer has (or never had) the data


@dataclass(frozen=True, slots=True)
class Gap:
    """Missing readings of ``series`` at the grid instants in [start, end)."""

    id: int
    meter_id: int
    series: Series
    start: datetime
    end: datetime
    status: GapStatus
    opened_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault status period [AIF 3.4.1]; ``end`` is ``None`` while it lasts."""

    start: datetime
    end: datetime | None

    @property
    def open(self) -> bool:
        return self.end is None


@dataclass(frozen=True, slots=True)
class RequestStats:
    """What happened to the controller's requests to one meter."""

    sent: int = 0
    answered: int = 0
    refused: int = 0  # an SNA answer
    timed_out: int = 0  # no answer within the response-wait timer [AIF 2.4.2]
    late_discarded: int = 0  # an answer after its timer expired
    foreign_dropped: int = 0  # a frame that matched no request of ours

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True, slots=True)
class SeriesSummary:
    """How much of a series is stored: real and void rows, and the latest real reading."""

    series: Series
    stored: int
    void: int
    latest: Reading | None


@dataclass(frozen=True, slots=True)
class Appliance:
    """One object of a node on a HEMS network [G.9958 3.2.1.2]: ``key`` names the node (its
    address without port or scope), ``eoj`` the object (``027D01``)."""

    id: int
    key: str
    address: str
    eoj: str
    class_name: str
    first_seen: datetime
    last_seen: datetime
    reachable: bool


@dataclass(frozen=True, slots=True)
class ApplianceReading:
    """One answered poll of an appliance, at controller time ``measured_at``: its power in W
    (signed for a battery or an EV charger: + charging) and whether it operates (0x80);
    ``None`` where it gave no valid value."""

    appliance_id: int
    measured_at: datetime
    watts: int | None
    operating: bool | None
    arrived_at: datetime

    def __post_init__(self) -> None:
        require_naive("measured_at", self.measured_at)
        require_naive("arrived_at", self.arrived_at)
