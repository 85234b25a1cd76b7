"""Bidirectional high-voltage smart electric energy meter, class 0x028F.

Rules: [AIF Table 2-3] for the super class rows and [AIF Table 2-4] for the class rows; they
override [MRA 0x028F] (which marks 0x80 Set optional and every announcement optional). The MRA's
optional D1, D5, D6 and EE, absent from the AIF, keep their MRA rules. Formats: [MRA 0x028F].

History EPCs (response-wait timer 2, alone in a request [AIF 2.4.2, 2.4.4]): E7 E8 C6 C8 CE CF
ED, plus EE, which the AIF does not know but which is the 1-minute history of the same shape as
ED behind the same selector EF [MRA 0x028F ``atomic``].
"""

from __future__ import annotations

from typing import Final

from hemsnet.devices.codecs.primitives import CodeTable
from hemsnet.devices.codecs.profile import RouteBIdCodec
from hemsnet.devices.codecs.readings import (
    COEFFICIENT,
    COEFFICIENT_MULTIPLIER,
    EFFECTIVE_DIGITS,
    FIXED_DATE,
    HISTORY_DAY,
    INSTANT_POWER,
    Currents,
    DayHistory,
    ReadingPair,
    Segments,
    Selector,
    TimedPair,
)
from hemsnet.devices.model import Quantity
from hemsnet.devices.superclass import NS, OPERATION_STATUS, M, O, Rules, X, device_class, row
from hemsnet.devices.units import UNIT_CODES_BIDIR

__all__ = ["AIF_SUPER_CLASS_RULES", "HV_METER_BIDIR", "HV_METER_BIDIR_CLASS"]

HV_METER_BIDIR_CLASS: Final = 0x028F

#: [AIF Table 2-3] super class requirements (Get, Set, Announcement) for 0x028F.
AIF_SUPER_CLASS_RULES: Final[dict[int, Rules]] = {
    0x81: (M, M, M),
    0x82: (M, NS, NS),
    0x88: (M, NS, M),
    0x8A: (M, NS, NS),
    0x8D: (O, NS, NS),
    0x97: (M, X, NS),  # Set: "installation prohibited"
    0x98: (M, X, NS),
    0x9D: (M, NS, NS),
    0x9E: (M, NS, NS),
    0x9F: (M, NS, NS),
}

_KWH: Final = Quantity.ACTIVE_ENERGY
_KW: Final = Quantity.DEMAND
_KW_MAX: Final = Quantity.CUMULATIVE_MAX_DEMAND
_KVARH: Final = Quantity.REACTIVE_ENERGY


def _unit(unit: str) -> CodeTable:
    return CodeTable(UNIT_CODES_BIDIR, f"unit {{}} {unit}")


# fmt: off
_ROWS: Final = (
    #   EPC   name
    #         Get Set Anno codec
    row(0x80, "Operation status",
              M,  NS, M,   OPERATION_STATUS),
    row(0xC0, "Route B identification number",
              M,  NS, NS,  RouteBIdCodec()),
    row(0xC1, "Monthly maximum electric power demand (N, R)",
              M,  NS, NS,  ReadingPair(_KW)),
    row(0xC2, "Cumulative maximum electric power demand (N, R)",
              O,  NS, NS,  ReadingPair(_KW_MAX)),
    row(0xC3, "Electric power demand at fixed time (N, R)",
              M,  NS, NS,  TimedPair(_KW)),
    row(0xC4, "Number of effective digits of electric power demand",
              M,  NS, NS,  EFFECTIVE_DIGITS),
    row(0xC5, "Unit of electric power demand",
              M,  NS, NS,  _unit("kW")),
    row(0xC6, "Historical data of measured electric power demand (N)",
              M,  NS, NS,  DayHistory(_KW), history=True),
    row(0xC7, "Unit of cumulative maximum electric power demand",
              O,  NS, NS,  _unit("kW")),
    row(0xC8, "Historical data of measured electric power demand (R)",
              M,  NS, NS,  DayHistory(_KW), history=True),
    row(0xCA, "Reactive electric energy (lag) for power factor (N, R)",
              O,  NS, NS,  TimedPair(_KVARH)),
    row(0xCB, "Reactive electric energy (lag) at fixed time for power factor (N, R)",
              O,  NS, NS,  TimedPair(_KVARH)),
    row(0xCC, "Number of effective digits for reactive electric energy",
              O,  NS, NS,  EFFECTIVE_DIGITS),
    row(0xCD, "Unit of reactive electric energy",
              O,  NS, NS,  _unit("kvarh")),
    row(0xCE, "Historical reactive electric energy (lag) for power factor (N)",
              O,  NS, NS,  DayHistory(_KVARH), history=True),
    row(0xCF, "Historical reactive electric energy (lag) for power factor (R)",
              O,  NS, NS,  DayHistory(_KVARH), history=True),
    row(0xD0, "One-minute measured cumulative active electric energy (N, R)",
              M,  NS, NS,  TimedPair(_KWH)),
    row(0xD1, "One-minute measured cumulative reactive electric energy (lag) (N, R)",
              O,  NS, O,   TimedPair(_KVARH)),
    row(0xD3, "Coefficient",
              M,  NS, NS,  COEFFICIENT),
    row(0xD4, "Multiplying factor for coefficient",
              M,  NS, NS,  COEFFICIENT_MULTIPLIER),
    row(0xD5, "Present cumulative reactive electric energy (lag) (N, R)",
              O,  NS, O,   TimedPair(_KVARH)),
    row(0xD6, "Present cumulative reactive electric energy (lead) (N, R)",
              O,  NS, O,   TimedPair(_KVARH)),
    row(0xE0, "Fixed date",
              M,  NS, NS,  FIXED_DATE),
    row(0xE1, "Day for which the historical data is to be retrieved",
              M,  M,  NS,  HISTORY_DAY),
    row(0xE2, "Measured cumulative active electric energy (N, R)",
              M,  NS, NS,  TimedPair(_KWH)),
    row(0xE3, "Cumulative active electric energy at fixed time (N, R)",
              M,  NS, NS,  TimedPair(_KWH)),
    row(0xE4, "Cumulative active electric energy for power factor (N, R)",
              O,  NS, NS,  TimedPair(_KWH)),
    row(0xE5, "Number of effective digits for active electric energy",
              M,  NS, NS,  EFFECTIVE_DIGITS),
    row(0xE6, "Unit for cumulative active electric energy",
              M,  NS, NS,  _unit("kWh")),
    row(0xE7, "Historical data of cumulative active electric energy (N)",
              M,  NS, NS,  DayHistory(_KWH), history=True),
    row(0xE8, "Historical data of cumulative active electric energy (R)",
              M,  NS, NS,  DayHistory(_KWH), history=True),
    row(0xEA, "Measured instantaneous electric power",
              M,  NS, NS,  INSTANT_POWER),
    row(0xEB, "Measured instantaneous currents 2",
              M,  NS, NS,  Currents(4)),
    row(0xED, "Historical data of cumulative active electric energy 2 (N, R)",
              M,  NS, NS,  Segments(_KWH), history=True),
    row(0xEE, "Historical reactive electric energy (lag) for power factor 2 (N, R)",
              O,  NS, O,   Segments(_KVARH), history=True),
    row(0xEF, "Day for which the historical data is to be retrieved 2",
              M,  M,  NS,  Selector()),
)
# fmt: on

HV_METER_BIDIR: Final = device_class(
    HV_METER_BIDIR_CLASS,
    "Bidirectional high-voltage smart electric energy meter",
    _ROWS,
    super_rules=AIF_SUPER_CLASS_RULES,
)
