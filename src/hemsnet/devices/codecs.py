"""EDT codecs: small combinators and the structured EDTs of the meter classes.

Every codec has ``decode``/``encode``/``describe`` (the :class:`~hemsnet.devices.model.Codec`
protocol), raises ``ValueError`` with a reason for bytes or values that do not fit, and knows
its EDT size bounds (``min_size``/``max_size``) so that a table row can take them from it.
Codecs whose decodable values are not all writable also have ``check_set``
(:class:`~hemsnet.devices.model.SetChecker`).

Formats: [MRA definitions.json] and the class files; the "no data" codes follow [AIF 2.3 *2/*3,
3.3.3] and reference §8.6: 0xFFFFFFFF and 0xFFFFFFFE both decode to ``None``, ``None`` encodes to
0xFFFFFFFF; 0x7FFFFFFE (0x7FFE for int16) is "no data" for signed readings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import IntEnum
from typing import Any, Final, Generic, Protocol, TypeVar

from hemsnet.devices.model import Codec, Quantity
from hemsnet.devices.units import COEFFICIENT_MAX, MULTIPLIER_CODES, scale_label
from hemsnet.devices.values import (
    HalfHourHistory,
    HistorySelector,
    IdentificationNumber,
    InstallationLocation,
    NormalReverse,
    OperatingTime,
    PhaseCurrents,
    ProtocolVersion,
    RouteBId,
    SegmentHistory,
    StandardVersion,
    TimedNormalReverse,
    TimedReading,
    TimeUnit,
)
from hemsnet.echonet.instance_list import (
    ClassList,
    InstanceList,
    decode_class_list,
    decode_instance_list,
)
from hemsnet.echonet.propmap import decode_property_map, encode_property_map

__all__ = [
    "COEFFICIENT",
    "COEFFICIENT_MULTIPLIER",
    "EFFECTIVE_DIGITS",
    "FIXED_DATE",
    "HISTORY_DAY",
    "HISTORY_DAY_MAX",
    "INSTANT_POWER",
    "NO_DATA_S32",
    "NO_DATA_U32",
    "READING_MAX",
    "Ascii",
    "ClassListCodec",
    "CodeTable",
    "Currents",
    "DateCodec",
    "DateTimeCodec",
    "DayHistory",
    "Enumerated",
    "IdentificationNumberCodec",
    "InstallationLocationCodec",
    "InstanceListCodec",
    "OperatingTimeCodec",
    "OrNone",
    "PropertyMapCodec",
    "ProtocolVersionCodec",
    "Raw",
    "Reading",
    "ReadingPair",
    "RouteBIdCodec",
    "SInt",
    "Scaled",
    "Segments",
    "Selector",
    "SizedCodec",
    "StandardVersionCodec",
    "TimeCodec",
    "TimedPair",
    "TimedSingle",
    "UInt",
    "Utf8",
]

READING_MAX: Final = 99_999_999
NO_DATA_U32: Final = 0xFFFFFFFF  # what we emit [AIF 2.3 *2, 3.3.3]
_NOT_MEASURED_U32: Final = 0xFFFFFFFE  # [MRA state_NoData_FFFFFFFE], accepted
NO_DATA_S32: Final = 0x7FFFFFFE  # [MRA state_NoData_7FFFFFFE]
_DAY_DEFAULT: Final = 0x00FF  # [MRA state_DefaultValue_00FF]
HISTORY_DAY_MAX: Final = 99  # 0xE1 and the day48 day field [MRA 0x028F]
_SLOTS: Final = 48
_DT6_DEFAULT: Final = b"\xff" * 6  # EF/ED before any Set (reference §8.5)

E = TypeVar("E", bound=IntEnum)


def _need(value: Any, kind: type | tuple[type, ...], what: str) -> None:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"{what} must be {_kind_name(kind)}, got {value!r}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _expect_size(edt: bytes, size: int) -> None:
    if len(edt) != size:
        raise ValueError(f"{len(edt)} bytes, expected {size}")


def _label(member: IntEnum) -> str:
    """A state code's label, from its member name: ``NOT_CONNECTED`` reads "not connected"."""
    return member.name.replace("_", " ").lower()


def _hex(data: bytes) -> str:
    return data.hex(" ").upper() or "(empty)"


class SizedCodec(Codec, Protocol):
    """A codec that knows its EDT size bounds, so that a table row can take them from it."""

    @property
    def min_size(self) -> int: ...

    @property
    def max_size(self) -> int: ...


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
class UInt:
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
        _expect_size(edt, self.size)
        return self._range(int.from_bytes(edt, "big"))

    def encode(self, value: Any) -> bytes:
        _need(value, int, "the value")
        return self._range(value).to_bytes(self.size, "big")

    def describe(self, value: Any) -> str:
        if self.hex_digits:
            return f"0x{value:0{self.hex_digits}X}"
        return f"{value} {self.unit}".rstrip()

    def _range(self, value: int) -> int:
        if not self.lo <= value <= self._hi:
            raise ValueError(f"{value} outside {self.lo}..{self._hi}")
        return int(value)


@dataclass(frozen=True, slots=True)
class SInt:
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
        _expect_size(edt, self.size)
        return self._range(int.from_bytes(edt, "big", signed=True))

    def encode(self, value: Any) -> bytes:
        _need(value, int, "the value")
        return self._range(value).to_bytes(self.size, "big", signed=True)

    def describe(self, value: Any) -> str:
        return f"{value} {self.unit}".rstrip()

    def _range(self, value: int) -> int:
        if not self.lo <= value <= self.hi:
            raise ValueError(f"{value} outside {self.lo}..{self.hi}")
        return int(value)


@dataclass(frozen=True, slots=True)
class Scaled:
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

    def encode(self, value: Any) -> bytes:
        _need(value, (Decimal, int), "the value")
        steps = Decimal(value) / self.step
        if steps != steps.to_integral_value():
            raise ValueError(f"{value} is not a multiple of {self.step} {self.unit}")
        return self.inner.encode(int(steps))

    def describe(self, value: Any) -> str:
        return f"{value} {self.unit}"


@dataclass(frozen=True, slots=True)
class OrNone:
    """``inner``, or one of the spec's special codes that stands for "no value" (``None``).

    ``codes`` all decode to ``None``; ``None`` encodes to ``codes[0]``. Unless ``settable``,
    ``None`` is read-only: Get may return it, Set may not write it (``check_set``).
    """

    inner: SizedCodec
    codes: tuple[bytes, ...]
    label: str = "no data"
    settable: bool = False

    @property
    def min_size(self) -> int:
        return self.inner.min_size

    @property
    def max_size(self) -> int:
        return self.inner.max_size

    def decode(self, edt: bytes) -> Any:
        if edt in self.codes:
            return None
        return self.inner.decode(edt)

    def encode(self, value: Any) -> bytes:
        if value is None:
            return self.codes[0]
        return bytes(self.inner.encode(value))

    def describe(self, value: Any) -> str:
        return self.label if value is None else str(self.inner.describe(value))

    def check_set(self, value: Any) -> None:
        if value is None and not self.settable:
            raise ValueError(f"0x{self.codes[0].hex().upper()} ({self.label}) is read-only")


@dataclass(frozen=True, slots=True)
class Enumerated(Generic[E]):
    """A 1-byte state code from an ``IntEnum`` [MRA state]."""

    enum: type[E]
    labels: Mapping[int, str] = field(default_factory=dict)
    min_size: int = 1
    max_size: int = 1

    def decode(self, edt: bytes) -> E:
        _expect_size(edt, 1)
        try:
            return self.enum(edt[0])
        except ValueError:
            raise ValueError(f"0x{edt[0]:02X} is not a defined {self.enum.__name__}") from None

    def encode(self, value: Any) -> bytes:
        if value not in set(self.enum):
            raise ValueError(f"{value!r} is not a {self.enum.__name__}")
        return bytes([int(value)])

    def describe(self, value: Any) -> str:
        member = self.enum(value)
        return self.labels.get(member, _label(member))


@dataclass(frozen=True, slots=True)
class CodeTable:
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
        _expect_size(edt, 1)
        if edt[0] not in self.table:
            raise ValueError(f"code 0x{edt[0]:02X} is not defined for this class")
        return edt[0]

    def encode(self, value: Any) -> bytes:
        _need(value, int, "the code")
        if value not in self.table:
            raise ValueError(f"code 0x{value:02X} is not defined for this class")
        return bytes([value])

    def describe(self, value: Any) -> str:
        return self.template.format(self.table[value])


# --- bytes and text ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Raw(_Sized):
    """Opaque bytes [MRA raw]."""

    def decode(self, edt: bytes) -> bytes:
        self._check(edt)
        return bytes(edt)

    def encode(self, value: Any) -> bytes:
        _need(value, (bytes, bytearray), "the value")
        self._check(value)
        return bytes(value)

    def describe(self, value: Any) -> str:
        return _hex(value)


@dataclass(frozen=True, slots=True)
class Ascii(_Sized):
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

    def encode(self, value: Any) -> bytes:
        _need(value, str, "the text")
        if not value.isascii() or not value.isprintable():
            raise ValueError(f"{value!r} is not printable ASCII")
        data: bytes = value.encode("ascii")
        if len(data) > self.max_size:
            raise ValueError(f"{len(data)} characters, at most {self.max_size}")
        return data.ljust(self.min_size, b"\x00")

    def describe(self, value: Any) -> str:
        return str(value)


@dataclass(frozen=True, slots=True)
class Utf8(_Sized):
    """UTF-8 text without BOM (controller 0xC5 name) [MRA 0x05FF]."""

    def decode(self, edt: bytes) -> str:
        self._check(edt)
        try:
            return edt.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("not UTF-8 text") from None

    def encode(self, value: Any) -> bytes:
        _need(value, str, "the text")
        data: bytes = value.encode("utf-8")
        self._check(data)
        return data

    def describe(self, value: Any) -> str:
        return str(value)


# --- dates and times -----------------------------------------------------------------------


def _decode_datetime(edt: bytes, *, seconds: bool) -> datetime:
    year = int.from_bytes(edt[0:2], "big")
    month, day, hour, minute = edt[2], edt[3], edt[4], edt[5]
    second = edt[6] if seconds else 0
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        text = f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}"
        raise ValueError(f"invalid date-time {text}{f':{second:02d}' if seconds else ''}") from None


def _encode_datetime(value: Any, *, seconds: bool) -> bytes:
    _need(value, datetime, "the date-time")
    if value.tzinfo is not None:
        raise ValueError("date-times are naive (meter local time)")
    if value.microsecond or (not seconds and value.second):
        raise ValueError(f"{value} is finer than the {'second' if seconds else 'minute'}")
    head: bytes = value.year.to_bytes(2, "big") + bytes(
        [value.month, value.day, value.hour, value.minute]
    )
    return head + bytes([value.second]) if seconds else head


def _describe_datetime(value: datetime, *, seconds: bool) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def _decode_dt6_or_default(edt: bytes, minute_step: int) -> datetime | None:
    if edt == _DT6_DEFAULT:
        return None
    at = _decode_datetime(edt, seconds=False)
    if at.minute % minute_step:
        raise ValueError(f"minute {at.minute} is not a multiple of {minute_step}")
    return at


def _encode_dt6_or_default(value: Any, minute_step: int) -> bytes:
    if value is None:
        return _DT6_DEFAULT
    edt = _encode_datetime(value, seconds=False)
    if value.minute % minute_step:
        raise ValueError(f"minute {value.minute} is not a multiple of {minute_step}")
    return edt


@dataclass(frozen=True, slots=True)
class DateTimeCodec:
    """dt7 (YYYY MM DD hh mm ss) or, without ``seconds``, dt6 [MRA date-time, date-time_6]."""

    seconds: bool = True

    @property
    def min_size(self) -> int:
        return 7 if self.seconds else 6

    @property
    def max_size(self) -> int:
        return self.min_size

    def decode(self, edt: bytes) -> datetime:
        _expect_size(edt, self.min_size)
        return _decode_datetime(edt, seconds=self.seconds)

    def encode(self, value: Any) -> bytes:
        return _encode_datetime(value, seconds=self.seconds)

    def describe(self, value: Any) -> str:
        return _describe_datetime(value, seconds=self.seconds)


@dataclass(frozen=True, slots=True)
class DateCodec:
    """YYYY MM DD (0x98, 0x8E) [MRA date]."""

    min_size: int = 4
    max_size: int = 4

    def decode(self, edt: bytes) -> date:
        _expect_size(edt, 4)
        year, month, day = int.from_bytes(edt[0:2], "big"), edt[2], edt[3]
        try:
            return date(year, month, day)
        except ValueError:
            raise ValueError(f"invalid date {year:04d}-{month:02d}-{day:02d}") from None

    def encode(self, value: Any) -> bytes:
        if isinstance(value, datetime):
            raise ValueError("a date, not a date-time")
        _need(value, date, "the date")
        year: bytes = value.year.to_bytes(2, "big")
        return year + bytes([value.month, value.day])

    def describe(self, value: Any) -> str:
        return str(value.isoformat())


@dataclass(frozen=True, slots=True)
class TimeCodec:
    """hh mm (0x97 current time) [MRA time_2]."""

    min_size: int = 2
    max_size: int = 2

    def decode(self, edt: bytes) -> time:
        _expect_size(edt, 2)
        hour, minute = edt
        if hour > 23 or minute > 59:
            raise ValueError(f"invalid time {hour:02d}:{minute:02d}")
        return time(hour, minute)

    def encode(self, value: Any) -> bytes:
        _need(value, time, "the time")
        if value.second or value.microsecond or value.tzinfo is not None:
            raise ValueError(f"{value} is not a naive hh:mm")
        return bytes([value.hour, value.minute])

    def describe(self, value: Any) -> str:
        return str(value.strftime("%H:%M"))


# --- ECHONET structures --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PropertyMapCodec:
    """0x9D/0x9E/0x9F maps, both forms [EL Appendix Annex 1]; the value is a set of EPCs."""

    min_size: int = 1
    max_size: int = 17

    def decode(self, edt: bytes) -> frozenset[int]:
        return decode_property_map(edt)

    def encode(self, value: Any) -> bytes:
        _need(value, (set, frozenset), "the property map")
        return encode_property_map(value)

    def describe(self, value: Any) -> str:
        codes = " ".join(f"0x{epc:02X}" for epc in sorted(value))
        return f"{len(value)} EPCs: {codes}" if value else "0 EPCs"


@dataclass(frozen=True, slots=True)
class InstanceListCodec:
    """Node profile 0xD5/0xD6 [EL spec §4.3.1]."""

    min_size: int = 1
    max_size: int = 253

    def decode(self, edt: bytes) -> InstanceList:
        return decode_instance_list(edt)

    def encode(self, value: Any) -> bytes:
        _need(value, InstanceList, "the instance list")
        edt = bytes([value.total]) + b"".join(bytes(eoj) for eoj in value.instances)
        decode_instance_list(edt)  # validates count and size
        return edt

    def describe(self, value: Any) -> str:
        return f"{value.total} instances: {' '.join(str(eoj) for eoj in value.instances)}"


@dataclass(frozen=True, slots=True)
class ClassListCodec:
    """Node profile 0xD7 [EL spec §4.3.1]."""

    min_size: int = 1
    max_size: int = 17

    def decode(self, edt: bytes) -> ClassList:
        return decode_class_list(edt)

    def encode(self, value: Any) -> bytes:
        _need(value, ClassList, "the class list")
        body = b"".join(class_id.to_bytes(2, "big") for class_id in value.class_ids)
        edt = bytes([value.total]) + body
        decode_class_list(edt)
        return edt

    def describe(self, value: Any) -> str:
        return f"{value.total} classes: {' '.join(f'0x{c:04X}' for c in value.class_ids)}"


@dataclass(frozen=True, slots=True)
class InstallationLocationCodec:
    """0x81: 1 byte (0x00, 0x08..0xFF) or 0x01 + 16 bytes of position [MRA 0x0000].

    0x01..0x07 as a single byte are reserved and refused (reference §7.1). With
    ``max_size=1`` only the 1-byte form (controller 0xCC) [MRA 0x05FF].
    """

    min_size: int = 1
    max_size: int = 17

    def decode(self, edt: bytes) -> InstallationLocation:
        if len(edt) == 1 and not 0x01 <= edt[0] <= 0x07:
            return InstallationLocation(edt[0])
        if len(edt) == 17 == self.max_size and edt[0] == 0x01:
            return InstallationLocation(0x01, bytes(edt[1:]))
        if self.max_size == 1:
            raise ValueError("not a 1-byte location (0x00, 0x08..0xFF)")
        raise ValueError("not a 1-byte location (0x00, 0x08..0xFF) nor 0x01 + 16 bytes")

    def encode(self, value: Any) -> bytes:
        _need(value, InstallationLocation, "the location")
        _need(value.code, int, "the location code")
        if not 0 <= value.code <= 0xFF:
            raise ValueError(f"location code {value.code} is not a byte")
        edt = bytes([value.code]) + bytes(value.position)
        self.decode(edt)
        return edt

    def describe(self, value: Any) -> str:
        return str(value)


_RELEASE_A: Final = 0x61


@dataclass(frozen=True, slots=True)
class StandardVersionCodec:
    """Device 0x82: ``00 00 <release ASCII> <revision>``; 'a' for release A [MRA 0x0000]."""

    min_size: int = 4
    max_size: int = 4

    def decode(self, edt: bytes) -> StandardVersion:
        _expect_size(edt, 4)
        if edt[0] or edt[1]:
            raise ValueError("bytes 1-2 of the standard version must be 0x00")
        letter = edt[2]
        if letter == _RELEASE_A:
            return StandardVersion("A", edt[3])
        if ord("B") <= letter <= ord("Z"):
            return StandardVersion(chr(letter), edt[3])
        raise ValueError(f"0x{letter:02X} is not a release letter ('a', 'B'..'Z')")

    def encode(self, value: Any) -> bytes:
        _need(value, StandardVersion, "the version")
        release = value.release
        if len(release) != 1 or not "A" <= release <= "Z":
            raise ValueError(f"release {release!r} is not a letter A..Z")
        if not 0 <= value.revision <= 0xFF:
            raise ValueError(f"revision {value.revision} is not a byte")
        letter = _RELEASE_A if release == "A" else ord(release)
        return bytes([0, 0, letter, value.revision])

    def describe(self, value: Any) -> str:
        return str(value)


@dataclass(frozen=True, slots=True)
class ProtocolVersionCodec:
    """Node profile 0x82: major, minor, message-format bitmap, 0x00 [MRA 0x0EF0]."""

    min_size: int = 4
    max_size: int = 4

    def decode(self, edt: bytes) -> ProtocolVersion:
        _expect_size(edt, 4)
        return ProtocolVersion(edt[0], edt[1], edt[2], edt[3])

    def encode(self, value: Any) -> bytes:
        _need(value, ProtocolVersion, "the version")
        fields = (value.major, value.minor, value.formats, value.reserved)
        if not all(isinstance(f, int) and 0 <= f <= 0xFF for f in fields):
            raise ValueError(f"{value} has a field that is not a byte")
        return bytes(fields)

    def describe(self, value: Any) -> str:
        return str(value)


@dataclass(frozen=True, slots=True)
class IdentificationNumberCodec:
    """0x83, 17 bytes [MRA 0x0EF0]."""

    min_size: int = 17
    max_size: int = 17

    def decode(self, edt: bytes) -> IdentificationNumber:
        _expect_size(edt, 17)
        return IdentificationNumber(bytes(edt))

    def encode(self, value: Any) -> bytes:
        _need(value, IdentificationNumber, "the identification number")
        return self.decode(value.raw).raw

    def describe(self, value: Any) -> str:
        return str(value)


@dataclass(frozen=True, slots=True)
class RouteBIdCodec:
    """0xC0 Route B identification number, 16 bytes [AIF Annex 1(1)]."""

    min_size: int = 16
    max_size: int = 16

    def decode(self, edt: bytes) -> RouteBId:
        _expect_size(edt, 16)
        return RouteBId(bytes(edt))

    def encode(self, value: Any) -> bytes:
        _need(value, RouteBId, "the Route B ID")
        return self.decode(value.raw).raw

    def describe(self, value: Any) -> str:
        if value.manufacturer_code is None:
            return f"not Japan layout: {_hex(value.raw)}"
        return f"manufacturer 0x{value.manufacturer_code:06X} ID {_hex(value.free_area)}"


@dataclass(frozen=True, slots=True)
class OperatingTimeCodec:
    """0x9A: unit (0x41..0x44) + uint32 count [MRA 0x0000]."""

    min_size: int = 5
    max_size: int = 5

    def decode(self, edt: bytes) -> OperatingTime:
        _expect_size(edt, 5)
        try:
            unit = TimeUnit(edt[0])
        except ValueError:
            raise ValueError(f"0x{edt[0]:02X} is not a time unit (0x41..0x44)") from None
        return OperatingTime(unit, int.from_bytes(edt[1:], "big"))

    def encode(self, value: Any) -> bytes:
        _need(value, OperatingTime, "the operating time")
        if value.unit not in set(TimeUnit) or not 0 <= value.count <= 0xFFFFFFFF:
            raise ValueError(f"{value} is out of range")
        count: bytes = value.count.to_bytes(4, "big")
        return bytes([value.unit]) + count

    def describe(self, value: Any) -> str:
        return f"{value.count} {value.unit.name.lower()}s"


# --- meter readings ------------------------------------------------------------------------


def _decode_reading(edt: bytes, at: int) -> int | None:
    raw = int.from_bytes(edt[at : at + 4], "big")
    if raw <= READING_MAX:
        return raw
    if raw in (NO_DATA_U32, _NOT_MEASURED_U32):
        return None
    raise ValueError(f"reading 0x{raw:08X} at byte {at + 1} is above 99,999,999 and not no-data")


def _encode_reading(value: Any) -> bytes:
    if value is None:
        return NO_DATA_U32.to_bytes(4, "big")
    _need(value, int, "a reading")
    if not 0 <= value <= READING_MAX:
        raise ValueError(f"reading {value} outside 0..{READING_MAX}")
    return int(value).to_bytes(4, "big")


def _per(quantity: Quantity) -> str:
    """The scale suffix of a raw reading's description, "(times E6·D3·D4 kWh)"."""
    return f"(\N{MULTIPLICATION SIGN} {scale_label(quantity)})"


def _raw(value: int | None) -> str:
    return "no data" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Reading:
    """One u32 reading, 0..99 999 999 or no data [MRA number_0-99999999*]."""

    quantity: Quantity
    min_size: int = 4
    max_size: int = 4

    def decode(self, edt: bytes) -> int | None:
        _expect_size(edt, 4)
        return _decode_reading(edt, 0)

    def encode(self, value: Any) -> bytes:
        return _encode_reading(value)

    def describe(self, value: Any) -> str:
        return "no data" if value is None else f"raw {value} {_per(self.quantity)}"


@dataclass(frozen=True, slots=True)
class ReadingPair:
    """Normal + reverse u32 readings, 8 bytes (0x028F C1, C2)."""

    quantity: Quantity
    min_size: int = 8
    max_size: int = 8

    def decode(self, edt: bytes) -> NormalReverse:
        _expect_size(edt, 8)
        return NormalReverse(_decode_reading(edt, 0), _decode_reading(edt, 4))

    def encode(self, value: Any) -> bytes:
        _need(value, NormalReverse, "the value")
        return _encode_reading(value.normal) + _encode_reading(value.reverse)

    def describe(self, value: Any) -> str:
        return f"normal {_raw(value.normal)} reverse {_raw(value.reverse)} {_per(self.quantity)}"


@dataclass(frozen=True, slots=True)
class TimedPair:
    """dt7 + normal + reverse, 15 bytes (0x028F C3 CA CB D0 D1 D5 D6 E2 E3 E4, 0x0288 D0)."""

    quantity: Quantity
    min_size: int = 15
    max_size: int = 15

    def decode(self, edt: bytes) -> TimedNormalReverse:
        _expect_size(edt, 15)
        at = _decode_datetime(edt[:7], seconds=True)
        return TimedNormalReverse(at, _decode_reading(edt, 7), _decode_reading(edt, 11))

    def encode(self, value: Any) -> bytes:
        _need(value, TimedNormalReverse, "the value")
        at = _encode_datetime(value.at, seconds=True)
        return at + _encode_reading(value.normal) + _encode_reading(value.reverse)

    def describe(self, value: Any) -> str:
        at = _describe_datetime(value.at, seconds=True)
        return (
            f"{at} normal {_raw(value.normal)} reverse {_raw(value.reverse)} {_per(self.quantity)}"
        )


@dataclass(frozen=True, slots=True)
class TimedSingle:
    """dt7 + one reading, 11 bytes (0x028A C3 CA CB E2 E3 E4, 0x0288 EA EB)."""

    quantity: Quantity
    min_size: int = 11
    max_size: int = 11

    def decode(self, edt: bytes) -> TimedReading:
        _expect_size(edt, 11)
        return TimedReading(_decode_datetime(edt[:7], seconds=True), _decode_reading(edt, 7))

    def encode(self, value: Any) -> bytes:
        _need(value, TimedReading, "the value")
        return _encode_datetime(value.at, seconds=True) + _encode_reading(value.value)

    def describe(self, value: Any) -> str:
        at = _describe_datetime(value.at, seconds=True)
        return f"{at} {_raw(value.value)} {_per(self.quantity)}"


@dataclass(frozen=True, slots=True)
class DayHistory:
    """day48: day u16 (0..99 or 0x00FF default) + 48 readings, 194 bytes [MRA 0x028F E7]."""

    quantity: Quantity
    min_size: int = 194
    max_size: int = 194

    def decode(self, edt: bytes) -> HalfHourHistory:
        _expect_size(edt, 194)
        day = int.from_bytes(edt[:2], "big")
        if day > HISTORY_DAY_MAX and day != _DAY_DEFAULT:
            raise ValueError(f"day {day} outside 0..99 (0x00FF = default)")
        slots = tuple(_decode_reading(edt, 2 + 4 * i) for i in range(_SLOTS))
        return HalfHourHistory(None if day == _DAY_DEFAULT else day, slots)

    def encode(self, value: Any) -> bytes:
        _need(value, HalfHourHistory, "the value")
        day = _DAY_DEFAULT if value.day is None else value.day
        _need(day, int, "the day")
        if not 0 <= day <= HISTORY_DAY_MAX and day != _DAY_DEFAULT:
            raise ValueError(f"day {day} outside 0..99")
        if len(value.slots) != _SLOTS:
            raise ValueError(f"{len(value.slots)} slots, expected 48")
        return day.to_bytes(2, "big") + b"".join(_encode_reading(v) for v in value.slots)

    def describe(self, value: Any) -> str:
        day = "default day" if value.day is None else f"day {value.day}"
        slots = " | ".join(
            f"{i // 2:02d}:{30 * (i % 2):02d} {_raw(v)}" for i, v in enumerate(value.slots)
        )
        return f"{day}, raw {_per(self.quantity)}: {slots}"


@dataclass(frozen=True, slots=True)
class Segments:
    """dt6 + count + count * (normal, reverse) [MRA 0x028F ED/EE, 0x0288 EC/EE].

    The count is 1..``max_count`` and the length must match it; an all-0xFF dt6 is the default
    before any Set (``start`` ``None``). ``minute_step`` 30 for the 30-minute 0x0288 EC.
    """

    quantity: Quantity
    max_count: int = 10
    minute_step: int = 1

    @property
    def min_size(self) -> int:
        return 7 + 8

    @property
    def max_size(self) -> int:
        return 7 + 8 * self.max_count

    def decode(self, edt: bytes) -> SegmentHistory:
        if len(edt) < 7:
            raise ValueError(f"{len(edt)} bytes, at least 15 expected")
        start = _decode_dt6_or_default(edt[:6], self.minute_step)
        count = edt[6]
        if not 1 <= count <= self.max_count:
            raise ValueError(f"segment count {count} outside 1..{self.max_count}")
        if len(edt) != 7 + 8 * count:
            raise ValueError(f"{count} segments need {7 + 8 * count} bytes, got {len(edt)}")
        segments = tuple(
            NormalReverse(_decode_reading(edt, at), _decode_reading(edt, at + 4))
            for at in range(7, len(edt), 8)
        )
        return SegmentHistory(start, segments)

    def encode(self, value: Any) -> bytes:
        _need(value, SegmentHistory, "the value")
        if not 1 <= len(value.segments) <= self.max_count:
            raise ValueError(f"{len(value.segments)} segments, expected 1..{self.max_count}")
        head = _encode_dt6_or_default(value.start, self.minute_step) + bytes([value.count])
        body = b"".join(
            _encode_reading(s.normal) + _encode_reading(s.reverse) for s in value.segments
        )
        return head + body

    def describe(self, value: Any) -> str:
        start = "default" if value.start is None else _describe_datetime(value.start, seconds=False)
        segments = " | ".join(f"{_raw(s.normal)}/{_raw(s.reverse)}" for s in value.segments)
        return (
            f"{start}, {value.count} segments normal/reverse raw {_per(self.quantity)}: {segments}"
        )


@dataclass(frozen=True, slots=True)
class Selector:
    """dt6 + count (0x028F EF, 0x0288 ED/EF) [MRA]; the all-0xFF default is read-only."""

    max_count: int = 10
    minute_step: int = 1
    min_size: int = 7
    max_size: int = 7

    def decode(self, edt: bytes) -> HistorySelector:
        _expect_size(edt, 7)
        start = _decode_dt6_or_default(edt[:6], self.minute_step)
        if not 1 <= edt[6] <= self.max_count:
            raise ValueError(f"segment count {edt[6]} outside 1..{self.max_count}")
        return HistorySelector(start, edt[6])

    def encode(self, value: Any) -> bytes:
        _need(value, HistorySelector, "the value")
        _need(value.count, int, "the count")
        if not 1 <= value.count <= self.max_count:
            raise ValueError(f"segment count {value.count} outside 1..{self.max_count}")
        return _encode_dt6_or_default(value.start, self.minute_step) + bytes([value.count])

    def describe(self, value: Any) -> str:
        if value.start is None:
            return f"default (not set), {value.count} segments"
        return f"{_describe_datetime(value.start, seconds=False)}, {value.count} segments"

    def check_set(self, value: Any) -> None:
        if value.start is None:
            raise ValueError("the all-0xFF default date-time is read-only")


def _phase(width: int) -> OrNone:
    """One phase current: signed, 0.1 A steps, max - 1 = no data [MRA number_-214748364.7...]."""
    limit = (1 << (8 * width - 1)) - 1
    no_data = (limit - 1).to_bytes(width, "big")  # 0x7FFFFFFE / 0x7FFE
    return OrNone(Scaled(SInt(width, -limit, limit - 2), Decimal("0.1"), "A"), (no_data,))


_PHASES: Final = {4: _phase(4), 2: _phase(2)}


@dataclass(frozen=True, slots=True)
class Currents:
    """R + T phase currents in 0.1 A, int32 each (0x028F EB) or int16 (0x0288 E8) [MRA].

    T is no data on a single-phase two-wire system.
    """

    width: int = 4

    @property
    def min_size(self) -> int:
        return 2 * self.width

    @property
    def max_size(self) -> int:
        return 2 * self.width

    def decode(self, edt: bytes) -> PhaseCurrents:
        _expect_size(edt, 2 * self.width)
        phase = _PHASES[self.width]
        return PhaseCurrents(phase.decode(edt[: self.width]), phase.decode(edt[self.width :]))

    def encode(self, value: Any) -> bytes:
        _need(value, PhaseCurrents, "the value")
        phase = _PHASES[self.width]
        return phase.encode(value.r) + phase.encode(value.t)

    def describe(self, value: Any) -> str:
        phase = _PHASES[self.width]
        return f"R {phase.describe(value.r)} T {phase.describe(value.t)}"


# --- codecs shared by the meter classes ----------------------------------------------------

#: 0xE5/0xC4/0xCC (0x0288 0xD7) effective digits, 1..8; 8 in Japan [AIF Annex 1(2)].
EFFECTIVE_DIGITS: Final = UInt(1, 1, 8, unit="digits")
#: 0xD3 coefficient, 0..999 999 [MRA number_0-999999].
COEFFICIENT: Final = UInt(4, 0, COEFFICIENT_MAX)
#: 0xD4 multiplying factor for the coefficient [MRA 0x028F].
COEFFICIENT_MULTIPLIER: Final = CodeTable(
    MULTIPLIER_CODES, "coefficient \N{MULTIPLICATION SIGN} {}"
)
#: 0xE0 fixed (meter-reading) day of the month, 1..31 [MRA number_1-31].
FIXED_DATE: Final = UInt(1, 1, 31)
#: 0xE1 (0x0288 0xE5) day for the 30-minute history: 0..99; 0xFF is the read-only default.
HISTORY_DAY: Final = OrNone(UInt(1, 0, HISTORY_DAY_MAX), (b"\xff",), "default (not set)")
#: Instantaneous power, int32 W, 0x7FFFFFFE no data (0x028F EA, 0x0288 E7) [MRA].
INSTANT_POWER: Final = OrNone(
    SInt(4, -2_147_483_647, 2_147_483_645, unit="W"), (NO_DATA_S32.to_bytes(4, "big"),)
)
