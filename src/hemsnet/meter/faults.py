"""A fault plan: how the emulated meter misbehaves, to test how controllers cope.

From a TOML file (``hemsnet meter --faults plan.toml``)::

    [drop]
    requests = 0.2        # probability a request is dropped unprocessed
    responses = 0.1       # probability a response is processed but not sent
    [delay]
    min = 0.5             # seconds of meter time, uniform in [min, max]
    max = 2.0
    [inject]
    partial_opc = 0.05    # probability a multi-property answer keeps only a prefix
    duplicate_inf = 0.5   # probability a scheduled INF is preceded by a copy with other values
    [[silent]]            # the meter neither answers nor notifies
    start = 2026-11-21T10:00:00
    end = 2026-11-21T10:30:00
    [[fault]]             # fault status 0x88 = 0x41 [AIF 3.4.1]
    start = 2026-11-21T12:00:00
    minutes = 45

or from command-line flags, whose windows :func:`parse_window` reads. Meter time is local and
naive, like the AIF's date-time fields: a date-time with a UTC offset is refused. The plan only
says what to do; the engine draws the random numbers from its own seeded generator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final

from hemsnet.errors import ConfigError
from hemsnet.tomlconfig import TomlTable, read_toml

__all__ = [
    "MAX_DELAY_S",
    "FaultPlan",
    "Window",
    "load_fault_plan",
    "parse_fault_plan",
    "parse_window",
    "window_of",
]

#: Longest response delay: past a controller's 40 s response-wait timer 1 [AIF Table 2-5], so
#: that a delay can provoke a timeout, yet still a delay rather than an outage.
MAX_DELAY_S: Final = 60.0

_PROBABILITIES: Final = ("drop_requests", "drop_responses", "partial_opc", "duplicate_inf")
_WINDOW_KEYS: Final = ("start", "end", "minutes")
_EXAMPLE: Final = "e.g. 2026-11-21T12:00/2026-11-21T12:45 or 2026-11-21T12:00+45"


@dataclass(frozen=True, slots=True)
class Window:
    """A span of meter time, ``[start, end)``; both ends naive, ``end`` after ``start``."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name, at in (("start", self.start), ("end", self.end)):
            if at.tzinfo is not None:
                raise ConfigError(
                    f"{name} {at.isoformat()} has a UTC offset; meter time is local (naive)"
                )
        if self.end <= self.start:
            raise ConfigError(
                f"end {self.end.isoformat()} is not after start {self.start.isoformat()}"
            )

    def contains(self, at: datetime) -> bool:
        """Whether meter time ``at`` falls in the window (the end itself does not)."""
        return self.start <= at < self.end


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """What goes wrong, and when; the default plan is a well-behaved meter."""

    drop_requests: float = 0.0  # probability a request is dropped unprocessed
    drop_responses: float = 0.0  # probability a response is processed but not sent
    delay_min: float = 0.0  # seconds (meter time) a response is delayed, uniform in [min, max]
    delay_max: float = 0.0
    partial_opc: float = 0.0  # probability a multi-property answer keeps only a prefix
    duplicate_inf: float = (
        0.0  # probability a scheduled INF is preceded by a copy with other values
    )
    silent: tuple[Window, ...] = ()  # the meter neither answers nor notifies
    faults: tuple[Window, ...] = ()  # fault status 0x88 = 0x41 [AIF 3.4.1]

    def __post_init__(self) -> None:
        # Checked here too because the command line builds plans from flags.
        for name in _PROBABILITIES:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name}: {value} is not a probability (expected 0..1)")
        if not 0.0 <= self.delay_min <= self.delay_max <= MAX_DELAY_S:
            raise ConfigError(
                f"delay: {self.delay_min}..{self.delay_max} s is not a range within "
                f"0..{MAX_DELAY_S:g} s"
            )

    @property
    def alters_answers(self) -> bool:
        """Whether a request may go unanswered, or be answered late or in part.

        Silence and fault windows are not counted: they depend on the time, not on a draw.
        """
        return bool(self.drop_requests or self.drop_responses or self.partial_opc or self.delay_max)


def _iso(text: str) -> datetime:
    """An ISO date-time (a bare date is its midnight); ConfigError without location."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"{text.strip()!r} is not an ISO date-time") from None


def _after(start: datetime, minutes: int) -> datetime:
    try:
        return start + timedelta(minutes=minutes)
    except OverflowError:
        raise ConfigError(f"{minutes} minutes after {start.isoformat()} is out of range") from None


def parse_window(text: str) -> Window:
    """A window typed as ``START/END`` or ``START+MINUTES`` (ISO date-times, meter time).

    ``+N`` at the end is always minutes, never a UTC offset (offsets are refused anyway).
    """
    try:
        if "/" in text:
            first, _, second = text.partition("/")
            return Window(_iso(first), _iso(second))
        first, plus, count = text.rpartition("+")
        if plus and count.strip().isdecimal():
            minutes = int(count)
            if minutes < 1:
                raise ConfigError(f"{minutes} minutes: a window lasts at least 1 minute")
            start = _iso(first)
            return Window(start, _after(start, minutes))
    except ConfigError as exc:
        raise ConfigError(f"window {text!r}: {exc}") from None
    raise ConfigError(f"window {text!r}: expected START/END or START+MINUTES, {_EXAMPLE}")


def _date_time(table: TomlTable, key: str) -> datetime | None:
    """A TOML local date-time, local date (its midnight) or ISO string; None when absent."""
    value = table.raw(key, (datetime, date, str), "a local date-time")
    if isinstance(value, str):
        try:
            return _iso(value)
        except ConfigError as exc:
            raise table.error(key, str(exc)) from None
    if isinstance(value, datetime) or value is None:
        return value
    return datetime.combine(value, time())


def window_of(table: TomlTable) -> Window:
    """The window a table with ``start`` and ``end`` or ``minutes`` gives."""
    start = _date_time(table, "start")
    if start is None:
        raise table.error("start", "missing: a window needs a start")
    end = _date_time(table, "end")
    minutes = table.integer("minutes", 0, 1)  # 0: absent, as a given value must be >= 1
    if (end is None) == (minutes == 0):
        raise table.error(None, "give either end or minutes")
    try:
        return Window(start, end if end is not None else _after(start, minutes))
    except ConfigError as exc:
        raise table.error(None, str(exc)) from None


def parse_fault_plan(data: Mapping[str, Any], source: str = "fault plan") -> FaultPlan:
    """The plan a parsed fault-plan TOML describes; ConfigError names ``source`` and the key."""
    root = TomlTable(data, source, "", ("drop", "delay", "inject", "silent", "fault"))
    drop = root.table("drop", ("requests", "responses"))
    delay = root.table("delay", ("min", "max"))
    inject = root.table("inject", ("partial_opc", "duplicate_inf"))
    delay_min = delay.number("min", 0.0, 0.0, MAX_DELAY_S)
    delay_max = delay.number("max", delay_min, 0.0, MAX_DELAY_S)  # min alone: a fixed delay
    if delay_max < delay_min:
        raise delay.error("max", f"{delay_max:g} s is less than delay.min ({delay_min:g} s)")
    return FaultPlan(
        drop_requests=drop.number("requests", 0.0, 0.0, 1.0),
        drop_responses=drop.number("responses", 0.0, 0.0, 1.0),
        delay_min=delay_min,
        delay_max=delay_max,
        partial_opc=inject.number("partial_opc", 0.0, 0.0, 1.0),
        duplicate_inf=inject.number("duplicate_inf", 0.0, 0.0, 1.0),
        silent=tuple(window_of(table) for table in root.tables("silent", _WINDOW_KEYS)),
        faults=tuple(window_of(table) for table in root.tables("fault", _WINDOW_KEYS)),
    )


def load_fault_plan(path: Path) -> FaultPlan:
    """The plan in the TOML file ``path``; ConfigError names the file on any error."""
    return parse_fault_plan(read_toml(path), str(path))
