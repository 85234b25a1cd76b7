"""Energy between two cumulative readings: scale, effective digits and the counter wrap.

A cumulative counter (0xE3/E7/E8, 0xD0/ED, 0xCB/CE/CF) holds at most E5 (CC for reactive)
digits and is taken to roll over at 10**digits (reference §8.1; the spec does not say so). The
raw difference comes from :func:`hemsnet.devices.units.delta`, the physical one from
:func:`hemsnet.devices.units.physical`, exactly.

Which attributes applied to a stored reading is read from the attribute history: the versions
in effect when the reading *arrived*, which are the ones the controller scaled it with. The
first recorded version of an attribute is taken to hold from the start, since a controller
reads the attributes before it scales anything [AIF 3.1.4].
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Final

from hemsnet.devices.hv_meter_bidir import HV_METER_BIDIR_CLASS
from hemsnet.devices.registry import decode_property
from hemsnet.devices.units import Scale, delta, physical
from hemsnet.errors import InvalidValue
from hemsnet.store.model import AttributeVersion, Reading

__all__ = [
    "ACTIVE_ENERGY_EPCS",
    "REACTIVE_ENERGY_EPCS",
    "Register",
    "RegisterHistory",
    "interval_energy",
]

#: (digits, unit, coefficient, multiplier) EPCs of the active energy counters [MRA 0x028F].
ACTIVE_ENERGY_EPCS: Final = (0xE5, 0xE6, 0xD3, 0xD4)
#: The same for the reactive (lag) counters.
REACTIVE_ENERGY_EPCS: Final = (0xCC, 0xCD, 0xD3, 0xD4)


@dataclass(frozen=True, slots=True)
class Register:
    """How a cumulative counter reads: its scale and its effective digits."""

    scale: Scale
    digits: int

    def holds(self, raw: int) -> bool:
        """Whether ``raw`` fits the counter's digits."""
        modulus: int = 10**self.digits
        return 0 <= raw < modulus

    def energy(self, previous: int, current: int) -> Decimal:
        """The physical energy from ``previous`` to ``current``, across at most one wrap.

        Raises ``ValueError`` for a reading with more digits than the counter has.
        """
        scale = self.scale
        return physical(
            delta(previous, current, self.digits),
            scale.unit_code,
            scale.coefficient,
            scale.multiplier_code,
        )


@dataclass(frozen=True, slots=True)
class RegisterHistory:
    """The versions of a counter's four attributes, to find the :class:`Register` at a time.

    ``versions`` maps each EPC of ``epcs`` (digits, unit, coefficient, multiplier) to its
    versions, oldest first (``Store.attribute_history``).
    """

    epcs: tuple[int, int, int, int]
    versions: Mapping[int, Sequence[AttributeVersion]]

    def missing(self) -> list[int]:
        """The EPCs of which no value was ever recorded."""
        return [
            epc
            for epc in self.epcs
            if not any(v.edt is not None for v in self.versions.get(epc, ()))
        ]

    def at(self, when: datetime) -> Register | None:
        """The register in effect at ``when``; ``None`` if an attribute is unknown then."""
        codes = [self._code(epc, when) for epc in self.epcs]
        digits, unit, coefficient, multiplier = codes
        if digits is None or unit is None or coefficient is None or multiplier is None:
            return None
        return Register(Scale(unit, coefficient, multiplier), digits)

    def _code(self, epc: int, when: datetime) -> int | None:
        versions = self.versions.get(epc, ())
        if not versions:
            return None
        index = bisect_right(versions, when, key=lambda v: v.valid_from)
        edt = versions[max(index - 1, 0)].edt
        return None if edt is None else _attribute_code(epc, edt)


@lru_cache(maxsize=256)
def _attribute_code(epc: int, edt: bytes) -> int | None:
    """The code an attribute's EDT holds; cached: a day of energies asks 400 times."""
    try:
        return int(decode_property(HV_METER_BIDIR_CLASS, epc, edt).value)
    except InvalidValue:  # the store keeps what the meter said, even when it is wrong
        return None


def interval_energy(
    previous: Reading | None, current: Reading | None, registers: RegisterHistory
) -> Decimal | None:
    """The energy between two consecutive readings of one counter, or ``None`` if unknown.

    Unknown when a reading is missing or void, when the registers in effect at the two
    arrivals differ (a new coefficient, unit or digits: the counts are not comparable), or
    when a count does not fit the digits.
    """
    if previous is None or current is None or previous.raw is None or current.raw is None:
        return None
    register = registers.at(current.arrived_at)
    if register is None or registers.at(previous.arrived_at) != register:
        return None
    if not (register.holds(previous.raw) and register.holds(current.raw)):
        return None
    return register.energy(previous.raw, current.raw)
