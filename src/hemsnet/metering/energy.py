"""Energy between two cumulative readings: scale, effective digits and the counter wrap.

A cumulative counter (0xE3/E7/E8, 0xD0/ED, 0xCB/CE/CF) holds at most E5 (CC for reactive)
digits and is taken to roll over at 10**digits (reference §8.1; the spec does not say so). The
raw difference comes from :func:`hemsnet.devices.units.delta`, the physical one from
:func:`hemsnet.devices.units.physical`, exactly.

Which attributes applied to a reading is read from the attribute history: the versions in
effect when the reading *arrived*, which are the ones the controller scaled it with.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from hemsnet.metering.attributes import RegisterHistory

__all__ = ["CounterReading", "interval_energy"]


class CounterReading(Protocol):
    """A reading of a cumulative counter as kept: its raw count (``None``: no data) and when it
    arrived."""

    @property
    def raw(self) -> int | None: ...

    @property
    def measured_at(self) -> datetime: ...

    @property
    def arrived_at(self) -> datetime: ...


def interval_energy(
    previous: CounterReading | None, current: CounterReading | None, registers: RegisterHistory
) -> Decimal | None:
    """The energy between two consecutive readings of one counter, or ``None`` if unknown.

    Unknown when a reading is missing or void, when the registers in effect at the two
    arrivals differ (a new coefficient, unit or digits: the counts are not comparable), when
    the registers restarted between them (a new meter or a reset counter, never a roll-over),
    or when a count does not fit the digits.
    """
    if previous is None or current is None or previous.raw is None or current.raw is None:
        return None
    if registers.restarted_between(previous.measured_at, current.measured_at):
        return None
    register = registers.at(current.arrived_at)
    if register is None or registers.at(previous.arrived_at) != register:
        return None
    if not (register.holds(previous.raw) and register.holds(current.raw)):
        return None
    return register.energy(previous.raw, current.raw)
