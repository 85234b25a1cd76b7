"""Typed property values: what the codecs decode EDTs into and encode from.

Values are frozen. Readings keep their raw count (``int``) because the frame alone does not
carry the scale (0xE6/0xD3/0xD4, see :mod:`hemsnet.devices.units`); ``None`` means the spec's
"no data" (or, for a selector, the read-only "default" before any Set). Date-times are naive
``datetime`` objects in the meter's local time.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum, IntEnum
from typing import Any, Final, Protocol, runtime_checkable

from hemsnet.echonet.instance_list import ClassList, InstanceList

__all__ = [
    "ConnectionStatus",
    "FaultStatus",
    "HalfHourHistory",
    "HistorySelector",
    "IdentificationNumber",
    "InstallationLocation",
    "NormalReverse",
    "OperatingTime",
    "OperationStatus",
    "PhaseCurrents",
    "ProtocolVersion",
    "RemoteControl",
    "RouteBId",
    "SegmentHistory",
    "StandardVersion",
    "TimeUnit",
    "TimedNormalReverse",
    "TimedReading",
    "YesNo",
    "to_jsonable",
]


@runtime_checkable
class _Jsonable(Protocol):
    """A value whose JSON form adds derived fields to (or replaces) its dataclass fields."""

    def jsonable(self) -> dict[str, Any]: ...


class OperationStatus(IntEnum):
    """0x80 [MRA state_ON-OFF_3031]."""

    ON = 0x30
    OFF = 0x31


class FaultStatus(IntEnum):
    """0x88 [MRA state_YES-NO_4142]: fault occurred / no fault."""

    FAULT = 0x41
    NO_FAULT = 0x42


class YesNo(IntEnum):
    """A 0x41/0x42 flag such as 0x8F power-saving operation [MRA state_YES-NO_4142]."""

    YES = 0x41
    NO = 0x42


class RemoteControl(IntEnum):
    """0x93 remote control setting [MRA 0x0000, Release H and later]."""

    NOT_THROUGH_PUBLIC_NETWORK = 0x41
    THROUGH_PUBLIC_NETWORK = 0x42
    LINE_NORMAL_PUBLIC_NETWORK_BARRED = 0x61
    LINE_NORMAL_PUBLIC_NETWORK_ALLOWED = 0x62


class TimeUnit(IntEnum):
    """Unit byte of 0x9A cumulative operating time [MRA 0x0000]."""

    SECOND = 0x41
    MINUTE = 0x42
    HOUR = 0x43
    DAY = 0x44


class ConnectionStatus(IntEnum):
    """Controller 0xC6 [MRA 0x05FF]."""

    CONNECTED = 0x41
    DISCONNECTED = 0x42
    NOT_REGISTERED = 0x43
    DELETED = 0x44


_LOCATIONS: Final = (
    "living room",
    "dining room",
    "kitchen",
    "bathroom",
    "lavatory",
    "washroom/changing room",
    "passageway",
    "room",
    "stairway",
    "front door",
    "storeroom",
    "garden/perimeter",
    "garage",
    "veranda/balcony",
    "others",
)
_POSITION_CODE: Final = 0x01
_FREE_DEFINITION: Final = 0x80
_NOT_FIXED: Final = 0xFF


@dataclass(frozen=True, slots=True)
class InstallationLocation:
    """0x81: a 1-byte location code, or 0x01 followed by 16 bytes of position [MRA 0x0000].

    ``code`` 0x00 is "not set", 0x08..0x7F a room kind (bits 6-3) and number (bits 2-0),
    0x80..0xFE free definition, 0xFF "not fixed"; 0x01 carries ``position`` (16 bytes).
    """

    code: int
    position: bytes = b""

    @property
    def room(self) -> str | None:
        """The room kind of a code 0x08..0x7F, e.g. ``"living room"``."""
        if 0x08 <= self.code < _FREE_DEFINITION:
            return _LOCATIONS[(self.code >> 3) - 1]
        return None

    @property
    def number(self) -> int | None:
        """The free location number 0..7 of a code 0x08..0x7F."""
        return self.code & 0x07 if self.room is not None else None

    def jsonable(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "position": self.position.hex() if self.code == _POSITION_CODE else None,
            "room": self.room,
            "number": self.number,
        }

    def __str__(self) -> str:
        if self.code == 0x00:
            return "not set"
        if self.code == _POSITION_CODE:
            return f"position information {self.position.hex(' ').upper()}"
        if self.code == _NOT_FIXED:
            return "not fixed"
        if self.code >= _FREE_DEFINITION:
            return f"free definition 0x{self.code:02X}"
        return f"{self.room} #{self.number}"


@dataclass(frozen=True, slots=True)
class StandardVersion:
    """0x82 of a device object: the Appendix release letter and its revision byte [MRA 0x0000].

    ``release`` is the upper-case letter people use ("A".."Z"); on the wire release A is the
    lower-case ``0x61`` and later releases are upper case.
    """

    release: str
    revision: int = 0

    def __str__(self) -> str:
        suffix = f" revision {self.revision}" if self.revision else ""
        return f"Release {self.release}{suffix}"


@dataclass(frozen=True, slots=True)
class ProtocolVersion:
    """Node profile 0x82: ECHONET Lite major.minor and the message formats [MRA 0x0EF0].

    ``formats`` is byte 3 (bit 0 specified format 1, bit 1 arbitrary format 2); ``reserved``
    is byte 4, 0x00 in the spec.
    """

    major: int
    minor: int
    formats: int = 0x01
    reserved: int = 0x00

    def __str__(self) -> str:
        kinds = [f"format {bit + 1}" for bit in range(2) if self.formats >> bit & 1]
        return f"ECHONET Lite {self.major}.{self.minor}, {' and '.join(kinds) or 'no format'}"


@dataclass(frozen=True, slots=True)
class IdentificationNumber:
    """0x83: 17 bytes, 0xFE + manufacturer code (3) + 13 unique bytes [MRA 0x0EF0]."""

    raw: bytes

    @property
    def manufacturer_code(self) -> int | None:
        """Bytes 2-4 when byte 1 is 0xFE (maker-defined layout), else ``None``."""
        return int.from_bytes(self.raw[1:4], "big") if self.raw[0] == 0xFE else None

    def jsonable(self) -> dict[str, Any]:
        return {"raw": self.raw.hex(), "manufacturer_code": self.manufacturer_code}

    def __str__(self) -> str:
        code = self.manufacturer_code
        if code is None:
            return f"type 0x{self.raw[0]:02X} {self.raw[1:].hex(' ').upper()}"
        return f"manufacturer 0x{code:06X} unique {self.raw[4:].hex(' ').upper()}"


@dataclass(frozen=True, slots=True)
class RouteBId:
    """0xC0 Route B identification number, 16 bytes [AIF Annex 1(1), MRA 0x028F].

    Japan layout: byte 1 = 0x00, bytes 2-4 the manufacturer code, bytes 5-16 a free area for
    the Route B authentication ID. Another first byte is a valid ID that is simply not in the
    Japan layout: the manufacturer code and free area are then ``None``.
    """

    raw: bytes

    @property
    def japan_layout(self) -> bool:
        return self.raw[0] == 0x00

    @property
    def manufacturer_code(self) -> int | None:
        return int.from_bytes(self.raw[1:4], "big") if self.japan_layout else None

    @property
    def free_area(self) -> bytes | None:
        return self.raw[4:] if self.japan_layout else None

    def jsonable(self) -> dict[str, Any]:
        free = self.free_area
        return {
            "raw": self.raw.hex(),
            "japan_layout": self.japan_layout,
            "manufacturer_code": self.manufacturer_code,
            "free_area": None if free is None else free.hex(),
        }


@dataclass(frozen=True, slots=True)
class OperatingTime:
    """0x9A cumulative operating time: a unit and a count [MRA 0x0000]."""

    unit: TimeUnit
    count: int

    @property
    def duration(self) -> timedelta:
        seconds = {TimeUnit.SECOND: 1, TimeUnit.MINUTE: 60, TimeUnit.HOUR: 3600}
        return timedelta(seconds=self.count * seconds.get(self.unit, 86400))


@dataclass(frozen=True, slots=True)
class NormalReverse:
    """A normal-direction and a reverse-direction raw reading (C1, C2; a history segment)."""

    normal: int | None
    reverse: int | None


@dataclass(frozen=True, slots=True)
class TimedNormalReverse:
    """dt7 + normal + reverse (C3 CA CB D0 D1 D5 D6 E2 E3 E4 of 0x028F; 0x0288 D0)."""

    at: datetime
    normal: int | None
    reverse: int | None


@dataclass(frozen=True, slots=True)
class TimedReading:
    """dt7 + one reading (C3 CA CB E2 E3 E4 of 0x028A; EA EB of 0x0288)."""

    at: datetime
    value: int | None


@dataclass(frozen=True, slots=True)
class HalfHourHistory:
    """A day48 EDT: the day (0 = today .. 99; ``None`` = default 0x00FF) and 48 readings.

    ``slots[i]`` is the reading at 00:00 + 30 min * i; a void slot is ``None`` [AIF 3.3.3].
    """

    day: int | None
    slots: tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class SegmentHistory:
    """dt6 + count + count * (normal, reverse): 0x028F ED/EE, 0x0288 EC/EE.

    ``start`` is the date-time the selector named (``None``: the all-0xFF default);
    ``segments[0]`` is that time, each later segment one interval earlier (reference §8.5,
    unconfirmed order).
    """

    start: datetime | None
    segments: tuple[NormalReverse, ...]

    @property
    def count(self) -> int:
        return len(self.segments)


@dataclass(frozen=True, slots=True)
class HistorySelector:
    """dt6 + count: 0x028F EF, 0x0288 ED/EF. ``start`` ``None`` is the read-only default."""

    start: datetime | None
    count: int


@dataclass(frozen=True, slots=True)
class PhaseCurrents:
    """R and T phase currents in amperes (0x028F EB, 0x0288 E8); T is ``None`` on 1φ2W."""

    r: Decimal | None
    t: Decimal | None


def to_jsonable(value: Any) -> Any:
    """A JSON-friendly form of a decoded value (for ``hemsnet decode --json``).

    Enums become their names, ``Decimal`` a string, date-times ISO 8601, bytes hex, EPC sets
    sorted ``"0x80"`` strings, EOJs ``"028F01"``; dataclasses become dicts of their fields.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, frozenset | set):
        return [f"0x{epc:02X}" for epc in sorted(value)]
    if isinstance(value, InstanceList):
        return {"total": value.total, "instances": [str(eoj) for eoj in value.instances]}
    if isinstance(value, ClassList):
        return {"total": value.total, "classes": [f"0x{c:04X}" for c in value.class_ids]}
    if isinstance(value, _Jsonable):
        return value.jsonable()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [to_jsonable(item) for item in value]
    raise TypeError(f"no JSON form for {type(value).__name__}")
