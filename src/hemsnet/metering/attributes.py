"""From a meter's attributes to how its readings scale: the one place that reads them.

A reading's EDT carries a raw count. The meter's attributes say what a count is worth
[AIF 3.1.4, MRA 0x028F]: the unit of its quantity (0xE6 active energy, 0xC5 demand, 0xCD
reactive energy), the coefficient 0xD3 and its multiplier 0xD4, and how many digits the
counter has before it rolls over (0xE5, 0xC4, 0xCC). The low-voltage 0x0288 has one quantity,
its active energy: unit 0xE1, coefficient 0xD3 (optional: 1 when the meter lacks it), digits
0xD7, and no multiplier [MRA 0x0288] (C38). :func:`scale_of` and :func:`register_of`
turn a set of attribute EDTs into a :class:`~hemsnet.devices.units.Scale` and a
:class:`Register`; the controller uses them on what it has just read (:class:`MeterScales`),
the store's readers on the versions in effect when a reading arrived
(:class:`RegisterHistory`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Final

from hemsnet.devices.hv_meter_bidir import HV_METER_BIDIR, HV_METER_BIDIR_CLASS
from hemsnet.devices.lv_meter import LV_METER, LV_METER_CLASS
from hemsnet.devices.model import ClassDef, Quantity
from hemsnet.devices.units import Scale, delta, physical
from hemsnet.errors import InvalidValue

__all__ = [
    "AttributeVersion",
    "MeterScales",
    "Register",
    "RegisterHistory",
    "attribute_code",
    "register_epcs",
    "register_of",
    "scale_of",
]

COEFFICIENT: Final = 0xD3
MULTIPLIER: Final = 0xD4
#: The effective-digits attribute of each counted quantity [AIF 3.1.4(1)].
_DIGITS_EPC: Final = {
    Quantity.ACTIVE_ENERGY: 0xE5,
    Quantity.DEMAND: 0xC4,
    Quantity.REACTIVE_ENERGY: 0xCC,
    Quantity.LV_ACTIVE_ENERGY: 0xD7,
}
_LV: Final = Quantity.LV_ACTIVE_ENERGY
_NO_MULTIPLIER: Final = 0x00  # x1: the low-voltage meter has no 0xD4
_UNIT_COEFFICIENT: Final = 1  # what a low-voltage meter without 0xD3 means


def _table(quantity: Quantity) -> ClassDef:
    return LV_METER if quantity is _LV else HV_METER_BIDIR


@lru_cache(maxsize=256)
def attribute_code(epc: int, edt: bytes, class_id: int = HV_METER_BIDIR_CLASS) -> int | None:
    """The code or number an attribute's EDT holds (of a 0x028F meter, or of ``class_id``);
    ``None`` when it is not valid.

    Cached: a day of energies asks the same few EDTs hundreds of times.
    """
    definition = (LV_METER if class_id == LV_METER_CLASS else HV_METER_BIDIR).get(epc)
    if definition is None:
        return None
    try:
        return int(definition.decode(edt))
    except InvalidValue:  # the store keeps what the meter said, even when it is wrong
        return None


def _code(attributes: Mapping[int, bytes | None], epc: int, quantity: Quantity) -> int | None:
    edt = attributes.get(epc)
    return None if edt is None else attribute_code(epc, edt, _table(quantity).class_id)


def scale_of(attributes: Mapping[int, bytes | None], quantity: Quantity) -> Scale | None:
    """The scale of readings of ``quantity``; ``None`` while an attribute it needs is unknown."""
    unit = _code(attributes, quantity.unit_epc, quantity)
    coefficient = _code(attributes, COEFFICIENT, quantity)
    if quantity is _LV:
        multiplier: int | None = _NO_MULTIPLIER
        if coefficient is None:
            coefficient = _UNIT_COEFFICIENT
    else:
        multiplier = _code(attributes, MULTIPLIER, quantity)
    if unit is None or coefficient is None or multiplier is None:
        return None
    try:
        return Scale(unit, coefficient, multiplier)
    except ValueError:  # a code the meter should not have sent
        return None


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


def register_epcs(quantity: Quantity) -> tuple[int, ...]:
    """The attributes that make the register of ``quantity``: digits, unit, 0xD3, 0xD4 (no
    0xD4 on the low-voltage meter)."""
    if quantity is _LV:
        return (_DIGITS_EPC[quantity], quantity.unit_epc, COEFFICIENT)
    return (_DIGITS_EPC[quantity], quantity.unit_epc, COEFFICIENT, MULTIPLIER)


def _required(quantity: Quantity) -> tuple[int, ...]:
    """The attributes a register cannot do without: a low-voltage meter may lack 0xD3."""
    epcs = register_epcs(quantity)
    return tuple(epc for epc in epcs if not (quantity is _LV and epc == COEFFICIENT))


def register_of(attributes: Mapping[int, bytes | None], quantity: Quantity) -> Register | None:
    """The counter register of ``quantity``; ``None`` while an attribute it needs is unknown."""
    scale = scale_of(attributes, quantity)
    digits = _code(attributes, _DIGITS_EPC[quantity], quantity)
    if scale is None or digits is None:
        return None
    return Register(scale, digits)


class MeterScales:
    """The scales of a meter's readings, from the attributes the controller read last."""

    def __init__(
        self, attributes: Mapping[int, bytes], class_id: int = HV_METER_BIDIR_CLASS
    ) -> None:
        self._attributes = dict(attributes)
        self._table = LV_METER if class_id == LV_METER_CLASS else HV_METER_BIDIR

    def scale_for(self, epc: int) -> Scale | None:
        """The scale of reading ``epc`` of the meter's class; ``None`` when its attributes are
        not known."""
        definition = self._table.get(epc)
        if definition is None or definition.quantity is None:
            return None
        return scale_of(self._attributes, definition.quantity)


@dataclass(frozen=True, slots=True)
class AttributeVersion:
    """An attribute's EDT from ``valid_from`` until the next version; ``None``: the meter does
    not have this optional property (it answered Get_SNA [AIF 3.1.4(2)])."""

    valid_from: datetime
    edt: bytes | None


@dataclass(frozen=True, slots=True)
class RegisterHistory:
    """The versions of a counter's attributes, to find the :class:`Register` at a time.

    ``versions`` maps each EPC of :func:`register_epcs` to its versions, oldest first. The
    first recorded version of an attribute is taken to hold from the start, since a controller
    reads the attributes before it scales anything [AIF 3.1.4]. ``restarts`` are the meter
    times at which the meter's registers restarted (a new meter, a reset counter): counts on
    either side of one are not comparable.
    """

    quantity: Quantity
    versions: Mapping[int, Sequence[AttributeVersion]]
    restarts: tuple[datetime, ...] = ()

    def restarted_between(self, earlier: datetime, later: datetime) -> bool:
        """Whether a restart lies in (earlier, later]."""
        index = bisect_right(self.restarts, earlier)
        return index < len(self.restarts) and self.restarts[index] <= later

    def missing(self) -> list[int]:
        """The EPCs of which no value was ever recorded."""
        return [
            epc
            for epc in _required(self.quantity)
            if not any(v.edt is not None for v in self.versions.get(epc, ()))
        ]

    def at(self, when: datetime) -> Register | None:
        """The register in effect at ``when``; ``None`` if an attribute is unknown then."""
        in_effect = {epc: self._edt(epc, when) for epc in register_epcs(self.quantity)}
        return register_of(in_effect, self.quantity)

    def _edt(self, epc: int, when: datetime) -> bytes | None:
        versions = self.versions.get(epc, ())
        if not versions:
            return None
        index = bisect_right(versions, when, key=lambda v: v.valid_from)
        return versions[max(index - 1, 0)].edt
