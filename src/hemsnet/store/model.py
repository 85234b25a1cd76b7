"""The rows of the store: meters, readings, gaps, faults, counters, appliances.

The vocabulary they are made of (series, sources, grids, gap states, attribute versions) is
the core's, :mod:`hemsnet.metering`. Time stamps are naive ``datetime`` objects.
``measured_at`` is the meter's local time (from the EDT's dt7/dt6, or the history slot); every
other stamp (arrival, first/last seen, attribute validity, gap and fault bookkeeping) is the
controller's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal

from hemsnet.metering.gaps import GapStatus
from hemsnet.metering.series import MINUTE, Series, Source, off_grid

__all__ = [
    "ApplianceReading",
    "ApplianceRecord",
    "ControlAction",
    "Fault",
    "Gap",
    "Meter",
    "Reading",
    "RequestStats",
    "SeriesSummary",
    "WireEvent",
    "require_naive",
]


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
        if step is not None and off_grid(self.measured_at, step):
            raise ValueError(
                f"{self.series.value} is measured every {_minutes(step)}; "
                f"{self.measured_at.isoformat()} is not on that grid"
            )

    @property
    def void(self) -> bool:
        return self.raw is None


def _minutes(step: timedelta) -> str:
    count = step // MINUTE
    return "minute" if count == 1 else f"{count} minutes"


@dataclass(frozen=True, slots=True)
class Meter:
    """A meter the controller talks to, known by the key the controller chose."""

    id: int
    key: str
    address: str
    first_seen: datetime
    last_seen: datetime
    class_id: int = 0x028F  # 0x028F, or the low-voltage 0x0288


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
    late_discarded: int = 0  # an answer after its timer expired [AIF 2.4.3]
    foreign_dropped: int = 0  # a frame from another node than the meter [G.9958 I.2]
    malformed: int = 0  # a datagram from the meter that is no ECHONET Lite frame
    unsolicited: int = 0  # an answer from the meter to nothing asked
    rejected: int = 0  # a reading not believed (hemsnet.controller.vetting)
    disputed: int = 0  # a reading that contradicted the one held, until the history settled it

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
class ApplianceRecord:
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


@dataclass(frozen=True, slots=True)
class WireEvent:
    """A reading the controller did not believe, disputed, or took as a register restart, at
    controller time ``at``: what it claimed, why, and the frame it came in."""

    at: datetime
    kind: str  # rejected, disputed, restarted
    series: Series
    measured_at: datetime
    reason: str
    frame: bytes


@dataclass(frozen=True, slots=True)
class ControlAction:
    """One decision of demand control and how its command ended (docs/energy-management.md):
    times are the controller's clock, powers in kW (the meter's) and W (the appliance's)."""

    id: int
    decided_at: datetime
    appliance: str
    kind: str
    step: int
    reason: str
    epc: int
    edt: bytes
    target_kw: float
    projected_kw: float | None
    high_kw: float | None
    meter_kw: float | None
    power_before_w: int | None
    power_after_w: int | None
    measured_at: datetime | None
    outcome: str
    outcome_reason: str
    settled_at: datetime | None
