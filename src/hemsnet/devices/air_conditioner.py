"""Home air conditioner, class 0x0130.

Rows and rules: [MRA 0x0130] at Release R: the mandatory properties, the outdoor temperature BE
and the super class's power and energy (0x84, 0x85), which a HEMS reads.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from hemsnet.devices.appliance_codecs import celsius_setting
from hemsnet.devices.codecs.primitives import CodeTable, OrNone, SInt
from hemsnet.devices.superclass import NS, M, O, Rules, device_class, row

__all__ = ["AIRCON_SUPER_RULES", "AIR_CONDITIONER", "AIR_CONDITIONER_CLASS", "AirconMode"]

AIR_CONDITIONER_CLASS: Final = 0x0130
AUTO_AIR_FLOW: Final = 0x41


class AirconMode(IntEnum):
    """0xB0 operation mode setting [MRA 0x0130]."""

    AUTO = 0x41
    COOLING = 0x42
    HEATING = 0x43
    DEHUMIDIFICATION = 0x44
    CIRCULATION = 0x45
    OTHER = 0x40


#: The class file's own rules for super class EPCs [MRA 0x0130].
AIRCON_SUPER_RULES: Final[dict[int, Rules]] = {0x80: (M, M, M), 0x8F: (M, M, M)}

_MEASURED: Final = OrNone(SInt(1, -127, 125, unit="\N{DEGREE SIGN}C"), (b"\x7e",), "unmeasurable")
_AIR_FLOW: Final = CodeTable(
    {**{0x30 + level: f"level {level}" for level in range(1, 9)}, AUTO_AIR_FLOW: "auto"}
)

# fmt: off
_ROWS: Final = (
    #   EPC   name                                Get Set Anno codec
    row(0xA0, "Air flow rate setting",            M,  M,  M,  _AIR_FLOW),
    row(0xB0, "Operation mode setting",           M,  M,  M,  CodeTable.of(AirconMode)),
    row(0xB3, "Set temperature value",            M,  M,  O,  celsius_setting(50)),
    row(0xBB, "Measured value of room temperature",
                                                  M,  NS, O,  _MEASURED),
    row(0xBE, "Measured outdoor air temperature", O,  NS, O,  _MEASURED),
)
# fmt: on

AIR_CONDITIONER: Final = device_class(
    AIR_CONDITIONER_CLASS, "Home air conditioner", _ROWS, super_rules=AIRCON_SUPER_RULES
)
