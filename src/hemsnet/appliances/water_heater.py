"""Electric water heater 0x026B (heat pump): heats its tank at night, hot water is used daily.

The tank holds :data:`TANK_L` litres; the state is the volume of hot water at the set
temperature (0xB3) above :data:`COLD_C` mains water. Heating moves :data:`HEAT_W` of heat for
:data:`INPUT_W` of electricity. Automatic heating (0xB0) fills the tank in the night-rate hours
23:00-07:00 and, when daytime reheating is permitted (0xC0), whenever it falls below
:data:`REHEAT_BELOW` of the tank, until half full; manual heating fills it at any hour; manual
no-heating never heats. Hot water is drawn every day at 07:00-07:30 (:data:`MORNING_L`) and
19:00-21:00 (:data:`EVENING_L`), each scaled by a seeded 0.7-1.3 per day. OFF never heats.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from hemsnet.appliances.base import Appliance, EnergyCounter, Value
from hemsnet.devices.water_heater import WATER_HEATER, HeatingSetting
from hemsnet.physics.draws import MASK, mix, uniform

__all__ = [
    "COLD_C",
    "EVENING_L",
    "HEAT_W",
    "INPUT_W",
    "MORNING_L",
    "REHEAT_BELOW",
    "STANDBY_W",
    "TANK_L",
    "WaterHeater",
]

TANK_L: Final = 370
COLD_C: Final = 17.0
HEAT_W: Final = 4500.0
INPUT_W: Final = 1200
STANDBY_W: Final = 8
REHEAT_BELOW: Final = 0.3
MORNING_L: Final = 40.0
EVENING_L: Final = 200.0
SETTABLE_TEMPERATURES: Final = range(40, 91)  # °C
_WATER_J_PER_L_K: Final = 4186.0
_YES, _NO = 0x41, 0x42
# (start hour, end hour, litres): when hot water is drawn.
_DRAWS: Final = ((7.0, 7.5, MORNING_L), (19.0, 21.0, EVENING_L))


class WaterHeater(Appliance):
    """A 370 L heat-pump water heater at 65 °C, half full at start, not in energy shift."""

    table = WATER_HEATER
    power_epc = 0x84
    settable = frozenset({0xB0, 0xB3, 0xC0, 0xC7, 0xCA, 0xCD})

    def __init__(self, now: datetime, seed: int = 0) -> None:
        super().__init__(now)
        self._key = mix(seed & MASK, 0x026B)
        self.setting = HeatingSetting.AUTO
        self.temperature = 65
        self.daytime_reheat = True
        self.hot_l = TANK_L / 2
        self.heating = False
        self.energy = EnergyCounter()
        self._decide()

    def properties(self) -> Mapping[int, Value]:
        return {
            0x84: self.power,
            0x85: self.energy.kwh,
            0xB0: lambda: self.setting,
            0xB2: lambda: _YES if self.heating else _NO,
            0xB3: lambda: self.temperature,
            0xC0: lambda: _YES if self.daytime_reheat else _NO,
            0xC1: self.tank_temperature,
            0xC3: lambda: _YES if self.draw_rate() > 0 else _NO,
            0xC7: 0x00,  # not participating in energy shift
            0xC8: 23,  # standard heating start: 23:00, the night rate
            0xC9: 1,
            0xCA: 0x00,  # cleared
            0xCB: (0, 0, 0, 0),
            0xCC: (0, 0, 0, 0),
            0xCD: 0x00,
            0xCE: (0, 0, 0),
            0xCF: (0, 0, 0),
            0xE1: lambda: round(self.hot_l),
            0xE2: TANK_L,
        }

    def accept(self, epc: int, value: Any) -> bool:
        if epc == 0xB0:
            self.setting = HeatingSetting(value)
        elif epc == 0xB3:
            if value not in SETTABLE_TEMPERATURES:
                return False
            self.temperature = value
        elif epc == 0xC0:
            self.daytime_reheat = value == _YES
        self._decide()
        return True

    def switch(self, on: bool) -> None:
        super().switch(on)
        self._decide()

    def power(self) -> int:
        if not self.on:
            return 0
        return INPUT_W if self.heating else STANDBY_W

    def tank_temperature(self) -> int:
        """The mean temperature of the tank: hot water at the setting, the rest cold."""
        return round(COLD_C + (self.temperature - COLD_C) * self.hot_l / TANK_L)

    def draw_rate(self) -> float:
        """Hot water drawn now, in litres per second."""
        hours = self.now.hour + self.now.minute / 60
        scale = 0.7 + 0.6 * uniform(self._key, self.now.toordinal())
        for start, end, litres in _DRAWS:
            if start <= hours < end:
                return scale * litres / ((end - start) * 3600)
        return 0.0

    def _decide(self) -> None:
        """Whether to heat now; daytime reheating keeps going once started, to half full."""
        full = self.hot_l >= TANK_L
        if not self.on or full or self.setting is HeatingSetting.MANUAL_NO_HEATING:
            self.heating = False
        elif self.setting is HeatingSetting.MANUAL_HEATING or not 7 <= self.now.hour < 23:
            self.heating = True
        elif not self.daytime_reheat:
            self.heating = False
        elif self.hot_l < REHEAT_BELOW * TANK_L:
            self.heating = True
        elif self.hot_l >= TANK_L / 2:
            self.heating = False

    def _run(self, seconds: float) -> None:
        self._decide()
        heated = 0.0
        if self.heating:
            rise = max(1.0, self.temperature - COLD_C)
            heated = HEAT_W * seconds / (_WATER_J_PER_L_K * rise)
        self.hot_l = min(float(TANK_L), max(0.0, self.hot_l + heated - self.draw_rate() * seconds))
        self.energy.add(self.power(), seconds)
