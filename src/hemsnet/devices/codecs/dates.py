"""Date and time EDT codecs: dt7 and dt6 date-times, dates, times [MRA definitions.json].

Date-times are naive ``datetime`` objects in the meter's local time, checked by the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from hemsnet.devices.codecs._common import expect_size, need
from hemsnet.devices.model import SizedCodec

__all__ = ["DateCodec", "DateTimeCodec", "TimeCodec"]


def _decode_datetime(edt: bytes, *, seconds: bool) -> datetime:
    year = int.from_bytes(edt[0:2], "big")
    month, day, hour, minute = edt[2], edt[3], edt[4], edt[5]
    second = edt[6] if seconds else 0
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        text = f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}"
        raise ValueError(f"invalid date-time {text}{f':{second:02d}' if seconds else ''}") from None


def _encode_datetime(value: datetime, *, seconds: bool) -> bytes:
    need(value, datetime, "the date-time")
    if value.tzinfo is not None:
        raise ValueError("date-times are naive (meter local time)")
    if value.microsecond or (not seconds and value.second):
        raise ValueError(f"{value} is finer than the {'second' if seconds else 'minute'}")
    head = value.year.to_bytes(2, "big") + bytes([value.month, value.day, value.hour, value.minute])
    return head + bytes([value.second]) if seconds else head


def _describe_datetime(value: datetime, *, seconds: bool) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


@dataclass(frozen=True, slots=True)
class DateTimeCodec(SizedCodec[datetime]):
    """dt7 (YYYY MM DD hh mm ss) or, without ``seconds``, dt6 [MRA date-time, date-time_6]."""

    seconds: bool = True

    @property
    def min_size(self) -> int:
        return 7 if self.seconds else 6

    @property
    def max_size(self) -> int:
        return self.min_size

    def decode(self, edt: bytes) -> datetime:
        expect_size(edt, self.min_size)
        return _decode_datetime(edt, seconds=self.seconds)

    def encode(self, value: datetime) -> bytes:
        return _encode_datetime(value, seconds=self.seconds)

    def describe(self, value: datetime) -> str:
        return _describe_datetime(value, seconds=self.seconds)


@dataclass(frozen=True, slots=True)
class DateCodec(SizedCodec[date]):
    """YYYY MM DD (0x98, 0x8E) [MRA date]."""

    min_size: int = 4
    max_size: int = 4

    def decode(self, edt: bytes) -> date:
        expect_size(edt, 4)
        year, month, day = int.from_bytes(edt[0:2], "big"), edt[2], edt[3]
        try:
            return date(year, month, day)
        except ValueError:
            raise ValueError(f"invalid date {year:04d}-{month:02d}-{day:02d}") from None

    def encode(self, value: date) -> bytes:
        if isinstance(value, datetime):
            raise ValueError("a date, not a date-time")
        need(value, date, "the date")
        return value.year.to_bytes(2, "big") + bytes([value.month, value.day])

    def describe(self, value: date) -> str:
        return value.isoformat()


@dataclass(frozen=True, slots=True)
class TimeCodec(SizedCodec[time]):
    """hh mm (0x97 current time) [MRA time_2]."""

    min_size: int = 2
    max_size: int = 2

    def decode(self, edt: bytes) -> time:
        expect_size(edt, 2)
        hour, minute = edt
        if hour > 23 or minute > 59:
            raise ValueError(f"invalid time {hour:02d}:{minute:02d}")
        return time(hour, minute)

    def encode(self, value: time) -> bytes:
        need(value, time, "the time")
        if value.second or value.microsecond or value.tzinfo is not None:
            raise ValueError(f"{value} is not a naive hh:mm")
        return bytes([value.hour, value.minute])

    def describe(self, value: time) -> str:
        return value.strftime("%H:%M")
