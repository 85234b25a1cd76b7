"""EV charger and discharger 0x027E (V2H): charges or discharges the car while it is plugged in.

The car leaves on weekdays at a seeded time 07:00-08:30 and comes back 17:00-20:00 with
3-12 kWh used (seeded per day); at weekends it stays plugged in. Modes (0xDA): charge at
:data:`CHARGE_W`, discharge at :data:`DISCHARGE_W` into the house, automatic charges, standby
and idle hold; the battery clamps at 0 and :data:`CAPACITY_WH`
(:class:`~hemsnet.appliances.rechargeable.Rechargeable`). Unplugged, the power is 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from hemsnet.appliances.base import Value
from hemsnet.appliances.rechargeable import Rechargeable
from hemsnet.devices.ev_charger import EV_CHARGER, EvMode, VehicleConnection
from hemsnet.physics.draws import MASK, mix, uniform

__all__ = ["CAPACITY_WH", "CHARGE_W", "DISCHARGE_W", "ElectricVehicle"]

CAPACITY_WH: Final = 40_000
CHARGE_W: Final = 6000
DISCHARGE_W: Final = 6000
_SETTABLE_MODES: Final = frozenset(
    {EvMode.CHARGE, EvMode.DISCHARGE, EvMode.STANDBY, EvMode.IDLE, EvMode.AUTOMATIC}
)
_DC_AA_CHARGE_DISCHARGE: Final = 0x22  # a CHAdeMO V2H unit
_MAXIMUM: Final = 0x01
_MIN_CURRENT: Final = 0  # 0.1 A
_MAX_CURRENT: Final = 300  # 30 A at the AC side


class ElectricVehicle(Rechargeable):
    """A V2H charger with a 40 kWh car, charging automatically whenever plugged in."""

    table = EV_CHARGER
    capacity_wh = CAPACITY_WH
    power_epc = 0xD3
    settable = frozenset({0xCD, 0xDA, 0xDC, 0xDD})

    def __init__(self, now: datetime, seed: int = 0) -> None:
        self._key = mix(seed & MASK, 0x027E)
        super().__init__(now, CAPACITY_WH * (0.4 + 0.4 * uniform(self._key, 0)))
        self.mode = EvMode.AUTOMATIC
        self.connected = self._plugged_in(now)

    def properties(self) -> Mapping[int, Value]:
        return {
            0xC0: CAPACITY_WH,
            0xC2: self.stored,
            0xC4: self.percent,
            0xC5: CHARGE_W,
            0xC6: DISCHARGE_W,
            0xC7: self.connection,
            0xC8: (0, CHARGE_W),
            0xC9: (0, DISCHARGE_W),
            0xCA: (_MIN_CURRENT, _MAX_CURRENT),
            0xCB: (_MIN_CURRENT, _MAX_CURRENT),
            0xCC: _DC_AA_CHARGE_DISCHARGE,
            0xCD: 0x10,  # write-only: Set asks the charger to check the vehicle
            0xCE: CAPACITY_WH,
            0xCF: self.room,
            0xD0: CAPACITY_WH,
            0xD3: self.power,
            0xD6: self.discharged.kwh,
            0xD8: self.charged.kwh,
            0xDA: lambda: self.mode,
            0xDC: _MAXIMUM,
            0xDD: _MAXIMUM,
            0xE2: self.stored,
            0xE4: self.percent,
            0xE6: b"HEMSNET-EV-1",
        }

    def accept(self, epc: int, value: Any) -> bool:
        if epc == 0xDA:
            if value not in _SETTABLE_MODES:
                return False  # charging/discharging, preparation, other: not emulated
            self.mode = EvMode(value)
        return True

    def connection(self) -> VehicleConnection:
        if not self.connected:
            return VehicleConnection.NOT_CONNECTED
        return VehicleConnection.CHARGEABLE_DISCHARGEABLE

    def power(self) -> int:
        if not (self.on and self.connected):
            return 0
        if self.mode in (EvMode.CHARGE, EvMode.AUTOMATIC):
            return self.limited(CHARGE_W)
        if self.mode is EvMode.DISCHARGE:
            return self.limited(-DISCHARGE_W)
        return 0

    def _plugged_in(self, at: datetime) -> bool:
        if at.weekday() >= 5:
            return True
        day = at.toordinal()
        midnight = datetime(at.year, at.month, at.day)
        leaves = midnight + timedelta(hours=7 + 1.5 * uniform(self._key, 3 * day))
        returns = midnight + timedelta(hours=17 + 3 * uniform(self._key, 3 * day + 1))
        return not leaves <= at < returns

    def _run(self, seconds: float) -> None:
        plugged = self._plugged_in(self.now)
        if plugged and not self.connected:  # back from a drive
            used = 3000 + 9000 * uniform(self._key, 3 * self.now.toordinal() + 2)
            self.stored_wh = max(0.0, self.stored_wh - used)
        self.connected = plugged
        self.flow(self.power(), seconds)
