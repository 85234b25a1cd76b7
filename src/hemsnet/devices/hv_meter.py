"""High-voltage smart electric energy meter, class 0x028A [MRA devices/0x028A.json].

The one-direction sibling of 0x028F (reference §9.1): the same EPC numbers, one reading per
value, unit codes without 0x0E. Rules are the MRA's (its AIF is not among our sources).
History EPCs are the ones whose value depends on the 0xE1 selector [MRA ``atomic``].
"""

from __future__ import annotations

from typing import Final

from hemsnet.devices.codecs.primitives import CodeTable
from hemsnet.devices.codecs.readings import (
    COEFFICIENT,
    COEFFICIENT_MULTIPLIER,
    EFFECTIVE_DIGITS,
    FIXED_DATE,
    HISTORY_DAY,
    DayHistory,
    Reading,
    TimedSingle,
)
from hemsnet.devices.model import Quantity
from hemsnet.devices.superclass import NS, M, O, device_class, row
from hemsnet.devices.units import UNIT_CODES

__all__ = ["HV_METER", "HV_METER_CLASS"]

HV_METER_CLASS: Final = 0x028A

_KWH: Final = Quantity.ACTIVE_ENERGY
_KW: Final = Quantity.DEMAND
_KW_MAX: Final = Quantity.CUMULATIVE_MAX_DEMAND
_KVARH: Final = Quantity.REACTIVE_ENERGY


def _unit(unit: str) -> CodeTable:
    return CodeTable(UNIT_CODES, f"unit {{}} {unit}")


# fmt: off
_ROWS: Final = (
    #   EPC   name
    #         Get Set Anno codec
    row(0xC1, "Monthly maximum electric power demand",
              M,  NS, O,   Reading(_KW)),
    row(0xC2, "Cumulative maximum electric power demand",
              O,  NS, O,   Reading(_KW_MAX)),
    row(0xC3, "Electric power demand at fixed time",
              M,  NS, O,   TimedSingle(_KW)),
    row(0xC4, "Number of effective digits of electric power demand",
              M,  NS, O,   EFFECTIVE_DIGITS),
    row(0xC5, "Unit of electric power demand",
              M,  NS, O,   _unit("kW")),
    row(0xC6, "Historical data of measured electric power demand",
              M,  NS, O,   DayHistory(_KW), history=True),
    row(0xC7, "Unit of cumulative maximum electric power demand",
              O,  NS, O,   _unit("kW")),
    row(0xCA, "Reactive electric energy (lag) for power factor",
              O,  NS, O,   TimedSingle(_KVARH)),
    row(0xCB, "Reactive electric energy (lag) at fixed time for power factor",
              O,  NS, O,   TimedSingle(_KVARH)),
    row(0xCC, "Number of effective digits for reactive electric energy",
              O,  NS, O,   EFFECTIVE_DIGITS),
    row(0xCD, "Unit of reactive electric energy",
              O,  NS, O,   _unit("kvarh")),
    row(0xCE, "Historical reactive electric energy (lag) for power factor",
              O,  NS, O,   DayHistory(_KVARH), history=True),
    row(0xD3, "Coefficient",
              M,  NS, O,   COEFFICIENT),
    row(0xD4, "Multiplying factor for coefficient",
              M,  NS, O,   COEFFICIENT_MULTIPLIER),
    row(0xE0, "Fixed date",
              M,  NS, O,   FIXED_DATE),
    row(0xE1, "Day for which the historical data is to be retrieved",
              M,  M,  O,   HISTORY_DAY),
    row(0xE2, "Measured cumulative active electric energy",
              M,  NS, O,   TimedSingle(_KWH)),
    row(0xE3, "Cumulative active electric energy at fixed time",
              M,  NS, O,   TimedSingle(_KWH)),
    row(0xE4, "Cumulative active electric energy for power factor",
              O,  NS, O,   TimedSingle(_KWH)),
    row(0xE5, "Number of effective digits for active electric energy",
              M,  NS, O,   EFFECTIVE_DIGITS),
    row(0xE6, "Unit for cumulative active electric energy",
              M,  NS, O,   _unit("kWh")),
    row(0xE7, "Historical data of cumulative active electric energy",
              M,  NS, O,   DayHistory(_KWH), history=True),
)
# fmt: on

HV_METER: Final = device_class(HV_METER_CLASS, "High-voltage smart electric energy meter", _ROWS)
