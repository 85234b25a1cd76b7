"""EDT codecs the appliance class tables share: fixed tuples of numbers, sized IDs, and the
codec instances several tables use. State codes are
:class:`~hemsnet.devices.codecs.primitives.CodeTable`.

Formats: [MRA definitions.json] ``object`` of numbers (0x027D C8/C9 minimum and maximum,
0x026B CB/CC/CE/CF hourly values) and the length-prefixed vehicle ID (0x027E E6).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from hemsnet.devices.codecs.primitives import OrNone, Scaled, SInt, UInt
from hemsnet.devices.model import SizedCodec

__all__ = [
    "INTERCONNECTION",
    "KWH_MILLI",
    "PERCENT",
    "SIGNED_WATTS",
    "WATTS_U16",
    "WATTS_U32",
    "WATT_HOURS",
    "LengthPrefixed",
    "UIntTuple",
    "celsius_setting",
]


@dataclass(frozen=True, slots=True)
class UIntTuple(SizedCodec[tuple[int, ...]]):
    """``count`` unsigned big-endian numbers of ``size`` bytes each, in ``lo..hi`` [MRA object].

    ``step`` scales each for people (0.1 A); the value stays a tuple of raw integers.
    """

    size: int
    count: int
    hi: int
    unit: str
    step: float = 1.0

    @property
    def min_size(self) -> int:
        return self.size * self.count

    @property
    def max_size(self) -> int:
        return self.size * self.count

    def decode(self, edt: bytes) -> tuple[int, ...]:
        if len(edt) != self.min_size:
            raise ValueError(f"{len(edt)} bytes, expected {self.min_size}")
        values = tuple(
            int.from_bytes(edt[i : i + self.size], "big") for i in range(0, len(edt), self.size)
        )
        return self._check(values)

    def encode(self, value: tuple[int, ...]) -> bytes:
        if not isinstance(value, tuple) or len(value) != self.count:
            raise ValueError(f"{value!r} is not a tuple of {self.count} numbers")
        return b"".join(v.to_bytes(self.size, "big") for v in self._check(value))

    def describe(self, value: tuple[int, ...]) -> str:
        return " / ".join(f"{v * self.step:g} {self.unit}" for v in value)

    def _check(self, values: tuple[int, ...]) -> tuple[int, ...]:
        for v in values:
            if not isinstance(v, int) or not 0 <= v <= self.hi:
                raise ValueError(f"{v!r} outside 0..{self.hi}")
        return values


@dataclass(frozen=True, slots=True)
class LengthPrefixed(SizedCodec[bytes]):
    """One size byte (0..``limit``) then that many bytes [MRA 0x027E E6 vehicle ID]."""

    limit: int

    @property
    def min_size(self) -> int:
        return 1

    @property
    def max_size(self) -> int:
        return 1 + self.limit

    def decode(self, edt: bytes) -> bytes:
        if not edt or edt[0] > self.limit or len(edt) != 1 + edt[0]:
            raise ValueError("the size byte does not match the data")
        return bytes(edt[1:])

    def encode(self, value: bytes) -> bytes:
        if not isinstance(value, bytes) or len(value) > self.limit:
            raise ValueError(f"{value!r} is not up to {self.limit} bytes")
        return bytes([len(value)]) + value

    def describe(self, value: bytes) -> str:
        return value.hex(" ").upper() or "(empty)"


#: Energies and powers of the energy classes [MRA number_0-999999999Wh, _W, 0-999999.999kWh].
WATT_HOURS: Final = UInt(4, 0, 999_999_999, unit="Wh")
WATTS_U32: Final = UInt(4, 0, 999_999_999, unit="W")
WATTS_U16: Final = UInt(2, 0, 65533, unit="W")
KWH_MILLI: Final = Scaled(UInt(4, 0, 999_999_999), Decimal("0.001"), "kWh")
#: 0xD3 of 0x027D and 0x027E: + charging, - discharging [MRA number_-999999999-999999999W].
SIGNED_WATTS: Final = SInt(4, -999_999_999, 999_999_999, unit="W")
PERCENT: Final = UInt(1, 0, 100, unit="%")
#: System-interconnected type (0x027D DB; 0x0279 D0 adds 0x03 unknown).
INTERCONNECTION: Final = {
    0x00: "reverse power flow acceptable",
    0x01: "independent",
    0x02: "reverse power flow not acceptable",
}


def celsius_setting(highest: int) -> OrNone[int]:
    """A temperature setting 0..``highest`` °C; 0xFD "undefined" is read-only [MRA
    state_Undefined_FD]."""
    return OrNone(UInt(1, 0, highest, unit="\N{DEGREE SIGN}C"), (b"\xfd",), "undefined")
