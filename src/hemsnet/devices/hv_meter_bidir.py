"""Bidirectional high-voltage smart electric energy meter, class 0x028F.

Rules: [AIF Table 2-3] for the super class rows and [AIF Table 2-4] for the class rows; they
override [MRA 0x028F] (which marks 0x80 Set optional and every announcement optional). The MRA's
optional D1, D5, D6 and EE, absent from the AIF, keep their MRA rules. Formats: [MRA 0x028F].

History EPCs (response-wait timer 2, alone in a request [AIF 2.4.2, 2.4.4]): E7 E8 C6 C8 CE CF
ED, plus EE, which the AIF does not know but which is the 1-minute history of the same shape as
ED behind the same selector EF [MRA 0x028F ``atomic``].

Every row is a named, typed constant, the very object in :data:`HV_METER_BIDIR`: a caller that
knows which EPC it reads decodes with it and gets the value's type, e.g.
``FIXED_TIME_ENERGY.decode(edt)`` is a :class:`~hemsnet.devices.values.TimedNormalReverse`.
"""

from __future__ import annotations

from typing import Final

from hemsnet.devices import superclass
from hemsnet.devices.codecs.primitives import CodeTable
from hemsnet.devices.codecs.profile import RouteBIdCodec
from hemsnet.devices.codecs.readings import (
    COEFFICIENT_CODEC,
    COEFFICIENT_MULTIPLIER_CODEC,
    EFFECTIVE_DIGITS_CODEC,
    FIXED_DATE_CODEC,
    HISTORY_DAY_CODEC,
    INSTANT_POWER_CODEC,
    Currents,
    DayHistory,
    ReadingPair,
    Segments,
    Selector,
    TimedPair,
)
from hemsnet.devices.model import PropertyDef, Quantity
from hemsnet.devices.superclass import (
    NS,
    OPERATION_STATUS_CODEC,
    M,
    O,
    X,
    device_class,
    inherit,
    row,
)
from hemsnet.devices.units import UNIT_CODES_BIDIR
from hemsnet.devices.values import (
    HalfHourHistory,
    HistorySelector,
    NormalReverse,
    OperationStatus,
    PhaseCurrents,
    RouteBId,
    SegmentHistory,
    TimedNormalReverse,
)

__all__ = [
    "ANNOUNCEMENT_PROPERTY_MAP",
    "COEFFICIENT",
    "CUMULATIVE_ENERGY",
    "CUMULATIVE_MAX_DEMAND",
    "CUMULATIVE_MAX_DEMAND_UNIT",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "DEMAND_DIGITS",
    "DEMAND_HISTORY_NORMAL",
    "DEMAND_HISTORY_REVERSE",
    "DEMAND_UNIT",
    "ENERGY_DIGITS",
    "ENERGY_HISTORY_2",
    "ENERGY_HISTORY_NORMAL",
    "ENERGY_HISTORY_REVERSE",
    "ENERGY_UNIT",
    "FAULT_STATUS",
    "FIXED_DATE",
    "FIXED_TIME_DEMAND",
    "FIXED_TIME_ENERGY",
    "FIXED_TIME_REACTIVE_ENERGY",
    "GET_PROPERTY_MAP",
    "HISTORY_DAY",
    "HISTORY_DAY_2",
    "HV_METER_BIDIR",
    "HV_METER_BIDIR_CLASS",
    "INSTALLATION_LOCATION",
    "INSTANTANEOUS_CURRENTS",
    "INSTANTANEOUS_POWER",
    "MANUFACTURER_CODE",
    "MINUTE_ENERGY",
    "MINUTE_REACTIVE_ENERGY",
    "MONTHLY_MAX_DEMAND",
    "MULTIPLYING_FACTOR",
    "OPERATION_STATUS",
    "POWER_FACTOR_ENERGY",
    "POWER_FACTOR_REACTIVE_ENERGY",
    "PRESENT_REACTIVE_ENERGY_LAG",
    "PRESENT_REACTIVE_ENERGY_LEAD",
    "PRODUCTION_NUMBER",
    "REACTIVE_ENERGY_DIGITS",
    "REACTIVE_ENERGY_HISTORY_2",
    "REACTIVE_ENERGY_HISTORY_NORMAL",
    "REACTIVE_ENERGY_HISTORY_REVERSE",
    "REACTIVE_ENERGY_UNIT",
    "ROUTE_B_ID",
    "SET_PROPERTY_MAP",
    "STANDARD_VERSION",
]

HV_METER_BIDIR_CLASS: Final = 0x028F

# [AIF Table 2-3]: the super class rows with the rules (Get, Set, Announcement) the AIF states
# for 0x028F. The super class rows it does not list keep the MRA's rules.
# fmt: off
#                                                                                  Get Set Anno
INSTALLATION_LOCATION: Final = inherit(superclass.INSTALLATION_LOCATION,           M,  M,  M)
STANDARD_VERSION: Final = inherit(superclass.STANDARD_VERSION,                     M,  NS, NS)
FAULT_STATUS: Final = inherit(superclass.FAULT_STATUS,                             M,  NS, M)
MANUFACTURER_CODE: Final = inherit(superclass.MANUFACTURER_CODE,                   M,  NS, NS)
PRODUCTION_NUMBER: Final = inherit(superclass.PRODUCTION_NUMBER,                   O,  NS, NS)
CURRENT_TIME: Final = inherit(superclass.CURRENT_TIME,                             M,  X,  NS)
CURRENT_DATE: Final = inherit(superclass.CURRENT_DATE,                             M,  X,  NS)
ANNOUNCEMENT_PROPERTY_MAP: Final = inherit(superclass.ANNOUNCEMENT_PROPERTY_MAP,   M,  NS, NS)
SET_PROPERTY_MAP: Final = inherit(superclass.SET_PROPERTY_MAP,                     M,  NS, NS)
GET_PROPERTY_MAP: Final = inherit(superclass.GET_PROPERTY_MAP,                     M,  NS, NS)
# fmt: on

_AIF_SUPER_CLASS_ROWS: Final = (
    INSTALLATION_LOCATION,
    STANDARD_VERSION,
    FAULT_STATUS,
    MANUFACTURER_CODE,
    PRODUCTION_NUMBER,
    CURRENT_TIME,
    CURRENT_DATE,
    ANNOUNCEMENT_PROPERTY_MAP,
    SET_PROPERTY_MAP,
    GET_PROPERTY_MAP,
)

_KWH: Final = Quantity.ACTIVE_ENERGY
_KW: Final = Quantity.DEMAND
_KW_MAX: Final = Quantity.CUMULATIVE_MAX_DEMAND
_KVARH: Final = Quantity.REACTIVE_ENERGY


def _unit(unit: str) -> CodeTable:
    return CodeTable(UNIT_CODES_BIDIR, f"unit {{}} {unit}")


# [AIF Table 2-4]
# fmt: off
#   EPC   name
#         Get Set Anno codec
OPERATION_STATUS: Final[PropertyDef[OperationStatus]] = row(
    0x80, "Operation status",
          M,  NS, M,   OPERATION_STATUS_CODEC)
ROUTE_B_ID: Final[PropertyDef[RouteBId]] = row(
    0xC0, "Route B identification number",
          M,  NS, NS,  RouteBIdCodec())
MONTHLY_MAX_DEMAND: Final[PropertyDef[NormalReverse]] = row(
    0xC1, "Monthly maximum electric power demand (N, R)",
          M,  NS, NS,  ReadingPair(_KW))
CUMULATIVE_MAX_DEMAND: Final[PropertyDef[NormalReverse]] = row(
    0xC2, "Cumulative maximum electric power demand (N, R)",
          O,  NS, NS,  ReadingPair(_KW_MAX))
FIXED_TIME_DEMAND: Final[PropertyDef[TimedNormalReverse]] = row(
    0xC3, "Electric power demand at fixed time (N, R)",
          M,  NS, NS,  TimedPair(_KW))
DEMAND_DIGITS: Final[PropertyDef[int]] = row(
    0xC4, "Number of effective digits of electric power demand",
          M,  NS, NS,  EFFECTIVE_DIGITS_CODEC)
DEMAND_UNIT: Final[PropertyDef[int]] = row(
    0xC5, "Unit of electric power demand",
          M,  NS, NS,  _unit("kW"))
DEMAND_HISTORY_NORMAL: Final[PropertyDef[HalfHourHistory]] = row(
    0xC6, "Historical data of measured electric power demand (N)",
          M,  NS, NS,  DayHistory(_KW), history=True)
CUMULATIVE_MAX_DEMAND_UNIT: Final[PropertyDef[int]] = row(
    0xC7, "Unit of cumulative maximum electric power demand",
          O,  NS, NS,  _unit("kW"))
DEMAND_HISTORY_REVERSE: Final[PropertyDef[HalfHourHistory]] = row(
    0xC8, "Historical data of measured electric power demand (R)",
          M,  NS, NS,  DayHistory(_KW), history=True)
POWER_FACTOR_REACTIVE_ENERGY: Final[PropertyDef[TimedNormalReverse]] = row(
    0xCA, "Reactive electric energy (lag) for power factor (N, R)",
          O,  NS, NS,  TimedPair(_KVARH))
FIXED_TIME_REACTIVE_ENERGY: Final[PropertyDef[TimedNormalReverse]] = row(
    0xCB, "Reactive electric energy (lag) at fixed time for power factor (N, R)",
          O,  NS, NS,  TimedPair(_KVARH))
REACTIVE_ENERGY_DIGITS: Final[PropertyDef[int]] = row(
    0xCC, "Number of effective digits for reactive electric energy",
          O,  NS, NS,  EFFECTIVE_DIGITS_CODEC)
REACTIVE_ENERGY_UNIT: Final[PropertyDef[int]] = row(
    0xCD, "Unit of reactive electric energy",
          O,  NS, NS,  _unit("kvarh"))
REACTIVE_ENERGY_HISTORY_NORMAL: Final[PropertyDef[HalfHourHistory]] = row(
    0xCE, "Historical reactive electric energy (lag) for power factor (N)",
          O,  NS, NS,  DayHistory(_KVARH), history=True)
REACTIVE_ENERGY_HISTORY_REVERSE: Final[PropertyDef[HalfHourHistory]] = row(
    0xCF, "Historical reactive electric energy (lag) for power factor (R)",
          O,  NS, NS,  DayHistory(_KVARH), history=True)
MINUTE_ENERGY: Final[PropertyDef[TimedNormalReverse]] = row(
    0xD0, "One-minute measured cumulative active electric energy (N, R)",
          M,  NS, NS,  TimedPair(_KWH))
MINUTE_REACTIVE_ENERGY: Final[PropertyDef[TimedNormalReverse]] = row(
    0xD1, "One-minute measured cumulative reactive electric energy (lag) (N, R)",
          O,  NS, O,   TimedPair(_KVARH))
COEFFICIENT: Final[PropertyDef[int]] = row(
    0xD3, "Coefficient",
          M,  NS, NS,  COEFFICIENT_CODEC)
MULTIPLYING_FACTOR: Final[PropertyDef[int]] = row(
    0xD4, "Multiplying factor for coefficient",
          M,  NS, NS,  COEFFICIENT_MULTIPLIER_CODEC)
PRESENT_REACTIVE_ENERGY_LAG: Final[PropertyDef[TimedNormalReverse]] = row(
    0xD5, "Present cumulative reactive electric energy (lag) (N, R)",
          O,  NS, O,   TimedPair(_KVARH))
PRESENT_REACTIVE_ENERGY_LEAD: Final[PropertyDef[TimedNormalReverse]] = row(
    0xD6, "Present cumulative reactive electric energy (lead) (N, R)",
          O,  NS, O,   TimedPair(_KVARH))
FIXED_DATE: Final[PropertyDef[int]] = row(
    0xE0, "Fixed date",
          M,  NS, NS,  FIXED_DATE_CODEC)
HISTORY_DAY: Final[PropertyDef[int | None]] = row(
    0xE1, "Day for which the historical data is to be retrieved",
          M,  M,  NS,  HISTORY_DAY_CODEC)
CUMULATIVE_ENERGY: Final[PropertyDef[TimedNormalReverse]] = row(
    0xE2, "Measured cumulative active electric energy (N, R)",
          M,  NS, NS,  TimedPair(_KWH))
FIXED_TIME_ENERGY: Final[PropertyDef[TimedNormalReverse]] = row(
    0xE3, "Cumulative active electric energy at fixed time (N, R)",
          M,  NS, NS,  TimedPair(_KWH))
POWER_FACTOR_ENERGY: Final[PropertyDef[TimedNormalReverse]] = row(
    0xE4, "Cumulative active electric energy for power factor (N, R)",
          O,  NS, NS,  TimedPair(_KWH))
ENERGY_DIGITS: Final[PropertyDef[int]] = row(
    0xE5, "Number of effective digits for active electric energy",
          M,  NS, NS,  EFFECTIVE_DIGITS_CODEC)
ENERGY_UNIT: Final[PropertyDef[int]] = row(
    0xE6, "Unit for cumulative active electric energy",
          M,  NS, NS,  _unit("kWh"))
ENERGY_HISTORY_NORMAL: Final[PropertyDef[HalfHourHistory]] = row(
    0xE7, "Historical data of cumulative active electric energy (N)",
          M,  NS, NS,  DayHistory(_KWH), history=True)
ENERGY_HISTORY_REVERSE: Final[PropertyDef[HalfHourHistory]] = row(
    0xE8, "Historical data of cumulative active electric energy (R)",
          M,  NS, NS,  DayHistory(_KWH), history=True)
INSTANTANEOUS_POWER: Final[PropertyDef[int | None]] = row(
    0xEA, "Measured instantaneous electric power",
          M,  NS, NS,  INSTANT_POWER_CODEC)
INSTANTANEOUS_CURRENTS: Final[PropertyDef[PhaseCurrents]] = row(
    0xEB, "Measured instantaneous currents 2",
          M,  NS, NS,  Currents(4))
ENERGY_HISTORY_2: Final[PropertyDef[SegmentHistory]] = row(
    0xED, "Historical data of cumulative active electric energy 2 (N, R)",
          M,  NS, NS,  Segments(_KWH), history=True)
REACTIVE_ENERGY_HISTORY_2: Final[PropertyDef[SegmentHistory]] = row(
    0xEE, "Historical reactive electric energy (lag) for power factor 2 (N, R)",
          O,  NS, O,   Segments(_KVARH), history=True)
HISTORY_DAY_2: Final[PropertyDef[HistorySelector]] = row(
    0xEF, "Day for which the historical data is to be retrieved 2",
          M,  M,  NS,  Selector())
# fmt: on

_ROWS: Final = (
    OPERATION_STATUS,
    ROUTE_B_ID,
    MONTHLY_MAX_DEMAND,
    CUMULATIVE_MAX_DEMAND,
    FIXED_TIME_DEMAND,
    DEMAND_DIGITS,
    DEMAND_UNIT,
    DEMAND_HISTORY_NORMAL,
    CUMULATIVE_MAX_DEMAND_UNIT,
    DEMAND_HISTORY_REVERSE,
    POWER_FACTOR_REACTIVE_ENERGY,
    FIXED_TIME_REACTIVE_ENERGY,
    REACTIVE_ENERGY_DIGITS,
    REACTIVE_ENERGY_UNIT,
    REACTIVE_ENERGY_HISTORY_NORMAL,
    REACTIVE_ENERGY_HISTORY_REVERSE,
    MINUTE_ENERGY,
    MINUTE_REACTIVE_ENERGY,
    COEFFICIENT,
    MULTIPLYING_FACTOR,
    PRESENT_REACTIVE_ENERGY_LAG,
    PRESENT_REACTIVE_ENERGY_LEAD,
    FIXED_DATE,
    HISTORY_DAY,
    CUMULATIVE_ENERGY,
    FIXED_TIME_ENERGY,
    POWER_FACTOR_ENERGY,
    ENERGY_DIGITS,
    ENERGY_UNIT,
    ENERGY_HISTORY_NORMAL,
    ENERGY_HISTORY_REVERSE,
    INSTANTANEOUS_POWER,
    INSTANTANEOUS_CURRENTS,
    ENERGY_HISTORY_2,
    REACTIVE_ENERGY_HISTORY_2,
    HISTORY_DAY_2,
)

HV_METER_BIDIR: Final = device_class(
    HV_METER_BIDIR_CLASS,
    "Bidirectional high-voltage smart electric energy meter",
    (*_AIF_SUPER_CLASS_ROWS, *_ROWS),
)
