"""From a meter property's EDT (0x028F, or the low-voltage 0x0288) to the readings a controller
stores.

A :class:`Sample` is a reading before the store knows which meter row it belongs to: series,
measurement time (meter time), raw count and physical value. Each reading EPC is decoded with
its typed row of the class table (:mod:`hemsnet.devices.hv_meter_bidir`), so the value keeps its
type from the table to the sample. Scaling needs the meter's attributes (units E6/C5/CD,
coefficient D3, multiplier D4 [AIF 3.1.4]), held by
:class:`~hemsnet.metering.attributes.MeterScales`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from hemsnet.devices import hv_meter_bidir as meter
from hemsnet.devices import lv_meter
from hemsnet.devices.lv_meter import LV_METER_CLASS
from hemsnet.devices.model import PropertyDef
from hemsnet.devices.units import Scale
from hemsnet.devices.values import (
    HalfHourHistory,
    SegmentHistory,
    TimedNormalReverse,
    TimedReading,
)
from hemsnet.metering.attributes import MeterScales
from hemsnet.metering.series import HALF_HOUR, MINUTE, Series, day_start

__all__ = ["HISTORY_ROWS", "HISTORY_SERIES", "LV_HISTORY_ROWS", "Sample", "samples_of"]

#: The day48 histories [AIF 3.3.3]: each EPC's row and the series it fills.
HISTORY_ROWS: Final[Mapping[int, tuple[PropertyDef[HalfHourHistory], Series]]] = MappingProxyType(
    {
        0xE7: (meter.ENERGY_HISTORY_NORMAL, Series.ENERGY_NORMAL),
        0xE8: (meter.ENERGY_HISTORY_REVERSE, Series.ENERGY_REVERSE),
        0xC6: (meter.DEMAND_HISTORY_NORMAL, Series.DEMAND_NORMAL),
        0xC8: (meter.DEMAND_HISTORY_REVERSE, Series.DEMAND_REVERSE),
        0xCE: (meter.REACTIVE_ENERGY_HISTORY_NORMAL, Series.REACTIVE_NORMAL),
        0xCF: (meter.REACTIVE_ENERGY_HISTORY_REVERSE, Series.REACTIVE_REVERSE),
    }
)
#: The series each day48 history EPC fills.
HISTORY_SERIES: Final = MappingProxyType({epc: series for epc, (_, series) in HISTORY_ROWS.items()})
#: The low-voltage meter's day48 histories, selected by 0xE5 [MRA 0x0288].
LV_HISTORY_ROWS: Final[Mapping[int, tuple[PropertyDef[HalfHourHistory], Series]]] = (
    MappingProxyType(
        {
            0xE2: (lv_meter.ENERGY_HISTORY_NORMAL, Series.ENERGY_NORMAL),
            0xE4: (lv_meter.ENERGY_HISTORY_REVERSE, Series.ENERGY_REVERSE),
        }
    )
)
#: Timed (normal, reverse) EPCs and the two series they fill.
_PAIRS: Final[Mapping[int, tuple[PropertyDef[TimedNormalReverse], Series, Series]]] = {
    0xE3: (meter.FIXED_TIME_ENERGY, Series.ENERGY_NORMAL, Series.ENERGY_REVERSE),
    0xC3: (meter.FIXED_TIME_DEMAND, Series.DEMAND_NORMAL, Series.DEMAND_REVERSE),
    0xCB: (meter.FIXED_TIME_REACTIVE_ENERGY, Series.REACTIVE_NORMAL, Series.REACTIVE_REVERSE),
    0xD0: (meter.MINUTE_ENERGY, Series.MINUTE_ENERGY_NORMAL, Series.MINUTE_ENERGY_REVERSE),
    0xE2: (meter.CUMULATIVE_ENERGY, Series.PRESENT_ENERGY_NORMAL, Series.PRESENT_ENERGY_REVERSE),
    0xE4: (
        meter.POWER_FACTOR_ENERGY,
        Series.PRESENT_PF_ENERGY_NORMAL,
        Series.PRESENT_PF_ENERGY_REVERSE,
    ),
    0xCA: (
        meter.POWER_FACTOR_REACTIVE_ENERGY,
        Series.PRESENT_REACTIVE_NORMAL,
        Series.PRESENT_REACTIVE_REVERSE,
    ),
}
_TENTHS: Final = Decimal(10)


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading: ``raw`` and ``value`` are both ``None`` when the meter has no data."""

    series: Series
    measured_at: datetime
    raw: int | None
    value: Decimal | None


@dataclass(frozen=True, slots=True)
class _Read:
    """What one EDT is read with: the meter's scales, the time of the reading, the day asked."""

    scales: MeterScales
    stamp: datetime  # meter time, whole seconds
    day: date | None


def samples_of(
    epc: int,
    edt: bytes,
    scales: MeterScales,
    *,
    read_at: datetime,
    day: date | None = None,
    class_id: int = meter.HV_METER_BIDIR_CLASS,
) -> list[Sample]:
    """The samples in ``edt`` of reading EPC ``epc`` of a ``class_id`` meter (none for any
    other EPC).

    ``read_at`` (meter time) stamps C1, EA and EB, which carry no time of their own; ``day`` is
    the date a day48 history (E7/E8/C6/C8/CE/CF) was asked for. Raises
    :class:`~hemsnet.errors.InvalidValue` for an EDT its row refuses, ``LookupError`` when the
    scale of ``epc`` is not known yet.
    """
    readers = _LV_READERS if class_id == LV_METER_CLASS else _READERS
    read = readers.get(epc)
    if read is None:
        return []
    return read(edt, _Read(scales, read_at.replace(microsecond=0), day))


def _pair(epc: int, edt: bytes, read: _Read) -> list[Sample]:
    row, normal, reverse = _PAIRS[epc]
    value = row.decode(edt)
    scale = _scale(read.scales, epc)
    return [
        _sample(normal, value.at, value.normal, scale),
        _sample(reverse, value.at, value.reverse, scale),
    ]


def _day_history(epc: int, edt: bytes, read: _Read) -> list[Sample]:
    row, series = HISTORY_ROWS[epc] if epc in HISTORY_ROWS else LV_HISTORY_ROWS[epc]
    value = row.decode(edt)
    if read.day is None:
        raise ValueError("a day48 history needs the day it was asked for")
    scale = _scale(read.scales, epc)
    midnight = day_start(read.day)
    return [
        _sample(series, midnight + slot * HALF_HOUR, raw, scale)
        for slot, raw in enumerate(value.slots)
    ]


def _minute_history(edt: bytes, read: _Read) -> list[Sample]:
    return _segments(meter.ENERGY_HISTORY_2.decode(edt), 0xED, MINUTE, read)


def _segments(value: SegmentHistory, epc: int, step: timedelta, read: _Read) -> list[Sample]:
    """Segment *i* is ``step`` * *i* before the time selected (reference §8.5, M2)."""
    if value.start is None:  # the meter holds nothing for the time set
        return []
    scale = _scale(read.scales, epc)
    normal, reverse = (
        (Series.MINUTE_ENERGY_NORMAL, Series.MINUTE_ENERGY_REVERSE)
        if step == MINUTE
        else (Series.ENERGY_NORMAL, Series.ENERGY_REVERSE)
    )
    found = []
    for index, segment in enumerate(value.segments):
        at = value.start - index * step
        found.append(_sample(normal, at, segment.normal, scale))
        found.append(_sample(reverse, at, segment.reverse, scale))
    return found


def _max_demand(edt: bytes, read: _Read) -> list[Sample]:
    value = meter.MONTHLY_MAX_DEMAND.decode(edt)
    scale = _scale(read.scales, 0xC1)
    return [
        _sample(Series.MAX_DEMAND_NORMAL, read.stamp, value.normal, scale),
        _sample(Series.MAX_DEMAND_REVERSE, read.stamp, value.reverse, scale),
    ]


def _power(edt: bytes, read: _Read) -> list[Sample]:
    watts = meter.INSTANTANEOUS_POWER.decode(edt)
    return [Sample(Series.POWER, read.stamp, watts, None if watts is None else Decimal(watts))]


def _currents(edt: bytes, read: _Read) -> list[Sample]:
    value = meter.INSTANTANEOUS_CURRENTS.decode(edt)
    return [
        _current(Series.CURRENT_R, read.stamp, value.r),
        _current(Series.CURRENT_T, read.stamp, value.t),
    ]


def _lv_fixed_time(series: Series, row: PropertyDef[TimedReading]) -> _Reader:
    def read(edt: bytes, how: _Read) -> list[Sample]:
        value = row.decode(edt)
        return [_sample(series, value.at, value.value, _scale(how.scales, row.epc))]

    return read


def _lv_present(series: Series, row: PropertyDef[int | None]) -> _Reader:
    """0xE0/0xE3: the energy now, which carries no time: stamped when it was read."""

    def read(edt: bytes, how: _Read) -> list[Sample]:
        return [_sample(series, how.stamp, row.decode(edt), _scale(how.scales, row.epc))]

    return read


def _lv_power(edt: bytes, read: _Read) -> list[Sample]:
    watts = lv_meter.INSTANTANEOUS_POWER.decode(edt)
    return [Sample(Series.POWER, read.stamp, watts, None if watts is None else Decimal(watts))]


def _lv_currents(edt: bytes, read: _Read) -> list[Sample]:
    value = lv_meter.INSTANTANEOUS_CURRENTS.decode(edt)
    return [
        _current(Series.CURRENT_R, read.stamp, value.r),
        _current(Series.CURRENT_T, read.stamp, value.t),
    ]


def _lv_minute(edt: bytes, read: _Read) -> list[Sample]:
    value = lv_meter.MINUTE_ENERGY.decode(edt)
    scale = _scale(read.scales, 0xD0)
    return [
        _sample(Series.MINUTE_ENERGY_NORMAL, value.at, value.normal, scale),
        _sample(Series.MINUTE_ENERGY_REVERSE, value.at, value.reverse, scale),
    ]


def _with_epc(
    epc: int, read: Callable[[int, bytes, _Read], list[Sample]]
) -> Callable[[bytes, _Read], list[Sample]]:
    return lambda edt, how: read(epc, edt, how)


_Reader = Callable[[bytes, _Read], list[Sample]]

_READERS: Final[Mapping[int, _Reader]] = {
    **{epc: _with_epc(epc, _pair) for epc in _PAIRS},
    **{epc: _with_epc(epc, _day_history) for epc in HISTORY_ROWS},
    0xED: _minute_history,
    0xC1: _max_demand,
    0xEA: _power,
    0xEB: _currents,
}
_LV_READERS: Final[Mapping[int, _Reader]] = {
    0xD0: _lv_minute,
    0xE0: _lv_present(Series.PRESENT_ENERGY_NORMAL, lv_meter.CUMULATIVE_ENERGY_NORMAL),
    0xE3: _lv_present(Series.PRESENT_ENERGY_REVERSE, lv_meter.CUMULATIVE_ENERGY_REVERSE),
    0xEA: _lv_fixed_time(Series.ENERGY_NORMAL, lv_meter.FIXED_TIME_ENERGY_NORMAL),
    0xEB: _lv_fixed_time(Series.ENERGY_REVERSE, lv_meter.FIXED_TIME_ENERGY_REVERSE),
    **{epc: _with_epc(epc, _day_history) for epc in LV_HISTORY_ROWS},
    0xEC: lambda edt, how: _segments(lv_meter.ENERGY_HISTORY_2.decode(edt), 0xEC, HALF_HOUR, how),
    0xEE: lambda edt, how: _segments(lv_meter.ENERGY_HISTORY_3.decode(edt), 0xEE, MINUTE, how),
    0xE7: _lv_power,
    0xE8: _lv_currents,
}


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
