"""The meter's ECHONET objects: 0x028F01, and optionally a companion 0x028A01 [AIF 2.1, 3.1.1];
or a low-voltage meter's 0x028801 [MRA 0x0288].

Static properties are encoded once from the configuration; measurement properties are read
from :class:`~hemsnet.meter.readings.MeterReadings` when asked for, encoded by the class
table's codecs, and kept in a cache the engine empties whenever time or state moves on. While
the meter is in fault, every measurement property is refused (Get_SNA) [AIF 3.3.1, 3.3.3].

The companion 0x028A01 is the one-direction view of the same registers: the normal-direction
values of 0x028F, with its own 0xE1 selector [AIF 3.1.1, reference §9.1].

The low-voltage 0x028801 serves the same registers through its own EPCs (reference §9.2): E0/E3
the present energy, EA/EB the latest :00/:30, E2/E4 a day's half-hours selected by E5, EC the
half-hours ED selects, EE the minutes EF selects, D0 the latest minute, E7 the power, E8 the
line currents, scaled by E1 (unit), D3 (coefficient) and D7 (digits), with no D4.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from hemsnet.devices import hv_meter, hv_meter_bidir, lv_meter
from hemsnet.devices.hv_meter import HV_METER, HV_METER_CLASS
from hemsnet.devices.hv_meter_bidir import HV_METER_BIDIR, HV_METER_BIDIR_CLASS
from hemsnet.devices.lv_meter import LV_METER, LV_METER_CLASS
from hemsnet.devices.model import ClassDef
from hemsnet.devices.objects import DeviceObject
from hemsnet.devices.values import (
    FaultStatus,
    HalfHourHistory,
    HistorySelector,
    InstallationLocation,
    OperationStatus,
    RouteBId,
    StandardVersion,
    TimedNormalReverse,
    TimedReading,
)
from hemsnet.echonet.eoj import Eoj
from hemsnet.meter.config import OPTIONAL_EPCS, MeterConfig
from hemsnet.meter.readings import DAY_HISTORIES, DEFAULT_SELECTOR, MeterReadings

__all__ = [
    "COMPANION_EOJ",
    "LV_MEASUREMENT_EPCS",
    "LV_METER_EOJ",
    "MEASUREMENT_EPCS",
    "METER_EOJ",
    "MeterObjects",
    "Selection",
]

METER_EOJ: Final = Eoj.of(HV_METER_BIDIR_CLASS, 0x01)  # the instance is fixed at 1 [AIF 2.1]
COMPANION_EOJ: Final = Eoj.of(HV_METER_CLASS, 0x01)
LV_METER_EOJ: Final = Eoj.of(LV_METER_CLASS, 0x01)

#: Properties carrying measurements, refused while the meter is in fault [AIF 3.4.1].
MEASUREMENT_EPCS: Final = frozenset(
    {0xC1, 0xC2, 0xC3, 0xC6, 0xC8, 0xCA, 0xCB, 0xCE, 0xCF}
    | {0xD0, 0xE2, 0xE3, 0xE4, 0xE7, 0xE8, 0xEA, 0xEB, 0xED}
)
#: The low-voltage meter's measurement properties, refused in a fault likewise (M23).
LV_MEASUREMENT_EPCS: Final = frozenset(
    {0xD0, 0xE0, 0xE2, 0xE3, 0xE4, 0xE7, 0xE8, 0xEA, 0xEB, 0xEC, 0xEE}
)

Compute = Callable[[], Any]


@dataclass(slots=True)
class Selection:
    """The history selectors of one object: 0xE1 (day) and 0xEF (minute and count)."""

    day: int = 0  # 0xE1 starts at "today" (reference §13 item 7)
    minutes: HistorySelector = field(default=DEFAULT_SELECTOR)
    half_hours: HistorySelector = field(default=DEFAULT_SELECTOR)  # 0x0288's 0xED


class MeterObjects:
    """Builds the meter's objects over one set of readings, sharing one value cache."""

    def __init__(
        self,
        config: MeterConfig,
        readings: MeterReadings,
        in_fault: Callable[[], bool],
        on_change: Callable[[], None],
    ) -> None:
        self.config = config
        self.readings = readings
        self.cache: dict[tuple[int, int], bytes] = {}
        self._in_fault = in_fault
        self._on_change = on_change
        self.meter_selection = Selection()
        self.companion_selection = Selection()
        if config.low_voltage_meter:
            self.measurements = LV_MEASUREMENT_EPCS
            self.meter = self._lv_meter()
            self.companion = None
        else:
            self.measurements = MEASUREMENT_EPCS
            self.meter = self._meter()
            self.companion = self._companion() if config.companion_028a else None

    # --- 0x028F01 ------------------------------------------------------------------------

    def _meter(self) -> DeviceObject:
        config = self.config
        readings = self.readings
        selection = self.meter_selection
        values = {**_attributes(config), 0xC0: RouteBId(config.effective_route_b_id)}
        computed: dict[int, Compute] = {
            0x88: self._fault_status,
            0x97: lambda: readings.now.time().replace(second=0, microsecond=0),
            0x98: lambda: readings.now.date(),  # noqa: PLW0108 - `now` is replaced as time moves
            0xC1: readings.monthly_maximum,
            0xC2: readings.cumulative_maximum,
            0xC3: readings.fixed_time_demand,
            0xCA: readings.latest_minute_reactive,
            0xCB: readings.fixed_time_reactive,
            0xD0: readings.latest_minute,
            0xE1: lambda: selection.day,
            0xE2: readings.present,
            0xE3: readings.fixed_time,
            0xE4: readings.latest_minute,
            0xEA: readings.power,
            0xEB: readings.currents,
            0xED: lambda: readings.segments(selection.minutes),
            0xEF: lambda: selection.minutes,
        }
        for epc in DAY_HISTORIES:
            computed[epc] = _day_history(readings, epc, selection)
        return self._build(HV_METER_BIDIR, METER_EOJ, values, computed, self._set_meter)

    def _set_meter(self, epc: int, edt: bytes) -> bool:
        selection = self.meter_selection
        if epc == hv_meter_bidir.HISTORY_DAY.epc:
            day = hv_meter_bidir.HISTORY_DAY.decode(edt)  # never None: validate_set refused it
            if day is None or not self.readings.day_selectable(day):
                return False
            selection.day = day
        elif epc == hv_meter_bidir.HISTORY_DAY_2.epc:
            minutes = hv_meter_bidir.HISTORY_DAY_2.decode(edt)
            if not self.readings.minute_selectable(minutes):
                return False
            selection.minutes = minutes
        self._on_change()
        return True

    # --- 0x028801 ------------------------------------------------------------------------

    def _lv_meter(self) -> DeviceObject:
        config = self.config
        readings = self.readings
        selection = self.meter_selection
        values: dict[int, Any] = {
            0x80: OperationStatus.ON,
            0x81: InstallationLocation(config.location),
            0x82: StandardVersion("R"),  # D0, EE, EF are Release R's [MRA 0x0288]
            0x8A: int.from_bytes(config.manufacturer, "big"),
            0x8D: config.production_number,
            0xC0: RouteBId(config.effective_route_b_id),
            0xD3: config.coefficient,
            0xD7: config.energy_digits,
            0xE1: config.energy_unit,
        }
        computed: dict[int, Compute] = {
            0x88: self._fault_status,
            0x97: lambda: readings.now.time().replace(second=0, microsecond=0),
            0x98: lambda: readings.now.date(),  # noqa: PLW0108 - `now` is replaced as time moves
            0xD0: readings.latest_minute,
            0xE0: lambda: readings.present().normal,
            0xE2: _day_history(readings, 0xE7, selection),
            0xE3: lambda: readings.present().reverse,
            0xE4: _day_history(readings, 0xE8, selection),
            0xE5: lambda: selection.day,
            0xE7: readings.power,
            0xE8: readings.currents,
            0xEA: lambda: _normal(readings.fixed_time()),
            0xEB: lambda: _reverse(readings.fixed_time()),
            0xEC: lambda: readings.half_hour_segments(selection.half_hours),
            0xED: lambda: selection.half_hours,
            0xEE: lambda: readings.segments(selection.minutes),
            0xEF: lambda: selection.minutes,
        }
        return self._build(
            LV_METER, LV_METER_EOJ, values, computed, self._set_lv_meter, off=frozenset()
        )

    def _set_lv_meter(self, epc: int, edt: bytes) -> bool:
        selection = self.meter_selection
        readings = self.readings
        if epc == lv_meter.HISTORY_DAY.epc:
            day = lv_meter.HISTORY_DAY.decode(edt)
            if day is None or not readings.day_selectable(day):
                return False
            selection.day = day
        elif epc == lv_meter.HISTORY_DAY_2.epc:
            half_hours = lv_meter.HISTORY_DAY_2.decode(edt)
            if not readings.half_hour_selectable(half_hours):
                return False
            selection.half_hours = half_hours
        elif epc == lv_meter.HISTORY_DAY_3.epc:
            minutes = lv_meter.HISTORY_DAY_3.decode(edt)
            if not readings.minute_selectable(minutes):
                return False
            selection.minutes = minutes
        self._on_change()
        return True

    # --- 0x028A01 ------------------------------------------------------------------------

    def _companion(self) -> DeviceObject:
        config = self.config
        readings = self.readings
        selection = self.companion_selection
        values = _attributes(config)
        computed: dict[int, Compute] = {
            0x88: self._fault_status,
            0xC1: lambda: readings.monthly_maximum().normal,
            0xC2: lambda: readings.cumulative_maximum().normal,
            0xC3: lambda: _normal(readings.fixed_time_demand()),
            0xC6: _day_history(readings, 0xC6, selection),
            0xCA: lambda: _normal(readings.latest_minute_reactive()),
            0xCB: lambda: _normal(readings.fixed_time_reactive()),
            0xCE: _day_history(readings, 0xCE, selection),
            0xE1: lambda: selection.day,
            0xE2: lambda: _normal(readings.present()),
            0xE3: lambda: _normal(readings.fixed_time()),
            0xE4: lambda: _normal(readings.latest_minute()),
            0xE7: _day_history(readings, 0xE7, selection),
        }
        return self._build(HV_METER, COMPANION_EOJ, values, computed, self._set_companion)

    def _set_companion(self, epc: int, edt: bytes) -> bool:
        day = hv_meter.HISTORY_DAY.decode(edt) if epc == hv_meter.HISTORY_DAY.epc else None
        if day is not None:
            if not self.readings.day_selectable(day):
                return False
            self.companion_selection.day = day
        self._on_change()
        return True

    # --- common --------------------------------------------------------------------------

    def _fault_status(self) -> FaultStatus:
        return FaultStatus.FAULT if self._in_fault() else FaultStatus.NO_FAULT

    def _build(
        self,
        table: ClassDef,
        eoj: Eoj,
        values: dict[int, Any],
        computed: dict[int, Compute],
        on_set: Callable[[int, bytes], bool],
        *,
        off: frozenset[int] | None = None,
    ) -> DeviceObject:
        if off is None:
            off = OPTIONAL_EPCS - self.config.optional
        static = {epc: table[epc].encode(v) for epc, v in values.items() if epc not in off}
        readers = {
            epc: self._reader(table, eoj, epc, compute)
            for epc, compute in computed.items()
            if epc not in off
        }
        return DeviceObject(eoj, table, static, readers=readers, on_set=on_set)

    def _reader(
        self, table: ClassDef, eoj: Eoj, epc: int, compute: Compute
    ) -> Callable[[], bytes | None]:
        row = table[epc]
        cache = self.cache
        in_fault = self._in_fault
        measurement = epc in self.measurements
        key = (eoj.class_id, epc)

        def read() -> bytes | None:
            if measurement and in_fault():
                return None
            edt = cache.get(key)
            if edt is None:
                edt = cache[key] = row.encode(compute())
            return edt

        return read


def _attributes(config: MeterConfig) -> dict[int, Any]:
    """The static properties both meter classes share [AIF Tables 2-3, 2-4, 3.1.4]."""
    return {
        0x80: OperationStatus.ON,
        0x81: InstallationLocation(config.location),
        0x82: StandardVersion("R"),  # Release R or later [AIF 3.1.3]
        0x8A: int.from_bytes(config.manufacturer, "big"),
        0x8D: config.production_number,
        0xC4: config.demand_digits,
        0xC5: config.demand_unit,
        0xC7: config.max_demand_unit,
        0xCC: config.reactive_digits,
        0xCD: config.reactive_unit,
        0xD3: config.coefficient,
        0xD4: config.multiplier_code,
        0xE0: config.fixed_date,
        0xE5: config.energy_digits,
        0xE6: config.energy_unit,
    }


def _day_history(
    readings: MeterReadings, epc: int, selection: Selection
) -> Callable[[], HalfHourHistory]:
    return lambda: readings.day_history(epc, selection.day)


def _normal(value: TimedNormalReverse) -> TimedReading:
    return TimedReading(value.at, value.normal)


def _reverse(value: TimedNormalReverse) -> TimedReading:
    return TimedReading(value.at, value.reverse)
