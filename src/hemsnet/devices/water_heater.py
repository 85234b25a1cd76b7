"""Electric water heater, class 0x026B.

Rows and rules: [MRA 0x026B] at Release R: the mandatory properties (the energy-shift group
C7-CF included), the temperature setting B3, the measured water temperature C1, the tank E1/E2
and the super class's 0x84/0x85. E3 (automatic bath water heating) is ``required_o``: only for
a unit with a bath function, which the emulator is not.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from hemsnet.devices.appliance_codecs import UIntTuple, celsius_setting
from hemsnet.devices.codecs.primitives import CodeTable, UInt
from hemsnet.devices.superclass import NS, M, O, device_class, row

__all__ = ["WATER_HEATER", "WATER_HEATER_CLASS", "HeatingSetting"]

WATER_HEATER_CLASS: Final = 0x026B


class HeatingSetting(IntEnum):
    """0xB0 automatic water heating setting [MRA 0x026B]."""

    AUTO = 0x41
    MANUAL_HEATING = 0x42
    MANUAL_NO_HEATING = 0x43


_YES_NO: Final = {0x41: "yes", 0x42: "no"}
_HOURS: Final = CodeTable({h: f"{h:02d}:00" for h in (1, 20, 21, 22, 23, 24)})
_SHIFT_1: Final = CodeTable({0x00: "cleared", **{h: f"{h:02d}:00" for h in range(9, 18)}})
_SHIFT_2: Final = CodeTable({0x00: "cleared", **{h: f"{h:02d}:00" for h in range(10, 18)}})
_LITRES: Final = UInt(2, 0, 65533, unit="L")

# fmt: off
_ROWS: Final = (
    #   EPC   name                                           Get Set Anno codec
    row(0xB0, "Automatic water heating setting",             M,  M,  M,
        CodeTable.of(HeatingSetting)),
    row(0xB2, "Water heater status (heating)",               M,  NS, M,  CodeTable(_YES_NO)),
    row(0xB3, "Water heating temperature setting",           O,  O,  O,  celsius_setting(100)),
    row(0xC0, "Daytime reheating permission setting",        M,  M,  O,  CodeTable(_YES_NO)),
    row(0xC1, "Measured temperature of water in water heater",
                                                             O,  NS, O,
        UInt(1, 0, 100, unit="\N{DEGREE SIGN}C")),
    row(0xC3, "Hot water supply status (supplying)",         M,  NS, M,  CodeTable(_YES_NO)),
    row(0xC7, "Participation in energy shift",               M,  M,  O,
        CodeTable({0x01: "participating", 0x00: "not participating"})),
    row(0xC8, "Standard time to start heating",              M,  NS, O,  _HOURS),
    row(0xC9, "Number of energy shifts",                     M,  NS, O,  UInt(1, 1, 2)),
    row(0xCA, "Daytime heating shift time 1",                M,  M,  O,  _SHIFT_1),
    row(0xCB, "Expected electric energy at daytime heating shift time 1",
                                                             M,  NS, O,
        UIntTuple(4, 4, 4_294_967_293, "Wh")),
    row(0xCC, "Consumption of electric energy per hour 1",   M,  NS, O,
        UIntTuple(2, 4, 65533, "Wh")),
    row(0xCD, "Daytime heating shift time 2",                M,  M,  O,  _SHIFT_2),
    row(0xCE, "Expected electric energy at daytime heating shift time 2",
                                                             M,  NS, O,
        UIntTuple(4, 3, 4_294_967_293, "Wh")),
    row(0xCF, "Consumption of electric energy per hour 2",   M,  NS, O,
        UIntTuple(2, 3, 65533, "Wh")),
    row(0xE1, "Measured amount of water remaining in tank",  O,  NS, O,  _LITRES),
    row(0xE2, "Tank capacity",                               O,  NS, O,  _LITRES),
)
# fmt: on

WATER_HEATER: Final = device_class(WATER_HEATER_CLASS, "Electric water heater", _ROWS)
