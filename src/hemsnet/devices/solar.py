"""Household solar power generation, class 0x0279.

Rows and rules: [MRA 0x0279] at Release R: the mandatory properties, generation E0/E1 and the
rated output E8. The output-control group (A0-A2, B0-B4, C3, C4, 0x97/0x98 set) is
``required_c``, mandatory only for a unit with output control, which the emulator is not.
"""

from __future__ import annotations

from typing import Final

from hemsnet.devices.appliance_codecs import INTERCONNECTION, KWH_MILLI, WATTS_U16
from hemsnet.devices.codecs.primitives import CodeTable, OrNone
from hemsnet.devices.model import PropertyDef
from hemsnet.devices.superclass import NS, M, O, Rules, device_class, row

__all__ = ["GENERATED_POWER", "SOLAR", "SOLAR_CLASS", "SOLAR_SUPER_RULES"]

SOLAR_CLASS: Final = 0x0279

#: The class file's own rules for super class EPCs [MRA 0x0279]; 0x97/0x98 are ``required_c``.
SOLAR_SUPER_RULES: Final[dict[int, Rules]] = {
    0x83: (M, NS, O),
    0x89: (M, NS, O),
    0x8C: (M, NS, O),
    0x97: (M, O, O),
    0x98: (M, O, O),
}

_RATED: Final = OrNone(WATTS_U16, (b"\xff\xff",), "no setting")

#: The power a HEMS reads of this class, named and typed for callers that know the EPC.
GENERATED_POWER: Final[PropertyDef[int]] = row(
    0xE0, "Measured instantaneous amount of electricity generated", M, NS, O, WATTS_U16
)

# fmt: off
_ROWS: Final = (
    #   EPC   name                                           Get Set Anno codec
    row(0xC1, "FIT contract type",                           M,  M,  O,
        CodeTable({0x41: "FIT", 0x42: "non-FIT", 0x43: "undefined"})),
    row(0xC2, "Self-consumption type",                       M,  NS, O,
        CodeTable({0x41: "with self-consumption", 0x42: "without self-consumption",
                   0x43: "unknown"})),
    row(0xD0, "System-interconnected type",                  M,  NS, O,
        CodeTable({**INTERCONNECTION, 0x03: "unknown"})),
    row(0xD1, "Output power restraint status",               M,  NS, O,
        CodeTable({0x41: "output control", 0x42: "except output control",
                   0x43: "reason unknown", 0x44: "not restrained", 0x45: "unknown"})),
    GENERATED_POWER,
    row(0xE1, "Measured cumulative amount of electric energy generated",
                                                             M,  NS, O,  KWH_MILLI),
    row(0xE8, "Rated power generation output (System-interconnected)",
                                                             M,  O,  O,  _RATED),
)
# fmt: on

SOLAR: Final = device_class(
    SOLAR_CLASS, "Household solar power generation", _ROWS, super_rules=SOLAR_SUPER_RULES
)
