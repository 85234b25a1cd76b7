"""EV charger and discharger, class 0x027E.

Rows and rules: [MRA 0x027E] at Release R: the mandatory properties plus the instantaneous
power D3 and the cumulative energies D6/D8 a HEMS reads.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from hemsnet.devices.appliance_codecs import (
    KWH_MILLI,
    PERCENT,
    SIGNED_WATTS,
    WATT_HOURS,
    WATTS_U32,
    LengthPrefixed,
    UIntTuple,
)
from hemsnet.devices.codecs.primitives import CodeTable
from hemsnet.devices.model import PropertyDef
from hemsnet.devices.superclass import NS, M, O, Rules, device_class, row

__all__ = [
    "CHARGING_DISCHARGING_POWER",
    "EV_CHARGER",
    "EV_CHARGER_CLASS",
    "EV_SUPER_RULES",
    "EvMode",
    "VehicleConnection",
]

EV_CHARGER_CLASS: Final = 0x027E


class EvMode(IntEnum):
    """0xDA operation mode setting [MRA 0x027E]."""

    CHARGE = 0x42
    DISCHARGE = 0x43
    STANDBY = 0x44
    CHARGING_DISCHARGING = 0x46
    IDLE = 0x47
    PREPARATION = 0x48
    AUTOMATIC = 0x49
    OTHER = 0x40


class VehicleConnection(IntEnum):
    """0xC7 vehicle connection and chargeable/dischargeable status [MRA 0x027E]."""

    UNDEFINED = 0xFF
    NOT_CONNECTED = 0x30
    CONNECTED = 0x40
    CHARGEABLE = 0x41
    DISCHARGEABLE = 0x42
    CHARGEABLE_DISCHARGEABLE = 0x43
    UNKNOWN = 0x44


#: The class file's own rules for super class EPCs [MRA 0x027E].
EV_SUPER_RULES: Final[dict[int, Rules]] = {0x89: (M, NS, O), 0x8C: (M, NS, O)}

_KINDS: Final = {
    0x11: "AC CPLT", 0x12: "AC HLC (charge)", 0x13: "AC HLC (charge/discharge)",
    **{base + n: f"DC type {kind} ({what})"
       for base, kind in ((0x20, "AA"), (0x30, "BB"), (0x40, "EE"), (0x50, "FF"))
       for n, what in ((1, "charge"), (2, "charge/discharge"), (3, "discharge"))},
}  # fmt: skip
_METHODS: Final = {
    0x00: "other", 0x01: "maximum power", 0x03: "designated power",
    0x04: "designated current", 0x05: "designated purchasing power", 0x06: "V2G",
}  # fmt: skip
_MIN_MAX_W: Final = UIntTuple(4, 2, 999_999_999, "W")
_MIN_MAX_A: Final = UIntTuple(2, 2, 32766, "A", 0.1)

#: The power a HEMS reads of this class (+ charging, - discharging), named and typed for callers
#: that know the EPC.
CHARGING_DISCHARGING_POWER: Final[PropertyDef[int]] = row(
    0xD3, "Measured instantaneous charging/discharging electric power", O, NS, O, SIGNED_WATTS
)

# fmt: off
_ROWS: Final = (
    #   EPC   name                                                  Get Set Anno codec
    row(0xC0, "Dischargeable capacity of vehicle mounted battery 1", M,  NS, O,  WATT_HOURS),
    row(0xC2, "Remaining dischargeable capacity of vehicle mounted battery 1",
                                                                    M,  NS, O,  WATT_HOURS),
    row(0xC4, "Remaining dischargeable capacity of vehicle mounted battery 3",
                                                                    M,  NS, O,  PERCENT),
    row(0xC5, "Rated charge capacity",                              M,  NS, O,  WATTS_U32),
    row(0xC6, "Rated discharge capacity",                           M,  NS, O,  WATTS_U32),
    row(0xC7, "Vehicle connection and chargeable/dischargeable status",
                                                                    M,  NS, M,
                                                                    CodeTable.of(VehicleConnection)),
    row(0xC8, "Minimum/maximum charging electric power",            M,  NS, O,  _MIN_MAX_W),
    row(0xC9, "Minimum/maximum discharging electric power",         M,  NS, O,  _MIN_MAX_W),
    row(0xCA, "Minimum/maximum charging current",                   M,  NS, O,  _MIN_MAX_A),
    row(0xCB, "Minimum/maximum discharging current",                M,  NS, O,  _MIN_MAX_A),
    row(0xCC, "Charger/discharger type",                            M,  NS, O,  CodeTable(_KINDS)),
    row(0xCD, "Vehicle connection confirmation",                    NS, M,  NS,
                                                                    CodeTable({0x10: "confirm"})),
    row(0xCE, "Chargeable capacity of vehicle mounted battery",     M,  NS, O,  WATT_HOURS),
    row(0xCF, "Remaining chargeable capacity of vehicle mounted battery",
                                                                    M,  NS, O,  WATT_HOURS),
    row(0xD0, "Used capacity of vehicle mounted battery 1",         M,  NS, O,  WATT_HOURS),
    CHARGING_DISCHARGING_POWER,
    row(0xD6, "Measured cumulative amount of discharging electric energy",
                                                                    O,  NS, O,  KWH_MILLI),
    row(0xD8, "Measured cumulative amount of charging electric energy",
                                                                    O,  NS, O,  KWH_MILLI),
    row(0xDA, "Operation mode setting",                             M,  M,  M,
        CodeTable.of(EvMode)),
    row(0xDC, "Charging method",                                    M,  O,  M,
        CodeTable({**_METHODS, 0x02: "surplus power"})),
    row(0xDD, "Discharging method",                                 M,  O,  M,
        CodeTable({**_METHODS, 0x02: "load following"})),
    row(0xE2, "Remaining stored electricity of vehicle mounted battery 1",
                                                                    M,  NS, O,  WATT_HOURS),
    row(0xE4, "Remaining stored electricity of vehicle mounted battery 3",
                                                                    M,  NS, O,  PERCENT),
    row(0xE6, "Vehicle ID",                                         M,  NS, O,  LengthPrefixed(24)),
)
# fmt: on

EV_CHARGER: Final = device_class(
    EV_CHARGER_CLASS, "EV charger and discharger", _ROWS, super_rules=EV_SUPER_RULES
)
