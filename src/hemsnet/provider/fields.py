"""Checks of the fields of a message from a home: every value from the internet is hostile.

Each check returns the value in the type the tables take or raises :class:`Refused`, whose
message names the field and what was wrong with it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

__all__ = [
    "BIGINT_MAX",
    "DEFAULT_WINDOW",
    "Refused",
    "TimeWindow",
    "boolean",
    "choice",
    "decimal",
    "hex_bytes",
    "integer",
    "number",
    "text",
    "timestamp",
]

BIGINT_MAX: Final = 2**63 - 1
_TEXT: Final = re.compile(r"[\x21-\x7e]{1,128}")  # printable ASCII, no spaces: keys and names
_DECIMAL: Final = re.compile(r"-?[0-9]{1,18}(\.[0-9]{1,12})?")
_HEX: Final = re.compile(r"(?:[0-9A-Fa-f]{2}){0,255}")  # an EDT: at most 255 bytes [AIF PDC]
_TIME_CHARS: Final = 32


class Refused(ValueError):
    """A field (or a whole message) that is not what the contract says."""


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The measured and event times accepted, around the provider's clock: each month in it may
    get a partition, so a hostile time can never make thousands of them (docs/provider.md P3)."""

    back: timedelta = timedelta(days=400)
    ahead: timedelta = timedelta(days=7)

    def bounds(self, now: datetime) -> tuple[datetime, datetime]:
        return now - self.back, now + self.ahead


DEFAULT_WINDOW: Final = TimeWindow()


def integer(record: Mapping[str, object], name: str, low: int, high: int) -> int:
    value = record.get(name)
    if type(value) is not int:  # bool is an int in Python, and not one here
        raise Refused(f"{name} is not an integer: {_show(value)}")
    if not low <= value <= high:
        raise Refused(f"{name} {value} is out of range {low}..{high}")
    return value


def number(record: Mapping[str, object], name: str, limit: float) -> float:
    value = record.get(name)
    if type(value) not in (int, float):
        raise Refused(f"{name} is not a number: {_show(value)}")
    result = float(value)  # type: ignore[arg-type]  # int or float, checked above
    if not math.isfinite(result) or abs(result) > limit:
        raise Refused(f"{name} {value} is out of range ±{limit:g}")
    return result


def boolean(record: Mapping[str, object], name: str) -> bool:
    value = record.get(name)
    if type(value) is not bool:
        raise Refused(f"{name} is not true or false: {_show(value)}")
    return value


def text(record: Mapping[str, object], name: str) -> str:
    """A key or a name: 1 to 128 printable ASCII characters without spaces."""
    value = record.get(name)
    if type(value) is not str or not _TEXT.fullmatch(value):
        raise Refused(f"{name} is not a key of 1-128 printable characters: {_show(value)}")
    return value


def choice(record: Mapping[str, object], name: str, allowed: frozenset[str]) -> str:
    value = record.get(name)
    if type(value) is not str or value not in allowed:
        raise Refused(f"{name} is not one of {', '.join(sorted(allowed))}: {_show(value)}")
    return value


def decimal(record: Mapping[str, object], name: str) -> str:
    """A decimal number as a string (``"1234.5"``), as the controller stores values exactly."""
    value = record.get(name)
    if type(value) is not str or not _DECIMAL.fullmatch(value):
        raise Refused(f"{name} is not a decimal string: {_show(value)}")
    return value


def hex_bytes(record: Mapping[str, object], name: str) -> bytes:
    value = record.get(name)
    if type(value) is not str or not _HEX.fullmatch(value):
        raise Refused(f"{name} is not hex bytes (at most 255): {_show(value)}")
    return bytes.fromhex(value)


def timestamp(record: Mapping[str, object], name: str, low: datetime, high: datetime) -> datetime:
    """A naive ISO-8601 time (the controller's local time, as stored) within ``low``..``high``."""
    value = record.get(name)
    if type(value) is not str or len(value) > _TIME_CHARS:
        raise Refused(f"{name} is not an ISO-8601 time: {_show(value)}")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise Refused(f"{name} is not an ISO-8601 time: {_show(value)}") from None
    if at.tzinfo is not None:
        raise Refused(f"{name} {value} has a UTC offset; the contract's times are local, naive")
    if not low <= at <= high:
        raise Refused(
            f"{name} {value} is outside the accepted window {low:%Y-%m-%d}..{high:%Y-%m-%d}"
        )
    return at


def _show(value: object) -> str:
    """A hostile value, short enough for one log line."""
    shown = repr(value)
    return shown if len(shown) <= 40 else f"{shown[:37]}..."
