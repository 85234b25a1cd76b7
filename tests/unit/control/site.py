"""The controllable site the control tests and bench/demand.py share: an office's load with a
floor of air conditioners, its lighting, EV chargers, batteries and water heaters, each an
emulator standing for several units (E10), and the plan that controls them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from hemsnet.appliances.aircon import AirConditioner
from hemsnet.appliances.battery import Battery
from hemsnet.appliances.ev import ElectricVehicle
from hemsnet.appliances.lighting import Lighting
from hemsnet.appliances.water_heater import WaterHeater
from hemsnet.control.actions import Action
from hemsnet.control.plan import DemandPlan, PlanAppliance
from hemsnet.echonet.eoj import Eoj
from hemsnet.physics.load import MinutePower
from hemsnet.physics.timeline import minute_start
from tests.unit.control.loop import Member

AIRCON = Eoj.of(0x0130, 1)
LIGHTING = Eoj.of(0x0290, 1)
EV = Eoj.of(0x027E, 1)
BATTERY = Eoj.of(0x027D, 1)
HEATER = Eoj.of(0x026B, 1)
OTHER_LIGHTING = Eoj.of(0x0290, 2)  # on the network, not in the plan: never commanded


def members(now: datetime, seed: int = 1) -> list[Member]:
    return [
        Member(AirConditioner(now, seed), 40),
        Member(Lighting(now, seed), 500),
        Member(ElectricVehicle(now, seed), 4),
        Member(Battery(now, seed), 10),
        Member(WaterHeater(now, seed), 10),
        Member(Lighting(now, seed), 100, instance=2),
    ]


RULES = (
    PlanAppliance("lighting", LIGHTING, Action.of("level", 30, 100), 1, shed_kw=0.028, units=500),
    PlanAppliance(
        "aircon", AIRCON, Action.of("setpoint", 28, 26), 2, shed_kw=1.5, units=40, room_max_c=29
    ),
    PlanAppliance("ev", EV, Action.of("stop"), 3, shed_kw=6.0, units=4, reserve_percent=30),
    PlanAppliance(
        "battery", BATTERY, Action.of("discharge"), 4, shed_kw=2.0, units=10, reserve_percent=20
    ),
    PlanAppliance("heater", HEATER, Action.of("defer"), 5, shed_kw=1.2, units=10),
)


def plan(target_kw: float = 330.0, **changes: object) -> DemandPlan:
    return replace(DemandPlan(target_kw=target_kw, appliances=RULES), **changes)  # type: ignore[arg-type]


class Steps:
    """A base load of ``kw`` with ``(start, end, extra kW)`` steps: a clear surge."""

    def __init__(self, kw: float, steps: list[tuple[datetime, datetime, float]]) -> None:
        self.kw = kw
        self.steps = steps

    def minute(self, index: int) -> MinutePower:
        at = minute_start(index)
        extra = sum(kw for start, end, kw in self.steps if start <= at < end)
        return MinutePower(round((self.kw + extra) * 1000), 0)
