"""Storage battery 0x027D: charges and discharges per its mode, stopping at 0 and 100 %.

Powers (+ charging, - discharging) by 0xDA mode: rapid charging at the maximum charging power
(C8), charging at :data:`CHARGE_W`, discharging at :data:`DISCHARGE_W`, standby 0; auto charges
in the night-rate hours (23:00-07:00) and discharges in the evening peak (16:00-22:00). The
stored energy clamps at 0 and the rated energy (:class:`~hemsnet.appliances.rechargeable.
Rechargeable`); at a limit the power is 0 and the working status 0xCF shows standby.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from hemsnet.appliances.base import Value
from hemsnet.appliances.rechargeable import Rechargeable
from hemsnet.devices.storage_battery import (
    STORAGE_BATTERY,
    BatteryMode,
    ChargingMethod,
    DischargingMethod,
)
from hemsnet.physics.draws import MASK, mix, uniform

__all__ = ["CHARGE_W", "DISCHARGE_W", "RAPID_W", "RATED_WH", "Battery"]

RATED_WH: Final = 9800
RAPID_W: Final = 3000
CHARGE_W: Final = 2000
DISCHARGE_W: Final = 2000
_SETTABLE_MODES: Final = frozenset(
    {BatteryMode.RAPID_CHARGING, BatteryMode.CHARGING, BatteryMode.DISCHARGING,
     BatteryMode.STANDBY, BatteryMode.AUTO}
)  # fmt: skip
_LITHIUM_ION: Final = 0x04
_REVERSE_FLOW_NOT_ACCEPTABLE: Final = 0x02  # batteries may not sell to the grid in Japan


class Battery(Rechargeable):
    """A 9.8 kWh home battery, seeded initial state of charge 30..80 %."""

    table = STORAGE_BATTERY
    capacity_wh = RATED_WH
    power_epc = 0xD3
    settable = frozenset({0xAA, 0xAB, 0xC1, 0xC2, 0xDA})

    def __init__(self, now: datetime, seed: int = 0) -> None:
        super().__init__(now, RATED_WH * (0.3 + 0.5 * uniform(mix(seed & MASK, 0x027D), 0)))
        self.mode = BatteryMode.AUTO

    def properties(self) -> Mapping[int, Value]:
        return {
            **dict.fromkeys((0xA0, 0xA1, 0xA2, 0xA3, 0xD0), RATED_WH),
            0xA4: self.room,
            0xA5: self.stored,
            0xA8: self.charged.kwh,
            0xA9: self.discharged.kwh,
            0xAA: None,  # no charge amount set
            0xAB: None,
            0xC1: ChargingMethod.MAXIMUM,
            0xC2: DischargingMethod.MAXIMUM,
            0xC8: (0, RAPID_W),
            0xC9: (0, DISCHARGE_W),
            0xCF: self.working_status,
            0xD3: self.power,
            0xD6: self.discharged.kwh,
            0xD8: self.charged.kwh,
            0xDA: lambda: self.mode,
            0xDB: _REVERSE_FLOW_NOT_ACCEPTABLE,
            0xE2: self.stored,
            0xE4: self.percent,
            0xE6: _LITHIUM_ION,
        }

    def accept(self, epc: int, value: Any) -> bool:
        if epc == 0xDA:
            if value not in _SETTABLE_MODES:
                return False  # test, restart, recalculation, other: not emulated
            self.mode = BatteryMode(value)
        return True

    def power(self) -> int:
        return self.limited(self._wanted()) if self.on else 0

    def working_status(self) -> BatteryMode:
        watts = self.power()
        if watts > 0:
            return BatteryMode.RAPID_CHARGING if watts == RAPID_W else BatteryMode.CHARGING
        return BatteryMode.DISCHARGING if watts < 0 else BatteryMode.STANDBY

    def _wanted(self) -> int:
        mode = self.mode
        if mode is BatteryMode.AUTO:
            hour = self.now.hour
            if hour >= 23 or hour < 7:
                return CHARGE_W
            return -DISCHARGE_W if 16 <= hour < 22 else 0
        return {
            BatteryMode.RAPID_CHARGING: RAPID_W,
            BatteryMode.CHARGING: CHARGE_W,
            BatteryMode.DISCHARGING: -DISCHARGE_W,
        }.get(mode, 0)

    def _run(self, seconds: float) -> None:
        self.flow(self.power(), seconds)
