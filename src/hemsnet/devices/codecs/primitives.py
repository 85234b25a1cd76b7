"""Primitive EDT codecs: numbers, enumerations, code tables, bytes and text.

Formats: [MRA definitions.json] ``number``, ``state``, ``numericValue``, ``raw`` and the text
EDTs of the super class and the controller class. :class:`OrNone` adds the spec's special codes
("no data", "default", "undefined") to any of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum
from typing import TypeVar

from hemsnet.devices.codecs._common import expect_size, hex_text, need
from hemsnet.devices.model import SizedCodec

__all__ = ["Ascii", "CodeTable", "Enumerated", "OrNone", "Raw", "SInt", "Scaled", "UInt", "Utf8"]

T = TypeVar("T")
E = TypeVar("E", bound=IntEnum)


def _label(member: IntEnum) -> str:
    """A state code's label, from its member name: ``NOT_CONNECTED`` reads "not connected"."""
    return member.name.replace("_", " ").lower()


@dataclass(frozen=True, slots=True)
class _Sized:
    """Size bounds of the byte and text codecs; ``_check`` refuses an EDT of another length."""

    min_size: int
    max_size: int

    def _check(self, edt: bytes) -> None:
        if not self.min_size <= len(edt) <= self.max_size:
            bounds = (
                str(self.min_size)
                if self.min_size == self.max_size
                else f"{self.min_size}..{self.max_size}"
            )
            raise ValueError(f"{len(edt)} bytes, expected {bounds}")


# --- numbers -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UInt(SizedCodec[int]):
    """An unsigned big-endian integer of ``size`` bytes in ``lo..hi`` [MRA number]."""

    size: int
    lo: int = 0
    hi: int | None = None  # None: the largest value of the size
    unit: str = ""
    hex_digits: int = 0  # describe in hex with this many digits (codes, not quantities)

    @property
    def min_size(self) -> int:
        return self.size

    @property
    def max_size(self) -> int:
        return self.size

    @property
    def _hi(self) -> int:
        return (1 << (8 * self.size)) - 1 if self.hi is None else self.hi

    def decode(self, edt: bytes) -> int:
        expect_size(edt, self.size)
        return self._range(int.from_bytes(edt, "big"))

    def encode(self, value: int) -> bytes:
        need(value, int, "the value")
        return self._range(value).to_bytes(self.size, "big")

    def describe(self, value: int) -> str:
        if self.hex_digits:
            return f"0x{value:0{self.hex_digits}X}"
        return f"{value} {self.unit}".rstrip()

    def _range(self, value: int) -> int:
        if not self.lo <= value <= self._hi:
            raise ValueError(f"{value} outside {self.lo}..{self._hi}")
        return int(value)


@dataclass(frozen=True, slots=True)
class SInt(SizedCodec[int]):
    """A signed big-endian integer of ``size`` bytes in ``lo..hi`` [MRA number int16/int32]."""

    size: int
    lo: int
    hi: int
    unit: str = ""

    @property
    def min_size(self) -> int:
        return self.size

    @property
    def max_size(self) -> int:
        return self.size

    def decode(self, edt: bytes) -> int:
        expect_size(edt, self.size)
        return self._range(int.from_bytes(edt, "big", signed=True))

    def encode(self, value: int) -> bytes:
        need(value, int, "the value")
        return self._range(value).to_bytes(self.size, "big", signed=True)

    def describe(self, value: int) -> str:
        return f"{value} {self.unit}".rstrip()

    def _range(self, value: int) -> int:
        if not self.lo <= value <= self.hi:
            raise ValueError(f"{value} outside {self.lo}..{self.hi}")
        return int(value)


@dataclass(frozen=True, slots=True)
class Scaled(SizedCodec[Decimal]):
    """An integer codec read in steps of ``step``: the value is a ``Decimal`` [MRA multiple]."""

    inner: UInt | SInt
    step: Decimal
    unit: str

    @property
    def min_size(self) -> int:
        return self.inner.min_size

    @property
    def max_size(self) -> int:
        return self.inner.max_size

    def decode(self, edt: bytes) -> Decimal:
        return self.inner.decode(edt) * self.step

    def encode(self, value: Decimal | int) -> bytes:
        need(value, (Decimal, int), "the value")
        steps = Decimal(value) / self.step
        if steps != steps.to_integral_value():
            raise ValueError(f"{value} is not a multiple of {self.step} {self.unit}")
        return self.inner.encode(int(steps))

    def describe(self, value: Decimal) -> str:
        return f"{value} {self.unit}"


@dataclass(frozen=True, slots=True)
class OrNone(SizedCodec[T | None]):
    """``inner``, or one of the spec's special codes that stands for "no value" (``None``).

    ``codes`` all decode to ``None``; ``None`` encodes to ``codes[0]``. Unless ``settable``,
    ``None`` is read-only: Get may return it, Set may not write it (``check_set``).
    """

    inner: SizedCodec[T]
    codes: tuple[bytes, ...]
    label: str = "no data"
    settable: bool = False

    @property
    def min_size(self) -> int:
        return self.inner.min_size

    @property
    def max_size(self) -> int:
        return self.inner.max_size

    def decode(self, edt: bytes) -> T | None:
        if edt in self.codes:
            return None
        return self.inner.decode(edt)

    def encode(self, value: T | None) -> bytes:
        if value is None:
            return self.codes[0]
        return self.inner.encode(value)

    def describe(self, value: T | None) -> str:
        return self.label if value is None else self.inner.describe(value)

    def check_set(self, value: T | None) -> None:
        if value is None and not self.settable:
            raise ValueError(f"0x{self.codes[0].hex().upper()} ({self.label}) is read-only")


@dataclass(frozen=True, slots=True)
class Enumerated(SizedCodec[E]):
    """A 1-byte state code from an ``IntEnum`` [MRA state]."""

    enum: type[E]
    labels: Mapping[int, str] = field(default_factory=dict)
    min_size: int = 1
    max_size: int = 1

    def decode(self, edt: bytes) -> E:
        expect_size(edt, 1)
        try:
            return self.enum(edt[0])
        except ValueError:
            raise ValueError(f"0x{edt[0]:02X} is not a defined {self.enum.__name__}") from None

    def encode(self, value: E) -> bytes:
        if value not in set(self.enum):
            raise ValueError(f"{value!r} is not a {self.enum.__name__}")
        return bytes([int(value)])

    def describe(self, value: E) -> str:
        member = self.enum(value)
        return self.labels.get(member, _label(member))


@dataclass(frozen=True, slots=True)
class CodeTable(SizedCodec[int]):
    """A 1-byte code from ``table``: a state [MRA state] or a multiplier (unit codes, 0xD4)
    [MRA numericValue].

    The value is the code itself; ``template`` renders its entry: a state's label as it is, a
    multiplier e.g. as ``"unit {} kWh"``.
    """

    table: Mapping[int, object]
    template: str = "{}"
    min_size: int = 1
    max_size: int = 1

    @classmethod
    def of(cls, enum: type[IntEnum]) -> CodeTable:
        """The codes of an ``IntEnum``, labelled by member names."""
        return cls({int(m): _label(m) for m in enum})

    def decode(self, edt: bytes) -> int:
        expect_size(edt, 1)
        if edt[0] not in self.table:
            raise ValueError(f"code 0x{edt[0]:02X} is not defined for this class")
        return edt[0]

    def encode(self, value: int) -> bytes:
        need(value, int, "the code")
        if value not in self.table:
            raise ValueError(f"code 0x{value:02X} is not defined for this class")
        return bytes([value])

    def describe(self, value: int) -> str:
        return self.template.format(self.table[value])


@dataclass(frozen=True, slots=True)
class Raw(_Sized, SizedCodec[bytes]):
    """Opaque bytes [MRA raw]."""

    def decode(self, edt: bytes) -> bytes:
        self._check(edt)
        return bytes(edt)

    def encode(self, value: bytes) -> bytes:
        need(value, (bytes, bytearray), "the value")
        self._check(value)
        return bytes(value)

    def describe(self, value: bytes) -> str:
        return hex_text(value)


@dataclass(frozen=True, slots=True)
class Ascii(_Sized, SizedCodec[str]):
    """ASCII text (0x8C, 0x8D) [MRA 0x0000]. The value is the text without its padding.

    Padding (0x00 or spaces, either end) is not specified [reference §13 item 10]: it is
    stripped on decode, and a fixed-size field is padded with 0x00 on encode.
    """

    def decode(self, edt: bytes) -> str:
        self._check(edt)
        text = edt.strip(b"\x00 ")
        if not all(0x20 <= byte < 0x7F for byte in text):
            raise ValueError("not printable ASCII text")
        return text.decode("ascii")

    def encode(self, value: str) -> bytes:
        need(value, str, "the text")
        if not value.isascii() or not value.isprintable():
            raise ValueError(f"{value!r} is not printable ASCII")
        data = value.encode("ascii")
        if len(data) > self.max_size:
            raise ValueError(f"{len(data)} characters, at most {self.max_size}")
        return data.ljust(self.min_size, b"\x00")

    def describe(self, value: str) -> str:
        return value


@dataclass(frozen=True, slots=True)
class Utf8(_Sized, SizedCodec[str]):
    """UTF-8 text without BOM (controller 0xC5 name) [MRA 0x05FF]."""

    def decode(self, edt: bytes) -> str:
        self._check(edt)
        try:
            return edt.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("not UTF-8 text") from None

    def encode(self, value: str) -> bytes:
        need(value, str, "the text")
        data = value.encode("utf-8")
        self._check(data)
        return data

    def describe(self, value: str) -> str:
        return value
