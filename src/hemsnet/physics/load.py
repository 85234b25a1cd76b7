"""A seeded load model of a high-voltage customer, with optional on-site PV.

Each minute is a pure function of (settings, seed, minute index): no stepping state, so any
minute costs O(1); per-day values are only memoised. Randomness is splitmix64 of (seed, stream,
day/knot/minute number), never a clock or :mod:`random`.

load = peak * shape * (1 + noise * deviation), never below ``_FLOOR_FRACTION`` * peak:

* shape: per-profile daily curves (``_SHAPES``, piecewise linear in hours, fractions of the
  peak) for working days (Mon-Fri), rest days (Sat/Sun) and school term breaks
  (``_SCHOOL_BREAKS``), plus a cooling and a heating curve weighted by cos² bumps of the day of
  year centred on ``_COOLING_PEAK_DAY`` and ``_HEATING_PEAK_DAY`` (half-widths
  ``_COOLING_HALF_WIDTH``, ``_HEATING_HALF_WIDTH``; they never overlap). Each profile is scaled
  so that the highest minute of its year is exactly 1.
* deviation in [-1, 1): half smooth value noise (knots every ``_NOISE_KNOT_MINUTES``,
  smoothstep), a quarter per-minute jitter, a quarter per-day level; noise 0 is the bare shape.

pv: a :class:`~hemsnet.physics.sun.PvSystem` of ``pv_kw``, the sun and the weather of the
same seed; the weather does not depend on ``noise``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from functools import cache
from typing import Final

from hemsnet.physics.draws import MASK, mix, uniform
from hemsnet.physics.noise import ValueNoise
from hemsnet.physics.sun import PvSystem
from hemsnet.physics.timeline import MINUTES_PER_DAY, minute_index, minute_start, weekday

__all__ = ["SURGE_FACTOR_MAX", "LoadModel", "LoadSettings", "MinutePower", "Profile", "Surge"]

SURGE_FACTOR_MAX: Final = 10.0


class Profile(Enum):
    """The kind of customer, which shapes the day and the week."""

    FACTORY = "factory"
    OFFICE = "office"
    SCHOOL = "school"
    HOUSEHOLD = "household"  # a home on a low-voltage (100/200 V) meter


@dataclass(frozen=True, slots=True)
class Surge:
    """The load times ``factor`` during ``[start, end)`` of meter time: a scheduled change of
    load (a furnace, a chiller plant starting) for demos and for testing demand alarms."""

    start: datetime
    end: datetime
    factor: float

    def minutes(self) -> range:
        return range(minute_index(self.start), minute_index(self.end - _SECOND) + 1)


@dataclass(frozen=True, slots=True)
class LoadSettings:
    """What the ``[load]`` table of a meter configuration sets."""

    profile: Profile = Profile.OFFICE
    peak_kw: float = 300.0
    noise: float = 0.05
    pv_kw: float = 0.0
    power_factor: float = 0.9
    pv_power_factor: float = 0.95
    voltage_v: float = 6600.0
    surges: tuple[Surge, ...] = ()


@dataclass(frozen=True, slots=True)
class MinutePower:
    """The average powers during one minute, in watts."""

    load_w: int
    pv_w: int

    @property
    def net_w(self) -> int:
        """Power drawn from the grid; negative when PV feeds power back (reverse flow)."""
        return self.load_w - self.pv_w


_SECOND: Final = timedelta(seconds=1)
_FLOOR_FRACTION: Final = 0.02  # standby that never switches off (lighting, servers, pumps)
_NOISE_KNOT_MINUTES: Final = 15
_COOLING_PEAK_DAY: Final = 217  # day of year: early August
_COOLING_HALF_WIDTH: Final = 80.0  # days: mid May .. late October, strongest Jul-Sep
_HEATING_PEAK_DAY: Final = 25  # late January
_HEATING_HALF_WIDTH: Final = 75.0  # mid November .. early April, strongest Dec-Feb

# School term breaks as inclusive ((month, day), (month, day)) ranges.
_SCHOOL_BREAKS: Final = (
    ((7, 20), (8, 31)),
    ((12, 25), (12, 31)),
    ((1, 1), (1, 7)),
    ((3, 20), (4, 7)),
)

_DAY_CACHE_SIZE: Final = 512

# Independent noise streams drawn from one seed; the sun's weather draws streams 3 and 4.
_STREAM_SMOOTH, _STREAM_JITTER, _STREAM_LEVEL = range(3)


class _Kind(Enum):
    WORK = "work"
    REST = "rest"  # weekends
    BREAK = "break"  # school term breaks on weekdays


_Points = tuple[tuple[float, float], ...]  # (hour, fraction of peak), from 0 to 24

# profile -> day kind -> (base, extra at full cooling, extra at full heating)
_SHAPES: Final[dict[Profile, dict[_Kind, tuple[_Points, _Points, _Points]]]] = {
    Profile.FACTORY: {
        _Kind.WORK: (
            # two shifts 06:00-22:00, lunch 12:00-13:00, shift change at 14:00
            (
                (0, 0.35),
                (5.5, 0.35),
                (6.0, 0.55),
                (6.75, 0.88),
                (10.0, 0.95),
                (12.0, 0.93),
                (12.17, 0.72),
                (12.83, 0.72),
                (13.0, 0.92),
                (13.9, 0.95),
                (14.0, 0.86),
                (14.25, 0.95),
                (17.0, 0.92),
                (21.25, 0.88),
                (22.0, 0.55),
                (22.5, 0.37),
                (24, 0.35),
            ),
            ((0, 0.02), (9, 0.03), (14, 0.06), (18, 0.04), (24, 0.02)),
            ((0, 0.01), (6, 0.01), (8, 0.04), (11, 0.02), (24, 0.01)),
        ),
        _Kind.REST: (
            ((0, 0.34), (8, 0.34), (9, 0.38), (17, 0.38), (18, 0.34), (24, 0.34)),
            ((0, 0.01), (10, 0.02), (15, 0.03), (24, 0.01)),
            ((0, 0.01), (24, 0.01)),
        ),
    },
    Profile.OFFICE: {
        _Kind.WORK: (
            # 08:00-19:00: HVAC start-up peak before 09:00, small lunch dip
            (
                (0, 0.20),
                (6.5, 0.20),
                (7.5, 0.32),
                (8.0, 0.62),
                (8.5, 0.80),
                (8.75, 0.82),
                (9.5, 0.74),
                (12.0, 0.72),
                (12.2, 0.64),
                (12.9, 0.64),
                (13.1, 0.72),
                (17.5, 0.70),
                (18.5, 0.55),
                (19.5, 0.38),
                (21.0, 0.26),
                (22.5, 0.21),
                (24, 0.20),
            ),
            (
                (0, 0.0),
                (7.5, 0.0),
                (8.5, 0.15),
                (11.0, 0.19),
                (13.0, 0.26),
                (14.5, 0.28),
                (16.0, 0.25),
                (18.0, 0.14),
                (19.5, 0.03),
                (20.5, 0.0),
                (24, 0.0),
            ),
            (
                (0, 0.0),
                (7.0, 0.0),
                (8.0, 0.14),
                (8.75, 0.18),
                (10.0, 0.11),
                (12.0, 0.06),
                (17.0, 0.05),
                (19.0, 0.02),
                (20.0, 0.0),
                (24, 0.0),
            ),
        ),
        _Kind.REST: (
            ((0, 0.20), (8, 0.20), (9, 0.24), (17, 0.24), (18, 0.21), (24, 0.20)),
            ((0, 0.0), (9, 0.0), (12, 0.04), (15, 0.04), (18, 0.0), (24, 0.0)),
            ((0, 0.0), (8, 0.0), (9, 0.03), (12, 0.02), (17, 0.0), (24, 0.0)),
        ),
    },
    Profile.HOUSEHOLD: {
        _Kind.WORK: (
            # breakfast 06:30-08:00, an empty house by day, dinner and evening 17:30-23:00
            (
                (0, 0.10),
                (5.5, 0.10),
                (6.5, 0.30),
                (7.25, 0.45),
                (8.0, 0.28),
                (9.0, 0.14),
                (16.5, 0.14),
                (17.5, 0.30),
                (18.5, 0.55),
                (19.5, 0.60),
                (21.0, 0.48),
                (22.5, 0.30),
                (23.5, 0.14),
                (24, 0.10),
            ),
            ((0, 0.06), (6, 0.04), (12, 0.06), (15, 0.10), (19, 0.26), (22, 0.20), (24, 0.06)),
            ((0, 0.10), (5, 0.10), (6.5, 0.26), (8, 0.14), (17, 0.14), (19, 0.28), (24, 0.10)),
        ),
        _Kind.REST: (
            (
                (0, 0.10),
                (7.0, 0.10),
                (8.5, 0.36),
                (12.0, 0.42),
                (13.0, 0.34),
                (17.0, 0.32),
                (19.0, 0.58),
                (21.5, 0.46),
                (23.5, 0.14),
                (24, 0.10),
            ),
            ((0, 0.06), (8, 0.06), (12, 0.18), (16, 0.24), (20, 0.24), (24, 0.06)),
            ((0, 0.10), (7, 0.12), (9, 0.26), (17, 0.18), (20, 0.26), (24, 0.10)),
        ),
    },
    Profile.SCHOOL: {
        _Kind.WORK: (
            # classes 08:00-16:30, lunch kitchen at noon, clubs until ~19:00
            (
                (0, 0.10),
                (6.5, 0.10),
                (7.5, 0.25),
                (8.0, 0.58),
                (8.5, 0.78),
                (11.5, 0.78),
                (12.25, 0.84),
                (13.0, 0.76),
                (15.5, 0.72),
                (16.5, 0.50),
                (17.5, 0.30),
                (19.0, 0.18),
                (20.5, 0.12),
                (21.5, 0.10),
                (24, 0.10),
            ),
            (
                (0, 0.0),
                (8.0, 0.0),
                (9.0, 0.13),
                (12.0, 0.19),
                (14.5, 0.22),
                (16.5, 0.13),
                (18.0, 0.0),
                (24, 0.0),
            ),
            (
                (0, 0.0),
                (7.5, 0.0),
                (8.5, 0.15),
                (10.0, 0.09),
                (15.0, 0.06),
                (16.5, 0.02),
                (17.5, 0.0),
                (24, 0.0),
            ),
        ),
        _Kind.BREAK: (
            # staff only
            ((0, 0.10), (8, 0.10), (9, 0.22), (12, 0.22), (17, 0.20), (18, 0.12), (24, 0.10)),
            ((0, 0.0), (9, 0.0), (10, 0.05), (16, 0.06), (17.5, 0.0), (24, 0.0)),
            ((0, 0.0), (8, 0.0), (9, 0.04), (12, 0.03), (17, 0.0), (24, 0.0)),
        ),
        _Kind.REST: (
            ((0, 0.10), (8, 0.10), (9, 0.14), (16, 0.14), (17, 0.11), (24, 0.10)),
            ((0, 0.0), (24, 0.0)),
            ((0, 0.0), (24, 0.0)),
        ),
    },
}


def _curve(points: _Points) -> tuple[float, ...]:
    """``points`` linearly interpolated at the middle of each minute of the day."""
    values = []
    segment = 0
    for m in range(MINUTES_PER_DAY):
        hour = (m + 0.5) / 60.0
        while points[segment + 1][0] < hour:
            segment += 1
        (h0, v0), (h1, v1) = points[segment], points[segment + 1]
        values.append(v0 + (v1 - v0) * (hour - h0) / (h1 - h0))
    return tuple(values)


@dataclass(frozen=True, slots=True)
class _Shape:
    base: tuple[float, ...]
    cooling: tuple[float, ...]
    heating: tuple[float, ...]


@cache
def _shapes(profile: Profile) -> tuple[dict[_Kind, _Shape], float]:
    """The profile's per-minute curves scaled to a yearly peak of 1, and their exact maximum.

    Cooling and heating never act on the same day, so a minute's shape is at most
    base + cooling or base + heating: the returned maximum bounds every minute.
    """
    raw = {kind: [_curve(points) for points in curves] for kind, curves in _SHAPES[profile].items()}
    top = max(
        max(b + max(c, h) for b, c, h in zip(*curves, strict=True)) for curves in raw.values()
    )
    shapes = {
        kind: _Shape(*(tuple(v / top for v in curve) for curve in curves))
        for kind, curves in raw.items()
    }
    highest = max(
        max(max(b + c, b + h) for b, c, h in zip(s.base, s.cooling, s.heating, strict=True))
        for s in shapes.values()
    )
    return shapes, highest


def _season(day_of_year: int, peak: int, half_width: float) -> float:
    """A cos² bump of the day of year, 1 at ``peak``, exactly 0 beyond ``half_width`` days."""
    gap = abs(day_of_year - peak)
    distance = min(gap, 365.25 - gap)  # the heating bump spans New Year
    if distance >= half_width:
        return 0.0
    return math.cos(math.pi / 2 * distance / half_width) ** 2


def _in_school_break(month: int, day: int) -> bool:
    return any(start <= (month, day) <= end for start, end in _SCHOOL_BREAKS)


@dataclass(frozen=True, slots=True)
class _Day:
    """What stays the same over one day."""

    shape: _Shape
    cooling: float  # seasonal weights in [0, 1], at most one non-zero
    heating: float
    level: float  # the day's noise draw, in [0, 1)


def _require(name: str, value: float, valid: bool, rule: str) -> None:
    if not valid:
        raise ValueError(f"load setting {name} must be {rule}, not {value!r}")


class LoadModel:
    """The powers of one customer, minute by minute, for one seed."""

    def __init__(self, settings: LoadSettings, seed: int) -> None:
        # Each test is written as "inside the range", so that NaN fails it too.
        peak_kw, noise, pv_kw = settings.peak_kw, settings.noise, settings.pv_kw
        _require("peak_kw", peak_kw, 0.0 < peak_kw <= 100_000.0, "> 0 and <= 100000")
        _require("noise", noise, 0.0 <= noise <= 0.5, ">= 0 and <= 0.5")
        _require("pv_kw", pv_kw, 0.0 <= pv_kw <= 100_000.0, ">= 0 and <= 100000")
        for name, factor in (
            ("power_factor", settings.power_factor),
            ("pv_power_factor", settings.pv_power_factor),
        ):
            _require(name, factor, 0.5 <= factor <= 1.0, ">= 0.5 and <= 1")
        voltage = settings.voltage_v
        _require("voltage_v", voltage, 0.0 < voltage < math.inf, "a finite number > 0")
        for surge in settings.surges:
            factor = surge.factor
            _require("surge factor", factor, 0.0 < factor <= SURGE_FACTOR_MAX, "> 0 and <= 10")
        # Later surges win where they overlap, as a later line of a schedule would.
        self._surges = {m: s.factor for s in settings.surges for m in s.minutes()}
        self._profile = settings.profile
        self._shapes, highest = _shapes(settings.profile)
        self._peak_w = peak_kw * 1000.0
        self._noise = noise
        # One splitmix64 stream per kind of draw, each keyed by a draw from the seed's stream.
        self._smooth = ValueNoise(mix(seed & MASK, _STREAM_SMOOTH), _NOISE_KNOT_MINUTES)
        self._jitter_key = mix(seed & MASK, _STREAM_JITTER)
        self._level_key = mix(seed & MASK, _STREAM_LEVEL)
        self._pv = PvSystem(pv_kw * 1000.0, seed) if pv_kw else None
        self._floor_w = max(1, int(self._peak_w * _FLOOR_FRACTION))
        # int() truncates, so float rounding (~1e-16 relative) cannot carry a minute past it.
        most = max((s.factor for s in settings.surges), default=1.0)
        self._max_load_w = max(
            self._floor_w, math.ceil(self._peak_w * highest * (1.0 + self._noise) * max(1.0, most))
        )
        self._max_pv_w = 0 if self._pv is None else self._pv.max_w
        self._days: dict[int, _Day] = {}

    @property
    def max_load_w(self) -> int:
        """An upper bound of :attr:`MinutePower.load_w` over all minutes."""
        return self._max_load_w

    @property
    def max_pv_w(self) -> int:
        """An upper bound of :attr:`MinutePower.pv_w` over all minutes, at most ``pv_kw``."""
        return self._max_pv_w

    def minute(self, index: int) -> MinutePower:
        """The average load and PV powers during minute ``index`` of meter time."""
        day_number, m = divmod(index, MINUTES_PER_DAY)
        day = self._days.get(day_number) or self._day(day_number)
        shape = day.shape
        load = shape.base[m] + day.cooling * shape.cooling[m] + day.heating * shape.heating[m]
        if self._noise:
            smooth = self._smooth.at(index)
            jitter = uniform(self._jitter_key, index)
            # weights 1/2, 1/4, 1/4 of three draws in [-1, 1)
            load *= 1.0 + self._noise * (smooth + 0.5 * (jitter + day.level) - 1.0)
        load_w = max(self._floor_w, int(self._peak_w * load * self._surges.get(index, 1.0)))
        return MinutePower(load_w, 0 if self._pv is None else self._pv.power_w(index))

    def _day(self, day_number: int) -> _Day:
        first = day_number * MINUTES_PER_DAY
        date = minute_start(first).date()
        if weekday(first) >= 5:
            kind = _Kind.REST
        elif self._profile is Profile.SCHOOL and _in_school_break(date.month, date.day):
            kind = _Kind.BREAK
        else:
            kind = _Kind.WORK
        day_of_year = date.timetuple().tm_yday
        day = _Day(
            shape=self._shapes[kind],
            cooling=_season(day_of_year, _COOLING_PEAK_DAY, _COOLING_HALF_WIDTH),
            heating=_season(day_of_year, _HEATING_PEAK_DAY, _HEATING_HALF_WIDTH),
            level=uniform(self._level_key, day_number),
        )
        if len(self._days) >= _DAY_CACHE_SIZE:
            self._days.clear()
        self._days[day_number] = day
        return day
