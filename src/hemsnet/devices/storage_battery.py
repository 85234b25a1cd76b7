"""Storage battery, class 0x027D.

Rows and rules: [MRA 0x027D] at Release R, the class's mandatory properties and the ones a HEMS
reads (rated energy D0, instantaneous power D3, cumulative energies D6/D8). Of the
"one of E2/E3/E4" remaining-capacity group (``required_c``) E2 (Wh) and E4 (%) are served.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from hemsnet.devices.appliance_codecs import (
    INTERCONNECTION,
    KWH_MILLI,
    PERCENT,
    SIGNED_WATTS,
    WATT_HOURS,
    UIntTuple,
)
from hemsnet.devices.codecs.primitives import CodeTable, OrNone, UInt
from hemsnet.devices.model import PropertyDef
from hemsnet.devices.superclass import NS, M, O, Rules, device_class, row

__all__ = [
    "BATTERY_SUPER_RULES",
    "CHARGING_DISCHARGING_POWER",
    "STORAGE_BATTERY",
    "STORAGE_BATTERY_CLASS",
    "BatteryMode",
    "ChargingMethod",
    "DischargingMethod",
]

STORAGE_BATTERY_CLASS: Final = 0x027D


class BatteryMode(IntEnum):
    """0xDA operation mode setting and 0xCF working operation status [MRA 0x027D]."""

    RAPID_CHARGING = 0x41
    CHARGING = 0x42
    DISCHARGING = 0x43
    STANDBY = 0x44
    TEST = 0x45
    AUTO = 0x46
    RESTART = 0x48
    CAPACITY_RECALCULATION = 0x49
    OTHER = 0x40


class ChargingMethod(IntEnum):
    """0xC1 [MRA 0x027D]."""

    MAXIMUM = 0x01
    SURPLUS = 0x02
    DESIGNATED_POWER = 0x03
    DESIGNATED_CURRENT = 0x04
    OTHER = 0x00


class DischargingMethod(IntEnum):
    """0xC2 [MRA 0x027D]."""

    MAXIMUM = 0x01
    LOAD_FOLLOWING = 0x02
    DESIGNATED_POWER = 0x03
    DESIGNATED_CURRENT = 0x04
    OTHER = 0x00


#: The class file's own rules for super class EPCs [MRA 0x027D].
BATTERY_SUPER_RULES: Final[dict[int, Rules]] = {
    0x89: (M, NS, O),
    0x8C: (M, NS, O),
    0x97: (M, O, O),
    0x98: (M, O, O),
}

_MODE: Final = CodeTable.of(BatteryMode)
_CHARGING: Final = CodeTable.of(ChargingMethod)
_DISCHARGING: Final = CodeTable.of(DischargingMethod)
_INTERCONNECTION: Final = CodeTable(INTERCONNECTION)
_AMOUNT: Final = OrNone(UInt(4, 1, 999_999_999, unit="Wh"), (bytes(4),), "no setting", True)
_MIN_MAX_W: Final = UIntTuple(4, 2, 999_999_999, "W")
_BATTERY_TYPE: Final = CodeTable(
    {0x00: "unknown", 0x01: "lead", 0x02: "Ni-MH", 0x03: "Ni-Cd", 0x04: "lithium-ion",
     0x05: "zinc", 0x06: "alkaline"}
)  # fmt: skip

#: The power a HEMS reads of this class (+ charging, - discharging), named and typed for callers
#: that know the EPC.
CHARGING_DISCHARGING_POWER: Final[PropertyDef[int]] = row(
    0xD3, "Measured instantaneous charging/discharging electric power", O, NS, O, SIGNED_WATTS
)

# fmt: off
_ROWS: Final = (
    #   EPC   name                                               Get Set Anno codec
    row(0xA0, "AC effective capacity (charging)",                M,  NS, O,  WATT_HOURS),
    row(0xA1, "AC effective capacity (discharging)",             M,  NS, O,  WATT_HOURS),
    row(0xA2, "AC chargeable capacity",                          M,  NS, O,  WATT_HOURS),
    row(0xA3, "AC dischargeable capacity",                       M,  NS, O,  WATT_HOURS),
    row(0xA4, "AC chargeable electric energy",                   M,  NS, O,  WATT_HOURS),
    row(0xA5, "AC dischargeable electric energy",                M,  NS, O,  WATT_HOURS),
    row(0xA8, "AC measured cumulative charging electric energy", M,  NS, O,  KWH_MILLI),
    row(0xA9, "AC measured cumulative discharging electric energy",
                                                                 M,  NS, O,  KWH_MILLI),
    row(0xAA, "AC charge amount setting value",                  M,  M,  M,  _AMOUNT),
    row(0xAB, "AC discharge amount setting value",               M,  M,  M,  _AMOUNT),
    row(0xC1, "Charging method",                                 M,  O,  M,  _CHARGING),
    row(0xC2, "Discharging method",                              M,  O,  M,  _DISCHARGING),
    row(0xC8, "Minimum/maximum charging electric power",         M,  NS, O,  _MIN_MAX_W),
    row(0xC9, "Minimum/maximum discharging electric power",      M,  NS, O,  _MIN_MAX_W),
    row(0xCF, "Working operation status",                        M,  NS, M,  _MODE),
    row(0xD0, "Rated electric energy",                           O,  NS, O,  WATT_HOURS),
    CHARGING_DISCHARGING_POWER,
    row(0xD6, "Measured cumulative discharging electric energy", O,  NS, O,  KWH_MILLI),
    row(0xD8, "Measured cumulative charging electric energy",    O,  NS, O,  KWH_MILLI),
    row(0xDA, "Operation mode setting",                          M,  M,  M,  _MODE),
    row(0xDB, "System-interconnected type",                      M,  NS, O,  _INTERCONNECTION),
    row(0xE2, "Remaining stored electricity 1",                  M,  NS, O,  WATT_HOURS),
    row(0xE4, "Remaining stored electricity 3",                  M,  NS, O,  PERCENT),
    row(0xE6, "Battery type",                                    M,  NS, O,  _BATTERY_TYPE),
)
# fmt: on

STORAGE_BATTERY: Final = device_class(
    STORAGE_BATTERY_CLASS, "Storage battery", _ROWS, super_rules=BATTERY_SUPER_RULES
)
