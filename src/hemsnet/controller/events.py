"""What the controller engine reports to its runner: everything the store must keep.

The engine does no I/O; the runner drains :meth:`ControllerEngine.take_events` after every
call and writes each event to the store, in order.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Final

from hemsnet.echonet.engine import Discard, FrameDiscarded
from hemsnet.echonet.eoj import Eoj
from hemsnet.metering.samples import Sample
from hemsnet.metering.series import Series, Source

__all__ = [
    "DISCARD_COUNTERS",
    "AttributeAbsent",
    "AttributeRead",
    "BackfillProgress",
    "Counted",
    "Event",
    "FaultEnded",
    "FaultStarted",
    "GapOpened",
    "GapSettled",
    "MeterPaired",
    "MeterRestarted",
    "ReadingDisputed",
    "ReadingRejected",
    "Recorded",
    "RegisterRestarted",
    "Warned",
]


@dataclass(frozen=True, slots=True)
class MeterPaired:
    """The controller found its meter (by 0xD5 or by the search) [AIF 3.1.1, 3.1.2]."""

    address: Hashable
    eoj: Eoj


@dataclass(frozen=True, slots=True)
class MeterRestarted:
    """The paired meter announced its instance list again: it restarted."""


@dataclass(frozen=True, slots=True)
class AttributeRead:
    epc: int
    edt: bytes


@dataclass(frozen=True, slots=True)
class AttributeAbsent:
    """An optional property the meter does not have (not in 0x9F, or Get_SNA) [AIF 3.1.4]."""

    epc: int


@dataclass(frozen=True, slots=True)
class Recorded:
    """Readings that arrived now, by one way."""

    samples: tuple[Sample, ...]
    source: Source


@dataclass(frozen=True, slots=True)
class ReadingRejected:
    """A reading the controller does not believe (hemsnet.controller.vetting): not recorded;
    ``evidence`` is the frame it came in."""

    series: Series
    measured_at: datetime
    reason: str
    evidence: bytes


@dataclass(frozen=True, slots=True)
class ReadingDisputed:
    """A reading that contradicts the count held for its instant: nothing is overwritten
    until the meter's history settles it."""

    series: Series
    measured_at: datetime
    reason: str
    evidence: bytes


@dataclass(frozen=True, slots=True)
class RegisterRestarted:
    """A cumulative count fell further than a roll-over allows: a new register epoch from
    ``measured_at`` (meter time); energy is never computed across it."""

    series: Series
    measured_at: datetime
    reason: str
    evidence: bytes


@dataclass(frozen=True, slots=True)
class GapOpened:
    """``series`` misses readings at the half-hours in [start, end)."""

    series: Series
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class GapSettled:
    """An opened gap is over: ``filled`` (every half-hour has a value) or unrecoverable."""

    series: Series
    start: datetime
    end: datetime
    filled: bool


@dataclass(frozen=True, slots=True)
class FaultStarted:
    """INF or Get of 0x88 = 0x41 [AIF 3.4.1]."""


@dataclass(frozen=True, slots=True)
class FaultEnded:
    """0x88 = 0x42 after a fault."""


@dataclass(frozen=True, slots=True)
class Counted:
    """One more of a request counter: sent, answered, refused, timed_out."""

    counter: str


#: The request counter (:class:`~hemsnet.store.model.RequestStats`) that counts each kind of
#: datagram the engine discards (a :class:`~hemsnet.echonet.engine.FrameDiscarded` event).
DISCARD_COUNTERS: Final[Mapping[Discard, str]] = MappingProxyType(
    {
        Discard.MALFORMED: "malformed",
        Discard.UNSOLICITED: "unsolicited",
        Discard.LATE: "late_discarded",
        Discard.FOREIGN: "foreign_dropped",
    }
)


@dataclass(frozen=True, slots=True)
class BackfillProgress:
    """A history backfill pass: ``done`` of ``total`` days, now at ``day`` (meter date)."""

    done: int
    total: int
    day: date | None


@dataclass(frozen=True, slots=True)
class Warned:
    """Something the person running the controller should know, e.g. an old Appendix release."""

    message: str


Event = (
    MeterPaired
    | MeterRestarted
    | AttributeRead
    | AttributeAbsent
    | Recorded
    | ReadingRejected
    | ReadingDisputed
    | RegisterRestarted
    | GapOpened
    | GapSettled
    | FaultStarted
    | FaultEnded
    | Counted
    | FrameDiscarded
    | BackfillProgress
    | Warned
)
