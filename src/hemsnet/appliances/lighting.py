"""General lighting 0x0290: the power follows the light level.

An LED ceiling light of :data:`RATED_W` at level 100 %: normal, auto and colour modes draw
the rated power times the light level (0xB0); night mode draws :data:`NIGHT_LEVEL` % of it.
OFF draws nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from hemsnet.appliances.base import Appliance, EnergyCounter, Value
from hemsnet.devices.lighting import LIGHTING, LightingMode

__all__ = ["NIGHT_LEVEL", "RATED_W", "Lighting"]

RATED_W: Final = 40
NIGHT_LEVEL: Final = 5


class Lighting(Appliance):
    """A dimmable LED ceiling light, on at 80 % in normal mode."""

    table = LIGHTING
    power_epc = 0x84
    settable = frozenset({0xB0, 0xB6})

    def __init__(self, now: datetime, seed: int = 0) -> None:
        del seed  # nothing random about a lamp
        super().__init__(now)
        self.level = 80
        self.mode = LightingMode.NORMAL
        self.energy = EnergyCounter()

    def properties(self) -> Mapping[int, Value]:
        return {
            0x84: self.power,
            0x85: self.energy.kwh,
            0xB0: lambda: self.level,
            0xB6: lambda: self.mode,
        }

    def accept(self, epc: int, value: Any) -> bool:
        if epc == 0xB0:
            self.level = value
        elif epc == 0xB6:
            self.mode = LightingMode(value)
        return True

    def power(self) -> int:
        if not self.on:
            return 0
        level = NIGHT_LEVEL if self.mode is LightingMode.NIGHT else self.level
        return round(RATED_W * level / 100)

    def _run(self, seconds: float) -> None:
        self.energy.add(self.power(), seconds)
