"""Household solar power generation 0x0279: follows the sun near Tokyo, with seeded clouds.

The generation is a :data:`RATED_W` :class:`~hemsnet.physics.sun.PvSystem`, the model the
meter's on-site PV uses too (clear-sky irradiance on a 30° south panel at Tokyo, per-day weather
from the seed). Operation status OFF (the power conditioner stopped) gives 0 W.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from hemsnet.appliances.base import Appliance, EnergyCounter, Value
from hemsnet.devices.solar import SOLAR
from hemsnet.physics.sun import PvSystem
from hemsnet.physics.timeline import minute_index

__all__ = ["RATED_W", "Solar"]

RATED_W: Final = 4500
_FIT: Final = 0x41
_WITH_SELF_CONSUMPTION: Final = 0x41
_REVERSE_FLOW_ACCEPTABLE: Final = 0x00
_NOT_RESTRAINED: Final = 0x44


class Solar(Appliance):
    """A 4.5 kW rooftop system."""

    table = SOLAR
    power_epc = 0xE0
    settable = frozenset({0xC1})

    def __init__(self, now: datetime, seed: int = 0) -> None:
        super().__init__(now)
        self._pv = PvSystem(RATED_W, seed)
        self.generated = EnergyCounter()

    def properties(self) -> Mapping[int, Value]:
        return {
            0xC1: _FIT,
            0xC2: _WITH_SELF_CONSUMPTION,
            0xD0: _REVERSE_FLOW_ACCEPTABLE,
            0xD1: _NOT_RESTRAINED,
            0xE0: self.power,
            0xE1: self.generated.kwh,
            0xE8: RATED_W,
        }

    def power(self) -> int:
        if not self.on:
            return 0
        return self._pv.power_w(minute_index(self.now))

    def _run(self, seconds: float) -> None:
        self.generated.add(self.power(), seconds)
