"""Scaling raw meter readings to physical quantities, exactly [MRA 0x028F, reference §8.1].

A reading's EDT carries a raw count only. Its physical value is

    raw * unit(0xE6 / 0xC5 / 0xC7 / 0xCD) * coefficient(0xD3) * multiplier(0xD4)

(``unit`` is 0xE1 and there is no 0xD4 on the low-voltage meter 0x0288). :func:`physical` is the
one place that does this arithmetic, in :class:`~decimal.Decimal`, never ``float``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from hemsnet.devices.model import Quantity

__all__ = [
    "COEFFICIENT_MAX",
    "MULTIPLIER_CODES",
    "UNIT_CODES",
    "UNIT_CODES_BIDIR",
    "Scale",
    "delta",
    "physical",
    "scale_label",
]

#: Unit codes of 0xE6/0xC5/0xC7/0xCD on 0x028A and 0x0288 (0xE1) [MRA 0x028A, 0x0288].
UNIT_CODES: Final[dict[int, Decimal]] = {
    0x00: Decimal(1),
    0x01: Decimal("0.1"),
    0x02: Decimal("0.01"),
    0x03: Decimal("0.001"),
    0x04: Decimal("0.0001"),
    0x0A: Decimal(10),
    0x0B: Decimal(100),
    0x0C: Decimal(1000),
    0x0D: Decimal(10000),
}
#: 0x028F adds 0x0E = *100 000 [MRA 0x028F].
UNIT_CODES_BIDIR: Final[dict[int, Decimal]] = {**UNIT_CODES, 0x0E: Decimal(100000)}
#: Multiplying factor for the coefficient, 0xD4 [MRA 0x028F].
MULTIPLIER_CODES: Final[dict[int, Decimal]] = {
    0x00: Decimal(1),
    0x01: Decimal("0.1"),
    0x02: Decimal("0.01"),
    0x03: Decimal("0.001"),
}
#: 0xD3 coefficient range [MRA number_0-999999].
COEFFICIENT_MAX: Final = 999_999
_MAX_DIGITS: Final = 8


def physical(
    raw: int, unit_code: int, coefficient: int = 1, multiplier_code: int = 0x00
) -> Decimal:
    """``raw`` * unit * coefficient * multiplier, exactly.

    ``unit_code`` is checked against the widest table (0x028F's, with 0x0E); the unit property's
    own codec is what refuses 0x0E on the other classes. Raises ``ValueError`` for an unknown
    code or a coefficient outside 0..999 999.
    """
    if unit_code not in UNIT_CODES_BIDIR:
        raise ValueError(f"unknown unit code 0x{unit_code:02X}")
    if multiplier_code not in MULTIPLIER_CODES:
        raise ValueError(f"unknown coefficient multiplier code 0x{multiplier_code:02X}")
    if not 0 <= coefficient <= COEFFICIENT_MAX:
        raise ValueError(f"coefficient {coefficient} outside 0..{COEFFICIENT_MAX}")
    return (
        Decimal(raw)
        * UNIT_CODES_BIDIR[unit_code]
        * Decimal(coefficient)
        * MULTIPLIER_CODES[multiplier_code]
    )


@dataclass(frozen=True, slots=True)
class Scale:
    """The scaling a meter announces (0xE6 or its siblings, 0xD3, 0xD4), applied to readings."""

    unit_code: int
    coefficient: int = 1
    multiplier_code: int = 0x00

    def __post_init__(self) -> None:
        physical(0, self.unit_code, self.coefficient, self.multiplier_code)  # validates

    def apply(self, raw: int | None) -> Decimal | None:
        """The physical value of ``raw``; ``None`` ("no data") stays ``None``."""
        if raw is None:
            return None
        return physical(raw, self.unit_code, self.coefficient, self.multiplier_code)


def delta(previous: int, current: int, digits: int) -> int:
    """``current - previous`` for a counter that wraps at 10**digits (0xE5/0xC4/0xCC digits).

    The wrap is inferred from the effective digits (reference §8.1, not stated by the spec):
    a reading below the previous one is taken as one roll-over.
    """
    if not 1 <= digits <= _MAX_DIGITS:
        raise ValueError(f"effective digits {digits} outside 1..{_MAX_DIGITS}")
    modulus: int = 10**digits
    for name, value in (("previous", previous), ("current", current)):
        if not 0 <= value < modulus:
            raise ValueError(f"{name} reading {value} has more than {digits} digits")
    return (current - previous) % modulus


def scale_label(quantity: Quantity) -> str:
    """How a reading of ``quantity`` is scaled, for people: ``"E6·D3·D4 kWh"``."""
    if quantity is Quantity.LV_ACTIVE_ENERGY:
        return f"E1·D3 {quantity.unit}"  # 0x0288 has no 0xD4 [MRA 0x0288]
    return f"{quantity.unit_epc:02X}·D3·D4 {quantity.unit}"
