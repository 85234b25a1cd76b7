"""What the storage battery 0x027D and the EV charger 0x027E share: a battery of stored energy.

The stored energy integrates the power (+ charging, - discharging) and clamps at 0 and
:attr:`Rechargeable.capacity_wh`; what the limits let through is counted as charged or
discharged. No conversion losses: AC and DC energies agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from hemsnet.appliances.base import Appliance, EnergyCounter

__all__ = ["Rechargeable"]


class Rechargeable(Appliance):
    """An appliance with a battery: its stored energy and the energies charged and discharged."""

    capacity_wh: ClassVar[int]

    def __init__(self, now: datetime, stored_wh: float) -> None:
        super().__init__(now)
        self.stored_wh = stored_wh
        self.charged = EnergyCounter()
        self.discharged = EnergyCounter()

    def stored(self) -> int:
        """The stored energy in whole Wh."""
        return int(self.stored_wh)

    def room(self) -> int:
        """How much more it can take, in whole Wh."""
        return self.capacity_wh - self.stored()

    def percent(self) -> int:
        return round(100 * self.stored_wh / self.capacity_wh)

    def limited(self, watts: int) -> int:
        """``watts``, or 0 where it would charge a full battery or discharge an empty one."""
        if (watts > 0 and self.stored_wh >= self.capacity_wh) or (
            watts < 0 and self.stored_wh <= 0
        ):
            return 0
        return watts

    def flow(self, watts: int, seconds: float) -> None:
        """Move ``watts`` for ``seconds`` into (or out of) the battery, within its limits."""
        before = self.stored_wh
        self.stored_wh = min(float(self.capacity_wh), max(0.0, before + watts * seconds / 3600.0))
        moved = self.stored_wh - before  # what the limits let through
        if moved > 0:
            self.charged.wh += moved
        else:
            self.discharged.wh -= moved
