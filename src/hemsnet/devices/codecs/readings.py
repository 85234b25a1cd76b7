"""EDT codecs of meter readings: single and paired readings, timed readings, the day48 and
segment histories, their selectors, phase currents, and the codecs the meter classes share.

Formats: [MRA 0x028F, 0x028A, 0x0288]; the "no data" codes follow [AIF 2.3 *2/*3, 3.3.3] and
reference §8.6: 0xFFFFFFFF and 0xFFFFFFFE both decode to ``None``, ``None`` encodes to
0xFFFFFFFF; 0x7FFFFFFE (0x7FFE for int16) is "no data" for signed readings. A reading's value
is its raw count: the frame alone does not carry the scale (0xE6/0xD3/0xD4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from hemsnet.devices.codecs._common import expect_size, need
from hemsnet.devices.codecs.dates import DateTimeCodec
from hemsnet.devices.codecs.primitives import CodeTable, OrNone, Scaled, SInt, UInt
from hemsnet.devices.model import Quantity, SizedCodec
from hemsnet.devices.units import COEFFICIENT_MAX, MULTIPLIER_CODES, scale_label
from hemsnet.devices.values import (
    HalfHourHistory,
    HistorySelector,
    NormalReverse,
    PhaseCurrents,
    SegmentHistory,
    TimedNormalReverse,
    TimedReading,
)

__all__ = [
    "COEFFICIENT_CODEC",
    "COEFFICIENT_MULTIPLIER_CODEC",
    "EFFECTIVE_DIGITS_CODEC",
    "FIXED_DATE_CODEC",
    "HISTORY_DAY_CODEC",
    "HISTORY_DAY_MAX",
    "INSTANT_POWER_CODEC",
    "NO_DATA_S32",
    "NO_DATA_U32",
    "READING_MAX",
    "Currents",
    "DayHistory",
    "ReadingPair",
    "Segments",
    "Selector",
    "SingleReading",
    "TimedPair",
    "TimedSingle",
]

READING_MAX: Final = 99_999_999
NO_DATA_U32: Final = 0xFFFFFFFF  # what we emit [AIF 2.3 *2, 3.3.3]
_NOT_MEASURED_U32: Final = 0xFFFFFFFE  # [MRA state_NoData_FFFFFFFE], accepted
NO_DATA_S32: Final = 0x7FFFFFFE  # [MRA state_NoData_7FFFFFFE]
_DAY_DEFAULT: Final = 0x00FF  # [MRA state_DefaultValue_00FF]
HISTORY_DAY_MAX: Final = 99  # 0xE1 and the day48 day field [MRA 0x028F]
_SLOTS: Final = 48
_DT7: Final = DateTimeCodec(seconds=True)
_DT6: Final = DateTimeCodec(seconds=False)
_DT6_DEFAULT: Final = b"\xff" * 6  # EF/ED before any Set (reference §8.5)


def _decode_dt6_or_default(edt: bytes, minute_step: int) -> datetime | None:
    if edt == _DT6_DEFAULT:
        return None
    at = _DT6.decode(edt)
    if at.minute % minute_step:
        raise ValueError(f"minute {at.minute} is not a multiple of {minute_step}")
    return at


def _encode_dt6_or_default(value: datetime | None, minute_step: int) -> bytes:
    if value is None:
        return _DT6_DEFAULT
    edt = _DT6.encode(value)
    if value.minute % minute_step:
        raise ValueError(f"minute {value.minute} is not a multiple of {minute_step}")
    return edt


def _decode_reading(edt: bytes, at: int) -> int | None:
    raw = int.from_bytes(edt[at : at + 4], "big")
    if raw <= READING_MAX:
        return raw
    if raw in (NO_DATA_U32, _NOT_MEASURED_U32):
        return None
    raise ValueError(f"reading 0x{raw:08X} at byte {at + 1} is above 99,999,999 and not no-data")


def _encode_reading(value: int | None) -> bytes:
    if value is None:
        return NO_DATA_U32.to_bytes(4, "big")
    need(value, int, "a reading")
    if not 0 <= value <= READING_MAX:
        raise ValueError(f"reading {value} outside 0..{READING_MAX}")
    return int(value).to_bytes(4, "big")


def _per(quantity: Quantity) -> str:
    """The scale suffix of a raw reading's description, "(times E6·D3·D4 kWh)"."""
    return f"(\N{MULTIPLICATION SIGN} {scale_label(quantity)})"


def _raw(value: int | None) -> str:
    return "no data" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class SingleReading(SizedCodec[int | None]):
    """One u32 reading, 0..99 999 999 or no data [MRA number_0-99999999*]."""

    quantity: Quantity
    min_size: int = 4
    max_size: int = 4

    def decode(self, edt: bytes) -> int | None:
        expect_size(edt, 4)
        return _decode_reading(edt, 0)

    def encode(self, value: int | None) -> bytes:
        return _encode_reading(value)

    def describe(self, value: int | None) -> str:
        return "no data" if value is None else f"raw {value} {_per(self.quantity)}"


@dataclass(frozen=True, slots=True)
class ReadingPair(SizedCodec[NormalReverse]):
    """Normal + reverse u32 readings, 8 bytes (0x028F C1, C2)."""

    quantity: Quantity
    min_size: int = 8
    max_size: int = 8

    def decode(self, edt: bytes) -> NormalReverse:
        expect_size(edt, 8)
        return NormalReverse(_decode_reading(edt, 0), _decode_reading(edt, 4))

    def encode(self, value: NormalReverse) -> bytes:
        need(value, NormalReverse, "the value")
        return _encode_reading(value.normal) + _encode_reading(value.reverse)

    def describe(self, value: NormalReverse) -> str:
        return f"normal {_raw(value.normal)} reverse {_raw(value.reverse)} {_per(self.quantity)}"


@dataclass(frozen=True, slots=True)
class TimedPair(SizedCodec[TimedNormalReverse]):
    """dt7 + normal + reverse, 15 bytes (0x028F C3 CA CB D0 D1 D5 D6 E2 E3 E4, 0x0288 D0)."""

    quantity: Quantity
    min_size: int = 15
    max_size: int = 15

    def decode(self, edt: bytes) -> TimedNormalReverse:
        expect_size(edt, 15)
        at = _DT7.decode(edt[:7])
        return TimedNormalReverse(at, _decode_reading(edt, 7), _decode_reading(edt, 11))

    def encode(self, value: TimedNormalReverse) -> bytes:
        need(value, TimedNormalReverse, "the value")
        at = _DT7.encode(value.at)
        return at + _encode_reading(value.normal) + _encode_reading(value.reverse)

    def describe(self, value: TimedNormalReverse) -> str:
        at = _DT7.describe(value.at)
        return (
            f"{at} normal {_raw(value.normal)} reverse {_raw(value.reverse)} {_per(self.quantity)}"
        )


@dataclass(frozen=True, slots=True)
class TimedSingle(SizedCodec[TimedReading]):
    """dt7 + one reading, 11 bytes (0x028A C3 CA CB E2 E3 E4, 0x0288 EA EB)."""

    quantity: Quantity
    min_size: int = 11
    max_size: int = 11

    def decode(self, edt: bytes) -> TimedReading:
        expect_size(edt, 11)
        return TimedReading(_DT7.decode(edt[:7]), _decode_reading(edt, 7))

    def encode(self, value: TimedReading) -> bytes:
        need(value, TimedReading, "the value")
        return _DT7.encode(value.at) + _encode_reading(value.value)

    def describe(self, value: TimedReading) -> str:
        at = _DT7.describe(value.at)
        return f"{at} {_raw(value.value)} {_per(self.quantity)}"


@dataclass(frozen=True, slots=True)
class DayHistory(SizedCodec[HalfHourHistory]):
    """day48: day u16 (0..99 or 0x00FF default) + 48 readings, 194 bytes [MRA 0x028F E7]."""

    quantity: Quantity
    min_size: int = 194
    max_size: int = 194

    def decode(self, edt: bytes) -> HalfHourHistory:
        expect_size(edt, 194)
        day = int.from_bytes(edt[:2], "big")
        if day > HISTORY_DAY_MAX and day != _DAY_DEFAULT:
            raise ValueError(f"day {day} outside 0..99 (0x00FF = default)")
        slots = tuple(_decode_reading(edt, 2 + 4 * i) for i in range(_SLOTS))
        return HalfHourHistory(None if day == _DAY_DEFAULT else day, slots)

    def encode(self, value: HalfHourHistory) -> bytes:
        need(value, HalfHourHistory, "the value")
        day = _DAY_DEFAULT if value.day is None else value.day
        need(day, int, "the day")
        if not 0 <= day <= HISTORY_DAY_MAX and day != _DAY_DEFAULT:
            raise ValueError(f"day {day} outside 0..99")
        if len(value.slots) != _SLOTS:
            raise ValueError(f"{len(value.slots)} slots, expected 48")
        return day.to_bytes(2, "big") + b"".join(_encode_reading(v) for v in value.slots)

    def describe(self, value: HalfHourHistory) -> str:
        day = "default day" if value.day is None else f"day {value.day}"
        slots = " | ".join(
            f"{i // 2:02d}:{30 * (i % 2):02d} {_raw(v)}" for i, v in enumerate(value.slots)
        )
        return f"{day}, raw {_per(self.quantity)}: {slots}"


@dataclass(frozen=True, slots=True)
class Segments(SizedCodec[SegmentHistory]):
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

    def encode(self, value: SegmentHistory) -> bytes:
        need(value, SegmentHistory, "the value")
        if not 1 <= len(value.segments) <= self.max_count:
            raise ValueError(f"{len(value.segments)} segments, expected 1..{self.max_count}")
        head = _encode_dt6_or_default(value.start, self.minute_step) + bytes([value.count])
        body = b"".join(
            _encode_reading(s.normal) + _encode_reading(s.reverse) for s in value.segments
        )
        return head + body

    def describe(self, value: SegmentHistory) -> str:
        start = "default" if value.start is None else _DT6.describe(value.start)
        segments = " | ".join(f"{_raw(s.normal)}/{_raw(s.reverse)}" for s in value.segments)
        return (
            f"{start}, {value.count} segments normal/reverse raw {_per(self.quantity)}: {segments}"
        )


@dataclass(frozen=True, slots=True)
class Selector(SizedCodec[HistorySelector]):
    """dt6 + count (0x028F EF, 0x0288 ED/EF) [MRA]; the all-0xFF default is read-only."""

    max_count: int = 10
    minute_step: int = 1
    min_size: int = 7
    max_size: int = 7

    def decode(self, edt: bytes) -> HistorySelector:
        expect_size(edt, 7)
        start = _decode_dt6_or_default(edt[:6], self.minute_step)
        if not 1 <= edt[6] <= self.max_count:
            raise ValueError(f"segment count {edt[6]} outside 1..{self.max_count}")
        return HistorySelector(start, edt[6])

    def encode(self, value: HistorySelector) -> bytes:
        need(value, HistorySelector, "the value")
        need(value.count, int, "the count")
        if not 1 <= value.count <= self.max_count:
            raise ValueError(f"segment count {value.count} outside 1..{self.max_count}")
        return _encode_dt6_or_default(value.start, self.minute_step) + bytes([value.count])

    def describe(self, value: HistorySelector) -> str:
        if value.start is None:
            return f"default (not set), {value.count} segments"
        return f"{_DT6.describe(value.start)}, {value.count} segments"

    def check_set(self, value: HistorySelector) -> None:
        if value.start is None:
            raise ValueError("the all-0xFF default date-time is read-only")


def _phase(width: int) -> OrNone[Decimal]:
    """One phase current: signed, 0.1 A steps, max - 1 = no data [MRA number_-214748364.7...]."""
    limit = (1 << (8 * width - 1)) - 1
    no_data = (limit - 1).to_bytes(width, "big")  # 0x7FFFFFFE / 0x7FFE
    return OrNone(Scaled(SInt(width, -limit, limit - 2), Decimal("0.1"), "A"), (no_data,))


_PHASES: Final = {4: _phase(4), 2: _phase(2)}


@dataclass(frozen=True, slots=True)
class Currents(SizedCodec[PhaseCurrents]):
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
        expect_size(edt, 2 * self.width)
        phase = _PHASES[self.width]
        return PhaseCurrents(phase.decode(edt[: self.width]), phase.decode(edt[self.width :]))

    def encode(self, value: PhaseCurrents) -> bytes:
        need(value, PhaseCurrents, "the value")
        phase = _PHASES[self.width]
        return phase.encode(value.r) + phase.encode(value.t)

    def describe(self, value: PhaseCurrents) -> str:
        phase = _PHASES[self.width]
        return f"R {phase.describe(value.r)} T {phase.describe(value.t)}"


# --- codecs shared by the meter classes ----------------------------------------------------

#: 0xE5/0xC4/0xCC (0x0288 0xD7) effective digits, 1..8; 8 in Japan [AIF Annex 1(2)].
EFFECTIVE_DIGITS_CODEC: Final = UInt(1, 1, 8, unit="digits")
#: 0xD3 coefficient, 0..999 999 [MRA number_0-999999].
COEFFICIENT_CODEC: Final = UInt(4, 0, COEFFICIENT_MAX)
#: 0xD4 multiplying factor for the coefficient [MRA 0x028F].
COEFFICIENT_MULTIPLIER_CODEC: Final = CodeTable(
    MULTIPLIER_CODES, "coefficient \N{MULTIPLICATION SIGN} {}"
)
#: 0xE0 fixed (meter-reading) day of the month, 1..31 [MRA number_1-31].
FIXED_DATE_CODEC: Final = UInt(1, 1, 31)
#: 0xE1 (0x0288 0xE5) day for the 30-minute history: 0..99; 0xFF is the read-only default.
HISTORY_DAY_CODEC: Final = OrNone(UInt(1, 0, HISTORY_DAY_MAX), (b"\xff",), "default (not set)")
#: Instantaneous power, int32 W, 0x7FFFFFFE no data (0x028F EA, 0x0288 E7) [MRA].
INSTANT_POWER_CODEC: Final = OrNone(
    SInt(4, -2_147_483_647, 2_147_483_645, unit="W"), (NO_DATA_S32.to_bytes(4, "big"),)
)
