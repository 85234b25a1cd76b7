"""The demo's controllable site: appliances co-simulated with the meter, and the plan that
keeps the half-hour under the contract demand (docs/energy-management.md E10).

Each emulator stands for a group of units (E10), so that home-sized appliances weigh on an
office block's demand: 40 room air conditioners, 1000 lights, 4 EV chargers, 10 batteries and
10 water heaters, about 40-80 kW that demand control can take off, depending on the season
and the hour (the cars are away on weekday daytimes, a battery at its reserve stays).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final

from hemsnet.appliances.aircon import AirConditioner
from hemsnet.appliances.base import Appliance
from hemsnet.appliances.battery import Battery
from hemsnet.appliances.ev import ElectricVehicle
from hemsnet.appliances.lighting import Lighting
from hemsnet.appliances.site import SiteLoad
from hemsnet.appliances.water_heater import WaterHeater
from hemsnet.control.actions import Action
from hemsnet.control.plan import DemandPlan, PlanAppliance
from hemsnet.echonet.eoj import Eoj
from hemsnet.physics.load import SURGE_FACTOR_MAX, LoadModel
from hemsnet.physics.timeline import minute_index

__all__ = ["DemoSite", "surge_factor"]

#: (name, class, units, action, shed kW per unit, priority)
_GROUPS: Final = (
    ("lighting", 0x0290, 1000, Action.of("level", 30, 80), 0.02, 1),
    ("aircon", 0x0130, 40, Action.of("power-saving"), 0.6, 2),
    ("battery", 0x027D, 10, Action.of("discharge"), 2.0, 3),
    ("ev", 0x027E, 4, Action.of("stop"), 6.0, 4),
    ("water-heater", 0x026B, 10, Action.of("defer"), 1.2, 5),
)
_SURGE_OVER: Final = 40.0  # kW the surge takes the site over the target: control can hold it


class DemoSite:
    """The appliances (one node), their draw for the meter, and the plan."""

    def __init__(self, now: datetime, seed: int, target_kw: float) -> None:
        builders: dict[int, Callable[[datetime, int], Appliance]] = {
            0x0290: Lighting,
            0x0130: AirConditioner,
            0x027D: Battery,
            0x027E: ElectricVehicle,
            0x026B: WaterHeater,
        }
        self.appliances: list[Appliance] = [
            builders[class_id](now, seed) for _, class_id, *_ in _GROUPS
        ]
        self.load = SiteLoad(
            [(a, group[2]) for a, group in zip(self.appliances, _GROUPS, strict=True)]
        )
        self.plan = DemandPlan(
            target_kw=target_kw,
            appliances=tuple(
                PlanAppliance(
                    name,
                    Eoj.of(class_id, 1),
                    action,
                    priority,
                    shed_kw=shed,
                    units=units,
                    reserve_percent=20.0 if class_id in (0x027D, 0x027E) else None,
                )
                for name, class_id, units, action, shed, priority in _GROUPS
            ),
        )


def surge_factor(model: LoadModel, at: datetime, site_w: int, target_kw: float) -> float:
    """The load factor that takes the site ``_SURGE_OVER`` kW over the target at ``at``."""
    minute = model.minute(minute_index(at))
    wanted = (target_kw + _SURGE_OVER) * 1000 + minute.pv_w - site_w
    return min(max(wanted / max(minute.load_w, 1), 1.05), SURGE_FACTOR_MAX)
