"""High-voltage smart electric energy meter, class 0x028A [MRA devices/0x028A.json].

The one-direction sibling of 0x028F (reference §9.1): the same EPC numbers, one reading per
value, unit codes without 0x0E. Rules are the MRA's (its AIF is not among our sources).
History EPCs are the ones whose value depends on the 0xE1 selector [MRA ``atomic``].

Every class row is a named, typed constant, the very object in :data:`HV_METER`.
"""

from __future__ import annotations

from typing import Final

from hemsnet.devices.codecs.primitives import CodeTable
from hemsnet.devices.codecs.readings import (
    COEFFICIENT_CODEC,
    COEFFICIENT_MULTIPLIER_CODEC,
    EFFECTIVE_DIGITS_CODEC,
    FIXED_DATE_CODEC,
    HISTORY_DAY_CODEC,
    DayHistory,
    SingleReading,
    TimedSingle,
)
from hemsnet.devices.model import PropertyDef, Quantity
from hemsnet.devices.superclass import NS, M, O, device_class, row
from hemsnet.devices.units import UNIT_CODES
from hemsnet.devices.values import HalfHourHistory, TimedReading

__all__ = [
    "COEFFICIENT",
    "CUMULATIVE_ENERGY",
    "CUMULATIVE_MAX_DEMAND",
    "CUMULATIVE_MAX_DEMAND_UNIT",
    "DEMAND_DIGITS",
    "DEMAND_HISTORY",
    "DEMAND_UNIT",
    "ENERGY_DIGITS",
    "ENERGY_HISTORY",
    "ENERGY_UNIT",
    "FIXED_DATE",
    "FIXED_TIME_DEMAND",
    "FIXED_TIME_ENERGY",
    "FIXED_TIME_REACTIVE_ENERGY",
    "HISTORY_DAY",
    "HV_METER",
    "HV_METER_CLASS",
    "MONTHLY_MAX_DEMAND",
    "MULTIPLYING_FACTOR",
    "POWER_FACTOR_ENERGY",
    "POWER_FACTOR_REACTIVE_ENERGY",
    "REACTIVE_ENERGY_DIGITS",
    "REACTIVE_ENERGY_HISTORY",
    "REACTIVE_ENERGY_UNIT",
]

HV_METER_CLASS: Final = 0x028A

_KWH: Final = Quantity.ACTIVE_ENERGY
_KW: Final = Quantity.DEMAND
_KW_MAX: Final = Quantity.CUMULATIVE_MAX_DEMAND
_KVARH: Final = Quantity.REACTIVE_ENERGY


def _unit(unit: str) -> CodeTable:
    return CodeTable(UNIT_CODES, f"unit {{}} {unit}")


# fmt: off
#   EPC   name
#         Get Set Anno codec
MONTHLY_MAX_DEMAND: Final[PropertyDef[int | None]] = row(
    0xC1, "Monthly maximum electric power demand",
          M,  NS, O,   SingleReading(_KW))
CUMULATIVE_MAX_DEMAND: Final[PropertyDef[int | None]] = row(
    0xC2, "Cumulative maximum electric power demand",
          O,  NS, O,   SingleReading(_KW_MAX))
FIXED_TIME_DEMAND: Final[PropertyDef[TimedReading]] = row(
    0xC3, "Electric power demand at fixed time",
          M,  NS, O,   TimedSingle(_KW))
DEMAND_DIGITS: Final[PropertyDef[int]] = row(
    0xC4, "Number of effective digits of electric power demand",
          M,  NS, O,   EFFECTIVE_DIGITS_CODEC)
DEMAND_UNIT: Final[PropertyDef[int]] = row(
    0xC5, "Unit of electric power demand",
          M,  NS, O,   _unit("kW"))
DEMAND_HISTORY: Final[PropertyDef[HalfHourHistory]] = row(
    0xC6, "Historical data of measured electric power demand",
          M,  NS, O,   DayHistory(_KW), history=True)
CUMULATIVE_MAX_DEMAND_UNIT: Final[PropertyDef[int]] = row(
    0xC7, "Unit of cumulative maximum electric power demand",
          O,  NS, O,   _unit("kW"))
POWER_FACTOR_REACTIVE_ENERGY: Final[PropertyDef[TimedReading]] = row(
    0xCA, "Reactive electric energy (lag) for power factor",
          O,  NS, O,   TimedSingle(_KVARH))
FIXED_TIME_REACTIVE_ENERGY: Final[PropertyDef[TimedReading]] = row(
    0xCB, "Reactive electric energy (lag) at fixed time for power factor",
          O,  NS, O,   TimedSingle(_KVARH))
REACTIVE_ENERGY_DIGITS: Final[PropertyDef[int]] = row(
    0xCC, "Number of effective digits for reactive electric energy",
          O,  NS, O,   EFFECTIVE_DIGITS_CODEC)
REACTIVE_ENERGY_UNIT: Final[PropertyDef[int]] = row(
    0xCD, "Unit of reactive electric energy",
          O,  NS, O,   _unit("kvarh"))
REACTIVE_ENERGY_HISTORY: Final[PropertyDef[HalfHourHistory]] = row(
    0xCE, "Historical reactive electric energy (lag) for power factor",
          O,  NS, O,   DayHistory(_KVARH), history=True)
COEFFICIENT: Final[PropertyDef[int]] = row(
    0xD3, "Coefficient",
          M,  NS, O,   COEFFICIENT_CODEC)
MULTIPLYING_FACTOR: Final[PropertyDef[int]] = row(
    0xD4, "Multiplying factor for coefficient",
          M,  NS, O,   COEFFICIENT_MULTIPLIER_CODEC)
FIXED_DATE: Final[PropertyDef[int]] = row(
    0xE0, "Fixed date",
          M,  NS, O,   FIXED_DATE_CODEC)
HISTORY_DAY: Final[PropertyDef[int | None]] = row(
    0xE1, "Day for which the historical data is to be retrieved",
          M,  M,  O,   HISTORY_DAY_CODEC)
CUMULATIVE_ENERGY: Final[PropertyDef[TimedReading]] = row(
    0xE2, "Measured cumulative active electric energy",
          M,  NS, O,   TimedSingle(_KWH))
FIXED_TIME_ENERGY: Final[PropertyDef[TimedReading]] = row(
    0xE3, "Cumulative active electric energy at fixed time",
          M,  NS, O,   TimedSingle(_KWH))
POWER_FACTOR_ENERGY: Final[PropertyDef[TimedReading]] = row(
    0xE4, "Cumulative active electric energy for power factor",
          O,  NS, O,   TimedSingle(_KWH))
ENERGY_DIGITS: Final[PropertyDef[int]] = row(
    0xE5, "Number of effective digits for active electric energy",
          M,  NS, O,   EFFECTIVE_DIGITS_CODEC)
ENERGY_UNIT: Final[PropertyDef[int]] = row(
    0xE6, "Unit for cumulative active electric energy",
          M,  NS, O,   _unit("kWh"))
ENERGY_HISTORY: Final[PropertyDef[HalfHourHistory]] = row(
    0xE7, "Historical data of cumulative active electric energy",
          M,  NS, O,   DayHistory(_KWH), history=True)
# fmt: on

_ROWS: Final = (
    MONTHLY_MAX_DEMAND,
    CUMULATIVE_MAX_DEMAND,
    FIXED_TIME_DEMAND,
    DEMAND_DIGITS,
    DEMAND_UNIT,
    DEMAND_HISTORY,
    CUMULATIVE_MAX_DEMAND_UNIT,
    POWER_FACTOR_REACTIVE_ENERGY,
    FIXED_TIME_REACTIVE_ENERGY,
    REACTIVE_ENERGY_DIGITS,
    REACTIVE_ENERGY_UNIT,
    REACTIVE_ENERGY_HISTORY,
    COEFFICIENT,
    MULTIPLYING_FACTOR,
    FIXED_DATE,
    HISTORY_DAY,
    CUMULATIVE_ENERGY,
    FIXED_TIME_ENERGY,
    POWER_FACTOR_ENERGY,
    ENERGY_DIGITS,
    ENERGY_UNIT,
    ENERGY_HISTORY,
)

HV_METER: Final = device_class(HV_METER_CLASS, "High-voltage smart electric energy meter", _ROWS)
