"""What every emulated appliance is: a class table, its properties, its behaviour over time.

An :class:`Appliance` holds the physics of one device object. Time is an input: ``advance``
integrates the state up to ``now`` in steps of at most :data:`STEP`, so that energies and
state of charge add up the same way whatever the caller's rhythm. Property values are typed
(the table's codecs encode them); a value given as a zero-argument callable is computed when
it is read.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Final

from hemsnet.devices.model import ClassDef

__all__ = ["STEP", "Appliance", "EnergyCounter", "Value"]

#: The longest integration step: one minute of appliance time.
STEP: Final = timedelta(minutes=1)

Value = Any | Callable[[], Any]
"""A property value: a typed value, or a zero-argument callable computing it when read."""


class EnergyCounter:
    """A cumulative energy in Wh, read as kWh in steps of 0.001 [MRA number_0-999999.999kWh]."""

    def __init__(self) -> None:
        self.wh = 0.0

    def add(self, watts: float, seconds: float) -> None:
        self.wh += watts * seconds / 3600.0

    def kwh(self) -> Decimal:
        # Whole Wh, truncated as a meter register does; the rounding absorbs float error.
        return Decimal(int(round(self.wh, 6)) % 1_000_000_000) / 1000


class Appliance(ABC):
    """One emulated device object's behaviour; subclasses give the class and the physics."""

    table: ClassVar[ClassDef]
    #: The EPC a controller records as this appliance's power, in W [docs/appliances.md].
    power_epc: ClassVar[int]
    #: EPCs a remote Set may write besides 0x80 and 0x81; ``accept`` may still refuse a value.
    settable: ClassVar[frozenset[int]] = frozenset()

    def __init__(self, now: datetime) -> None:
        self.on = True
        self.now = now

    @abstractmethod
    def properties(self) -> Mapping[int, Value]:
        """The class's own properties (the super class ones are common, see ``objects``)."""

    @abstractmethod
    def power(self) -> int:
        """The reading of :attr:`power_epc` now, in W (signed for charge/discharge)."""

    def accept(self, epc: int, value: Any) -> bool:
        """A remote Set of a decoded ``value``; False refuses it (SNA). Default: store it."""
        del epc, value
        return True

    def switch(self, on: bool) -> None:
        self.on = on

    def advance(self, now: datetime) -> None:
        """Integrate the behaviour from the last call up to ``now``."""
        if now < self.now:
            raise ValueError(f"appliance time went back from {self.now} to {now}")
        while self.now < now:
            step = min(STEP, now - self.now)
            self._run(step.total_seconds())
            self.now += step

    @abstractmethod
    def _run(self, seconds: float) -> None:
        """Integrate ``seconds`` from :attr:`now` at the present state."""
