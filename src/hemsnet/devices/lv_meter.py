"""Low-voltage smart electric energy meter, class 0x0288 [MRA devices/0x0288.json].

Kept for contrast (reference §9.2): the EPC numbers mean other things than in 0x028F. Energy
readings are scaled by 0xE1 (unit) and 0xD3 (coefficient), there is no 0xD4. EC is the 30-minute
history (selector ED, minutes 00 or 30, up to 12 segments), EE the 1-minute one (selector EF).
Rules are the MRA's; "required_c" (C0, E3, E4, EB) counts as mandatory.

Every class row is a named, typed constant, the very object in :data:`LV_METER`; the names
follow the spec's, so they differ from the 0x028F rows of the same EPC.
"""

from __future__ import annotations

from typing import Final

from hemsnet.devices.codecs.primitives import CodeTable
from hemsnet.devices.codecs.profile import RouteBIdCodec
from hemsnet.devices.codecs.readings import (
    COEFFICIENT_CODEC,
    EFFECTIVE_DIGITS_CODEC,
    HISTORY_DAY_CODEC,
    INSTANT_POWER_CODEC,
    Currents,
    DayHistory,
    Segments,
    Selector,
    SingleReading,
    TimedPair,
    TimedSingle,
)
from hemsnet.devices.model import PropertyDef, Quantity
from hemsnet.devices.superclass import NS, M, O, device_class, row
from hemsnet.devices.units import UNIT_CODES
from hemsnet.devices.values import (
    HalfHourHistory,
    HistorySelector,
    PhaseCurrents,
    RouteBId,
    SegmentHistory,
    TimedNormalReverse,
    TimedReading,
)

__all__ = [
    "COEFFICIENT",
    "CUMULATIVE_ENERGY_NORMAL",
    "CUMULATIVE_ENERGY_REVERSE",
    "ENERGY_DIGITS",
    "ENERGY_HISTORY_2",
    "ENERGY_HISTORY_3",
    "ENERGY_HISTORY_NORMAL",
    "ENERGY_HISTORY_REVERSE",
    "ENERGY_UNIT",
    "FIXED_TIME_ENERGY_NORMAL",
    "FIXED_TIME_ENERGY_REVERSE",
    "HISTORY_DAY",
    "HISTORY_DAY_2",
    "HISTORY_DAY_3",
    "INSTANTANEOUS_CURRENTS",
    "INSTANTANEOUS_POWER",
    "LV_METER",
    "LV_METER_CLASS",
    "MINUTE_ENERGY",
    "ROUTE_B_ID",
]

LV_METER_CLASS: Final = 0x0288

_KWH: Final = Quantity.LV_ACTIVE_ENERGY

# fmt: off
#   EPC   name
#         Get Set Anno codec
ROUTE_B_ID: Final[PropertyDef[RouteBId]] = row(
    0xC0, "Route B identification number",
          M,  NS, O,   RouteBIdCodec())
MINUTE_ENERGY: Final[PropertyDef[TimedNormalReverse]] = row(
    0xD0, "One-minute measured cumulative electric energy (N, R)",
          M,  NS, O,   TimedPair(_KWH))
COEFFICIENT: Final[PropertyDef[int]] = row(
    0xD3, "Coefficient",
          O,  NS, O,   COEFFICIENT_CODEC)
ENERGY_DIGITS: Final[PropertyDef[int]] = row(
    0xD7, "Number of effective digits for cumulative electric energy",
          M,  NS, O,   EFFECTIVE_DIGITS_CODEC)
CUMULATIVE_ENERGY_NORMAL: Final[PropertyDef[int | None]] = row(
    0xE0, "Measured cumulative electric energy (normal direction)",
          M,  NS, O,   SingleReading(_KWH))
ENERGY_UNIT: Final[PropertyDef[int]] = row(
    0xE1, "Unit for cumulative electric energy (normal and reverse directions)",
          M,  NS, O,   CodeTable(UNIT_CODES, "unit {} kWh"))
ENERGY_HISTORY_NORMAL: Final[PropertyDef[HalfHourHistory]] = row(
    0xE2, "Historical data of measured cumulative electric energy (normal direction)",
          M,  NS, O,   DayHistory(_KWH), history=True)
CUMULATIVE_ENERGY_REVERSE: Final[PropertyDef[int | None]] = row(
    0xE3, "Measured cumulative electric energy (reverse direction)",
          M,  NS, O,   SingleReading(_KWH))
ENERGY_HISTORY_REVERSE: Final[PropertyDef[HalfHourHistory]] = row(
    0xE4, "Historical data of measured cumulative electric energy (reverse direction)",
          M,  NS, O,   DayHistory(_KWH), history=True)
HISTORY_DAY: Final[PropertyDef[int | None]] = row(
    0xE5, "Day for which the historical data is to be retrieved",
          M,  M,  O,   HISTORY_DAY_CODEC)
INSTANTANEOUS_POWER: Final[PropertyDef[int | None]] = row(
    0xE7, "Measured instantaneous electric power",
          M,  NS, O,   INSTANT_POWER_CODEC)
INSTANTANEOUS_CURRENTS: Final[PropertyDef[PhaseCurrents]] = row(
    0xE8, "Measured instantaneous currents",
          M,  NS, O,   Currents(2))
FIXED_TIME_ENERGY_NORMAL: Final[PropertyDef[TimedReading]] = row(
    0xEA, "Cumulative electric energy measured at fixed time (normal direction)",
          M,  NS, O,   TimedSingle(_KWH))
FIXED_TIME_ENERGY_REVERSE: Final[PropertyDef[TimedReading]] = row(
    0xEB, "Cumulative electric energy measured at fixed time (reverse direction)",
          M,  NS, O,   TimedSingle(_KWH))
ENERGY_HISTORY_2: Final[PropertyDef[SegmentHistory]] = row(
    0xEC, "Historical data of measured cumulative electric energy 2 (N, R)",
          O,  NS, O,   Segments(_KWH, max_count=12, minute_step=30), history=True)
HISTORY_DAY_2: Final[PropertyDef[HistorySelector]] = row(
    0xED, "Day for which the historical data is to be retrieved 2",
          O,  O,  O,   Selector(max_count=12, minute_step=30))
ENERGY_HISTORY_3: Final[PropertyDef[SegmentHistory]] = row(
    0xEE, "Historical data of measured cumulative electric energy 3 (N, R)",
          M,  NS, O,   Segments(_KWH), history=True)
HISTORY_DAY_3: Final[PropertyDef[HistorySelector]] = row(
    0xEF, "Day for which the historical data is to be retrieved 3",
          M,  M,  O,   Selector())
# fmt: on

_ROWS: Final = (
    ROUTE_B_ID,
    MINUTE_ENERGY,
    COEFFICIENT,
    ENERGY_DIGITS,
    CUMULATIVE_ENERGY_NORMAL,
    ENERGY_UNIT,
    ENERGY_HISTORY_NORMAL,
    CUMULATIVE_ENERGY_REVERSE,
    ENERGY_HISTORY_REVERSE,
    HISTORY_DAY,
    INSTANTANEOUS_POWER,
    INSTANTANEOUS_CURRENTS,
    FIXED_TIME_ENERGY_NORMAL,
    FIXED_TIME_ENERGY_REVERSE,
    ENERGY_HISTORY_2,
    HISTORY_DAY_2,
    ENERGY_HISTORY_3,
    HISTORY_DAY_3,
)

LV_METER: Final = device_class(LV_METER_CLASS, "Low-voltage smart electric energy meter", _ROWS)
