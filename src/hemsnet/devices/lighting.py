"""General lighting, class 0x0290.

Rows and rules: [MRA 0x0290] at Release R: operation status (Set mandatory for this class),
the mandatory lighting mode B6, the light level B0 and the super class's 0x84/0x85.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from hemsnet.devices.appliance_codecs import PERCENT
from hemsnet.devices.codecs.primitives import CodeTable
from hemsnet.devices.superclass import M, O, Rules, device_class, row

__all__ = ["LIGHTING", "LIGHTING_CLASS", "LIGHTING_SUPER_RULES", "LightingMode"]

LIGHTING_CLASS: Final = 0x0290


class LightingMode(IntEnum):
    """0xB6 lighting mode setting [MRA 0x0290]."""

    AUTO = 0x41
    NORMAL = 0x42
    NIGHT = 0x43
    COLOR = 0x45


#: The class file's own rules for super class EPCs [MRA 0x0290].
LIGHTING_SUPER_RULES: Final[dict[int, Rules]] = {0x80: (M, M, M)}

# fmt: off
_ROWS: Final = (
    #   EPC   name                    Get Set Anno codec
    row(0xB0, "Light level",          O,  O,  O,  PERCENT),
    row(0xB6, "Lighting mode setting", M, M,  O,  CodeTable.of(LightingMode)),
)
# fmt: on

LIGHTING: Final = device_class(
    LIGHTING_CLASS, "General lighting", _ROWS, super_rules=LIGHTING_SUPER_RULES
)
