"""Home air conditioner 0x0130: its power follows the gap between set and room temperature.

The room is one thermal mass (:data:`HEAT_CAPACITY` J/K) leaking towards the outdoor
temperature (:data:`LOSS` W/K). Outdoors follows Tokyo's monthly mean with a daily swing,
coolest at 05:00, warmest at 14:00. The unit draws :data:`MIN_W` plus :data:`GAIN_W_PER_K` per
kelvin of the gap it is working on, up to :data:`MAX_W` (70 % of it in power-saving mode),
moving :data:`COP` times that heat; with no gap left it idles its fan at :data:`FAN_W`.
Auto mode cools above the set temperature + 1 K and heats below - 1 K; dehumidification cools
at half power; circulation runs the fan only. OFF draws nothing and lets the room drift.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from hemsnet.appliances.base import Appliance, EnergyCounter, Value
from hemsnet.devices.air_conditioner import AIR_CONDITIONER, AUTO_AIR_FLOW, AirconMode
from hemsnet.devices.values import YesNo

__all__ = [
    "COP",
    "FAN_W",
    "GAIN_W_PER_K",
    "HEAT_CAPACITY",
    "LOSS",
    "MAX_W",
    "MIN_W",
    "SETTABLE_TEMPERATURES",
    "AirConditioner",
    "outdoor_temperature",
]

HEAT_CAPACITY: Final = 2.0e6  # J/K: a 20 m² room with its furniture
LOSS: Final = 140.0  # W/K through walls and windows
COP: Final = 3.5
MIN_W: Final = 150
GAIN_W_PER_K: Final = 400
MAX_W: Final = 2200
FAN_W: Final = 30
SETTABLE_TEMPERATURES: Final = range(16, 33)  # °C, what a remote control offers
_POWER_SAVING_SHARE: Final = 0.7
_AUTO_BAND: Final = 1.0  # K
# Tokyo, monthly mean air temperature (°C, JMA normals 1991-2020), and the daily half swing.
_MONTHLY_MEAN: Final = (5.4, 6.1, 9.4, 14.3, 18.8, 21.9, 25.7, 26.9, 23.3, 18.0, 12.5, 7.7)
_DAILY_HALF_SWING: Final = 4.0


def outdoor_temperature(at: datetime) -> float:
    """Tokyo's outdoor temperature at ``at``: monthly mean, warmest at 14:00."""
    hours = at.hour + at.minute / 60
    return _MONTHLY_MEAN[at.month - 1] + _DAILY_HALF_SWING * math.cos((hours - 14) * math.pi / 12)


class AirConditioner(Appliance):
    """A 2.2 kW room unit in auto mode set to 26 °C; the room starts at the outdoor value."""

    table = AIR_CONDITIONER
    power_epc = 0x84
    settable = frozenset({0x8F, 0xA0, 0xB0, 0xB3})

    def __init__(self, now: datetime, seed: int = 0) -> None:
        del seed  # deterministic physics
        super().__init__(now)
        self.mode = AirconMode.AUTO
        self.set_temperature = 26
        self.power_saving = False
        self.room = outdoor_temperature(now)
        self.energy = EnergyCounter()

    def properties(self) -> Mapping[int, Value]:
        return {
            0x84: self.power,
            0x85: self.energy.kwh,
            0x8F: lambda: YesNo.YES if self.power_saving else YesNo.NO,
            0xA0: AUTO_AIR_FLOW,
            0xB0: lambda: self.mode,
            0xB3: lambda: self.set_temperature,
            0xBB: lambda: round(self.room),
            0xBE: lambda: round(outdoor_temperature(self.now)),
        }

    def accept(self, epc: int, value: Any) -> bool:
        if epc == 0xB3:
            if value not in SETTABLE_TEMPERATURES:
                return False
            self.set_temperature = value
        elif epc == 0xB0:
            if value == AirconMode.OTHER:
                return False
            self.mode = AirconMode(value)
        elif epc == 0x8F:
            self.power_saving = value == YesNo.YES
        return True

    def power(self) -> int:
        return round(abs(self._electric()))

    def _electric(self) -> float:
        """Electric power, signed by the heat it moves: + heating, - cooling (fan: +)."""
        if not self.on:
            return 0.0
        gap = self.set_temperature - self.room  # > 0: the room wants heat
        mode = self.mode
        if mode is AirconMode.CIRCULATION:
            return FAN_W
        if mode is AirconMode.AUTO:
            if abs(gap) <= _AUTO_BAND:
                return FAN_W
            direction = 1 if gap > 0 else -1
        else:
            direction = 1 if mode is AirconMode.HEATING else -1
        working = gap * direction
        if working <= 0:
            return FAN_W  # thermostat off
        ceiling = MAX_W * (_POWER_SAVING_SHARE if self.power_saving else 1.0)
        if mode is AirconMode.DEHUMIDIFICATION:
            ceiling /= 2
        return direction * min(ceiling, MIN_W + GAIN_W_PER_K * working)

    def _run(self, seconds: float) -> None:
        electric = self._electric()
        heat = 0.0 if abs(electric) <= FAN_W else electric * COP
        leak = LOSS * (outdoor_temperature(self.now) - self.room)
        self.room += (leak + heat) * seconds / HEAT_CAPACITY
        self.energy.add(abs(electric), seconds)
