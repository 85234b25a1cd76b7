"""From a 0x028F property value to the readings a controller stores.

A :class:`Sample` is a reading before the store knows which meter row it belongs to: series,
measurement time (meter time), raw count and physical value. Scaling needs the meter's
attributes (units E6/C5/CD, coefficient D3, multiplier D4 [AIF 3.1.4]), held by
:class:`~hemsnet.metering.attributes.MeterScales`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Final

from hemsnet.devices.units import Scale
from hemsnet.devices.values import (
    HalfHourHistory,
    NormalReverse,
    PhaseCurrents,
    SegmentHistory,
    TimedNormalReverse,
)
from hemsnet.metering.attributes import MeterScales
from hemsnet.metering.series import HALF_HOUR, MINUTE, Series

__all__ = ["HISTORY_SERIES", "Sample", "samples_of"]

#: The series each day48 history EPC fills [AIF 3.3.3].
HISTORY_SERIES: Final = {
    0xE7: Series.ENERGY_NORMAL,
    0xE8: Series.ENERGY_REVERSE,
    0xC6: Series.DEMAND_NORMAL,
    0xC8: Series.DEMAND_REVERSE,
    0xCE: Series.REACTIVE_NORMAL,
    0xCF: Series.REACTIVE_REVERSE,
}
#: Timed (normal, reverse) EPCs and the two series they fill.
_PAIRS: Final = {
    0xE3: (Series.ENERGY_NORMAL, Series.ENERGY_REVERSE),
    0xC3: (Series.DEMAND_NORMAL, Series.DEMAND_REVERSE),
    0xCB: (Series.REACTIVE_NORMAL, Series.REACTIVE_REVERSE),
    0xD0: (Series.MINUTE_ENERGY_NORMAL, Series.MINUTE_ENERGY_REVERSE),
    0xE2: (Series.PRESENT_ENERGY_NORMAL, Series.PRESENT_ENERGY_REVERSE),
    0xE4: (Series.PRESENT_PF_ENERGY_NORMAL, Series.PRESENT_PF_ENERGY_REVERSE),
    0xCA: (Series.PRESENT_REACTIVE_NORMAL, Series.PRESENT_REACTIVE_REVERSE),
}
_TENTHS: Final = Decimal(10)


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading: ``raw`` and ``value`` are both ``None`` when the meter has no data."""

    series: Series
    measured_at: datetime
    raw: int | None
    value: Decimal | None


def samples_of(
    epc: int, value: object, scales: MeterScales, *, read_at: datetime, day: date | None = None
) -> list[Sample]:
    """The samples in the decoded ``value`` of ``epc``.

    ``read_at`` (meter time) stamps C1, EA and EB, which carry no time of their own; ``day`` is the
    date a day48 history (E7/E8/C6/C8/CE/CF) was asked for. Raises ``LookupError`` when the
    scale of ``epc`` is not known yet.
    """
    if isinstance(value, TimedNormalReverse) and epc in _PAIRS:
        normal, reverse = _PAIRS[epc]
        scale = _scale(scales, epc)
        return [
            _sample(normal, value.at, value.normal, scale),
            _sample(reverse, value.at, value.reverse, scale),
        ]
    if isinstance(value, HalfHourHistory) and epc in HISTORY_SERIES:
        if day is None:
            raise ValueError("a day48 history needs the day it was asked for")
        scale = _scale(scales, epc)
        midnight = datetime.combine(day, time())
        return [
            _sample(HISTORY_SERIES[epc], midnight + slot * HALF_HOUR, raw, scale)
            for slot, raw in enumerate(value.slots)
        ]
    if isinstance(value, SegmentHistory) and epc == 0xED and value.start is not None:
        scale = _scale(scales, epc)
        found = []
        for index, segment in enumerate(value.segments):
            at = value.start - index * MINUTE
            found.append(_sample(Series.MINUTE_ENERGY_NORMAL, at, segment.normal, scale))
            found.append(_sample(Series.MINUTE_ENERGY_REVERSE, at, segment.reverse, scale))
        return found
    stamp = read_at.replace(microsecond=0)
    if epc == 0xC1 and isinstance(value, NormalReverse):
        scale = _scale(scales, epc)
        return [
            _sample(Series.MAX_DEMAND_NORMAL, stamp, value.normal, scale),
            _sample(Series.MAX_DEMAND_REVERSE, stamp, value.reverse, scale),
        ]
    if epc == 0xEA and (value is None or isinstance(value, int)):
        return [Sample(Series.POWER, stamp, value, None if value is None else Decimal(value))]
    if epc == 0xEB and isinstance(value, PhaseCurrents):
        return [
            _current(Series.CURRENT_R, stamp, value.r),
            _current(Series.CURRENT_T, stamp, value.t),
        ]
    return []


def _scale(scales: MeterScales, epc: int) -> Scale:
    scale = scales.scale_for(epc)
    if scale is None:
        raise LookupError(f"the scale of 0x{epc:02X} is not known yet")
    return scale


def _sample(series: Series, at: datetime, raw: int | None, scale: Scale) -> Sample:
    return Sample(series, at, raw, scale.apply(raw))


def _current(series: Series, at: datetime, amperes: Decimal | None) -> Sample:
    if amperes is None:
        return Sample(series, at, None, None)
    return Sample(series, at, int(amperes * _TENTHS), amperes)
