"""The sun on a PV system near Tokyo, minute by minute, with seeded weather.

Each minute is a pure function of (rating, seed, minute index), as the load is
(:mod:`hemsnet.physics.load`): no stepping state, any minute costs O(1); per-day values are only
memoised. The meter's on-site PV (``pv_kw``) and the PV appliance (0x0279) are both a
:class:`PvSystem`.

power = rated * ``_PERFORMANCE_RATIO`` * irradiance (kW/m²) * sky, 0 while the sun is down:

* sun position: the declination (Cooper) and the equation of time for the day of year, at
  ``_LATITUDE``, ``_LONGITUDE`` on JST; the panel faces south, tilted ``_PANEL_TILT``.
* irradiance: Meinel's clear sky, ``_SOLAR_CONSTANT`` * ``_CLEAR_TRANSMITTANCE`` ** AM**0.678
  with AM = 1 / sin(elevation), on the panel, plus a ``_DIFFUSE_SHARE``. At most
  ``_PV_FRACTION_MAX`` (~0.83) of the rating.
* sky: per day clear (haze only), partly cloudy or overcast, with monthly odds (``_SKY_ODDS``);
  on partly cloudy days clouds pass (value noise, knots every ``_CLOUD_KNOT_MINUTES``) and cut
  the output by up to ``_CLOUD_DEPTH``. The weather depends on the seed only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Final

from hemsnet.physics.draws import MASK, mix, uniform
from hemsnet.physics.noise import ValueNoise
from hemsnet.physics.timeline import MINUTES_PER_DAY, minute_start

__all__ = ["PvSystem"]

_LATITUDE: Final = 35.7  # degrees north (Tokyo)
_LONGITUDE: Final = 139.7  # degrees east
_JST_MERIDIAN: Final = 135.0
_PANEL_TILT: Final = 30.0  # degrees, facing south
_SOLAR_CONSTANT: Final = 1.353  # kW/m²
_CLEAR_TRANSMITTANCE: Final = 0.7
_DIFFUSE_SHARE: Final = 0.1  # sky diffuse, as a share of the beam
_PERFORMANCE_RATIO: Final = 0.8  # temperature, inverter and wiring losses
_CLOUD_KNOT_MINUTES: Final = 3
_CLOUD_DEPTH: Final = 0.75  # a passing cloud leaves the diffuse light
_CLOUD_EDGE: Final = 0.15  # softness of cloud edges, in units of the cloud noise

# The most the clear-sky formula gives (AM >= 1, incidence <= 1): PV stays below ~0.83 rated.
_PV_FRACTION_MAX: Final = (
    _PERFORMANCE_RATIO * _SOLAR_CONSTANT * _CLEAR_TRANSMITTANCE * (1.0 + _DIFFUSE_SHARE)
)

# (probability of a clear day, of an overcast day) by month: dry Pacific-side winters, the June
# rainy season (tsuyu) and the autumn rains.
_SKY_ODDS: Final = (
    (0.55, 0.15), (0.50, 0.20), (0.40, 0.25), (0.40, 0.25), (0.40, 0.25), (0.20, 0.45),
    (0.30, 0.35), (0.40, 0.25), (0.30, 0.35), (0.35, 0.30), (0.45, 0.20), (0.55, 0.15),
)  # fmt: skip

_RADIANS_PER_MINUTE: Final = math.pi / 720.0  # hour angle: the sun turns 360° a day
_DAY_CACHE_SIZE: Final = 512

# Streams of the seed: 0-2 are the load's noise (physics/load.py), so a meter's weather and its
# load noise are independent, and a seed gives the same weather to the meter and the appliance.
_STREAM_SKY, _STREAM_CLOUD = 3, 4

_CLEAR, _PARTLY, _OVERCAST = range(3)


@dataclass(frozen=True, slots=True)
class _Position:
    """Where the sun is during one day, as functions of the hour angle h."""

    shift: float  # minutes from clock to solar time, minus noon, plus half a minute
    elevation_a: float  # sin(elevation) = a + b cos(h)
    elevation_b: float
    incidence_a: float  # cos(incidence on the panel) = a + b cos(h)
    incidence_b: float


@cache
def _position(day_of_year: int) -> _Position:
    declination = math.radians(23.44) * math.sin(2 * math.pi * (284 + day_of_year) / 365)
    b = 2 * math.pi * (day_of_year - 81) / 364
    equation_of_time = 9.87 * math.sin(2 * b) - 7.53 * math.cos(b) - 1.5 * math.sin(b)  # minutes
    latitude = math.radians(_LATITUDE)
    # A panel tilted south by β sees the sun as a flat panel at latitude - β would.
    tilted = latitude - math.radians(_PANEL_TILT)
    return _Position(
        shift=4.0 * (_LONGITUDE - _JST_MERIDIAN) + equation_of_time - 720.0 + 0.5,
        elevation_a=math.sin(latitude) * math.sin(declination),
        elevation_b=math.cos(latitude) * math.cos(declination),
        incidence_a=math.sin(tilted) * math.sin(declination),
        incidence_b=math.cos(tilted) * math.cos(declination),
    )


def _irradiance(sin_elevation: float, cos_incidence: float) -> float:
    """Clear-sky irradiance on the panel, kW/m², for the sun above the horizon."""
    beam: float = _SOLAR_CONSTANT * _CLEAR_TRANSMITTANCE ** (sin_elevation**-0.678)
    return beam * (max(0.0, cos_incidence) + _DIFFUSE_SHARE)


@dataclass(frozen=True, slots=True)
class _Day:
    """What stays the same over one day."""

    position: _Position
    sky: int  # _CLEAR, _PARTLY or _OVERCAST
    sky_level: float  # clear or overcast transmission; the cloud cover on partly cloudy days


class PvSystem:
    """A south-facing PV system of ``rated_w`` watts (>= 0) near Tokyo, for one seed."""

    def __init__(self, rated_w: float, seed: int) -> None:
        self._rated_w = rated_w
        self._sky_key = mix(seed & MASK, _STREAM_SKY)
        self._clouds = ValueNoise(mix(seed & MASK, _STREAM_CLOUD), _CLOUD_KNOT_MINUTES)
        # int() truncates, so float rounding (~1e-16 relative) cannot carry a minute past it.
        self._max_w = int(rated_w * _PV_FRACTION_MAX)
        self._days: dict[int, _Day] = {}

    @property
    def max_w(self) -> int:
        """An upper bound of :meth:`power_w` over all minutes, below the rating."""
        return self._max_w

    def power_w(self, index: int) -> int:
        """The average power during minute ``index`` of meter time, in watts."""
        day_number, m = divmod(index, MINUTES_PER_DAY)
        day = self._days.get(day_number) or self._day(day_number)
        sun = day.position
        cos_hour = math.cos((m + sun.shift) * _RADIANS_PER_MINUTE)
        sin_elevation = sun.elevation_a + sun.elevation_b * cos_hour
        if sin_elevation <= 0.0:
            return 0
        irradiance = _irradiance(sin_elevation, sun.incidence_a + sun.incidence_b * cos_hour)
        if day.sky == _CLEAR:
            sky = day.sky_level
        else:
            cloud = self._clouds.at(index)
            if day.sky == _PARTLY:
                shade = min(1.0, max(0.0, (day.sky_level - cloud) / _CLOUD_EDGE + 0.5))
                sky = 1.0 - _CLOUD_DEPTH * shade
            else:
                sky = day.sky_level * (0.8 + 0.4 * cloud)
        return int(self._rated_w * _PERFORMANCE_RATIO * irradiance * sky)

    def _day(self, day_number: int) -> _Day:
        date = minute_start(day_number * MINUTES_PER_DAY).date()
        clear_odds, overcast_odds = _SKY_ODDS[date.month - 1]
        draw = uniform(self._sky_key, 2 * day_number)
        detail = uniform(self._sky_key, 2 * day_number + 1)
        if draw < clear_odds:
            sky, sky_level = _CLEAR, 0.9 + 0.1 * detail  # haze
        elif draw < clear_odds + overcast_odds:
            sky, sky_level = _OVERCAST, 0.12 + 0.23 * detail
        else:
            sky, sky_level = _PARTLY, 0.2 + 0.6 * detail  # share of the time under cloud
        day = _Day(_position(date.timetuple().tm_yday), sky, sky_level)
        if len(self._days) >= _DAY_CACHE_SIZE:
            self._days.clear()
        self._days[day_number] = day
        return day
