"""Low-voltage smart electric energy meter, class 0x0288 [MRA devices/0x0288.json].

Kept for contrast (reference §9.2): the EPC numbers mean other things than in 0x028F. Energy
readings are scaled by 0xE1 (unit) and 0xD3 (coefficient), there is no 0xD4. EC is the 30-minute
history (selector ED, minutes 00 or 30, up to 12 segments), EE the 1-minute one (selector EF).
Rules are the MRA's; "required_c" (C0, E3, E4, EB) counts as mandatory.
"""

from __future__ import annotations

from typing import Final

from hemsnet.devices.codecs.primitives import CodeTable
from hemsnet.devices.codecs.profile import RouteBIdCodec
from hemsnet.devices.codecs.readings import (
    COEFFICIENT,
    EFFECTIVE_DIGITS,
    HISTORY_DAY,
    INSTANT_POWER,
    Currents,
    DayHistory,
    Reading,
    Segments,
    Selector,
    TimedPair,
    TimedSingle,
)
from hemsnet.devices.model import Quantity
from hemsnet.devices.superclass import NS, M, O, device_class, row
from hemsnet.devices.units import UNIT_CODES

__all__ = ["LV_METER", "LV_METER_CLASS"]

LV_METER_CLASS: Final = 0x0288

_KWH: Final = Quantity.LV_ACTIVE_ENERGY

# fmt: off
_ROWS: Final = (
    #   EPC   name
    #         Get Set Anno codec
    row(0xC0, "Route B identification number",
              M,  NS, O,   RouteBIdCodec()),
    row(0xD0, "One-minute measured cumulative electric energy (N, R)",
              M,  NS, O,   TimedPair(_KWH)),
    row(0xD3, "Coefficient",
              O,  NS, O,   COEFFICIENT),
    row(0xD7, "Number of effective digits for cumulative electric energy",
              M,  NS, O,   EFFECTIVE_DIGITS),
    row(0xE0, "Measured cumulative electric energy (normal direction)",
              M,  NS, O,   Reading(_KWH)),
    row(0xE1, "Unit for cumulative electric energy (normal and reverse directions)",
              M,  NS, O,   CodeTable(UNIT_CODES, "unit {} kWh")),
    row(0xE2, "Historical data of measured cumulative electric energy (normal direction)",
              M,  NS, O,   DayHistory(_KWH), history=True),
    row(0xE3, "Measured cumulative electric energy (reverse direction)",
              M,  NS, O,   Reading(_KWH)),
    row(0xE4, "Historical data of measured cumulative electric energy (reverse direction)",
              M,  NS, O,   DayHistory(_KWH), history=True),
    row(0xE5, "Day for which the historical data is to be retrieved",
              M,  M,  O,   HISTORY_DAY),
    row(0xE7, "Measured instantaneous electric power",
              M,  NS, O,   INSTANT_POWER),
    row(0xE8, "Measured instantaneous currents",
              M,  NS, O,   Currents(2)),
    row(0xEA, "Cumulative electric energy measured at fixed time (normal direction)",
              M,  NS, O,   TimedSingle(_KWH)),
    row(0xEB, "Cumulative electric energy measured at fixed time (reverse direction)",
              M,  NS, O,   TimedSingle(_KWH)),
    row(0xEC, "Historical data of measured cumulative electric energy 2 (N, R)",
              O,  NS, O,   Segments(_KWH, max_count=12, minute_step=30),
                           history=True),
    row(0xED, "Day for which the historical data is to be retrieved 2",
              O,  O,  O,   Selector(max_count=12, minute_step=30)),
    row(0xEE, "Historical data of measured cumulative electric energy 3 (N, R)",
              M,  NS, O,   Segments(_KWH), history=True),
    row(0xEF, "Day for which the historical data is to be retrieved 3",
              M,  M,  O,   Selector()),
)
# fmt: on

LV_METER: Final = device_class(LV_METER_CLASS, "Low-voltage smart electric energy meter", _ROWS)
