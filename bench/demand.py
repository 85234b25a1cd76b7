"""Demand control measured over simulated days: off, on, and a naive on/off controller (not a test).

Run from the repository with ``.venv/bin/python -m bench.demand --days 30 --seed 1 [--json]``.
Virtual time, seeded, no I/O: the closed loop of the control tests
(``tests/unit/control/loop.py``): the meter's load model (office profile, 300 kW peak, from
Monday 3 August 2026, seeded surges of x1.05-1.25 for 5-40 minutes on working days) plus the
emulated appliances of
``tests/unit/control/site.py`` (40 air conditioners, 500 lights, 4 EV chargers, 10 batteries,
10 water heaters, each emulator standing for its units; about 40-70 kW controllable), with
the forecast made every 10 s and the appliances polled every 30 s. Target: ``--target`` kW.

For each of control off, control on (``DemandController`` with the site's plan) and a naive
on/off controller (sheds every plan appliance when the projection reaches the target, restores
them all under 90 % of it, no minimum times, no comfort limits), it prints the month's maximum
30-minute demand, the half-hours over the target, the comfort violations (minutes in which an
air conditioner's room was above its ``room_max_c``, a car or battery the controller held was
at or under its reserve, or an appliance was shed longer than its ``max_off_s``; the first hour
is warm-up and not counted) and the commands sent.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hemsnet.appliances.aircon import AirConditioner
from hemsnet.appliances.rechargeable import Rechargeable
from hemsnet.control.demand import Command, ControlEvent, DemandController
from hemsnet.control.forecast import Projection
from hemsnet.control.plan import DemandPlan
from hemsnet.echonet.eoj import Eoj
from hemsnet.physics.draws import mix, uniform
from hemsnet.physics.load import LoadModel, LoadSettings, Profile, Surge
from tests.unit.control.loop import Loop
from tests.unit.control.site import members, plan

START = datetime(2026, 8, 3)  # a Monday
PEAK_KW = 300.0
WARM_UP = timedelta(hours=1)


def surges(days: int, seed: int) -> tuple[Surge, ...]:
    found = []
    for day in range(days):
        date = START + timedelta(days=day)
        if date.weekday() >= 5:
            continue
        key = mix(seed, 2000 + day)
        for n in range(int(uniform(key, 0) * 4)):
            start = date + timedelta(hours=8, minutes=int(uniform(key, 10 + n) * 600))
            length = timedelta(minutes=5 + int(uniform(key, 20 + n) * 36))
            found.append(Surge(start, start + length, 1.05 + 0.2 * uniform(key, 30 + n)))
    return tuple(found)


@dataclass
class NaiveController:
    """Everything off at the target, everything back under 90 % of it."""

    plan: DemandPlan
    shed: bool = False
    addresses: dict[Eoj, Hashable] = field(default_factory=dict)
    _next: int = 1

    def observe(
        self,
        key: str,
        address: Hashable,
        eoj: Eoj,
        at: datetime,
        watts: int | None,
        operating: bool | None,
        extra: Mapping[int, bytes] | None = None,
    ) -> None:
        self.addresses[eoj] = address

    def commanded(
        self, key: str, eoj: Eoj, epc: int, accepted: bool, reason: str, now: datetime
    ) -> list[Command]:
        return []

    def decide(self, now: datetime, projection: Projection) -> list[Command]:
        target = self.plan.target_kw
        if not self.shed and projection.projected_kw >= target:
            self.shed = True
        elif self.shed and projection.projected_kw < 0.9 * target:
            self.shed = False
        else:
            return []
        commands = []
        for rule in self.plan.appliances:
            address = self.addresses.get(rule.eoj)
            if address is None:
                continue
            edt = rule.action.shed if self.shed else rule.action.restore
            commands.append(Command(self._next, rule.name, address, rule.eoj, rule.action.epc, edt))
            self._next += 1
        return commands

    def take_events(self) -> list[ControlEvent]:
        return []

    def trend_since(self) -> datetime | None:
        return None


def _violations(loop: Loop, the_plan: DemandPlan, held_since: dict[str, datetime]) -> int:
    """Comfort violations this minute (module doc)."""
    count = 0
    shed = _shed_names(loop)
    for rule in the_plan.appliances:
        appliance = loop.member(rule).appliance
        if (
            isinstance(appliance, AirConditioner)
            and rule.room_max_c is not None
            and appliance.room > rule.room_max_c
        ):
            count += 1
        if rule.name in shed:
            since = held_since.setdefault(rule.name, loop.now)
            if loop.now - since > timedelta(seconds=rule.max_off_s):
                count += 1
            if (
                isinstance(appliance, Rechargeable)
                and rule.reserve_percent is not None
                and appliance.percent() <= rule.reserve_percent
            ):
                count += 1
        else:
            held_since.pop(rule.name, None)
    return count


def _shed_names(loop: Loop) -> set[str]:
    controller = loop.controller
    if isinstance(controller, DemandController):
        return {v.name for v in controller.views() if v.shed}
    if isinstance(controller, NaiveController) and controller.shed:
        return {rule.name for rule in controller.plan.appliances}
    return set()


def run(mode: str, days: int, seed: int, target: float) -> dict[str, object]:
    load = LoadSettings(profile=Profile.OFFICE, peak_kw=PEAK_KW, surges=surges(days, seed))
    the_plan = plan(target)
    controller: DemandController | NaiveController | None = None
    if mode == "on":
        controller = DemandController(the_plan)
    elif mode == "naive":
        controller = NaiveController(the_plan)
    begin = START - WARM_UP
    loop = Loop(LoadModel(load, seed), members(begin, seed), controller, begin)
    violations = 0
    held_since: dict[str, datetime] = {}
    end = START + timedelta(days=days)
    while loop.now < end:
        loop.run(loop.now + timedelta(minutes=1))
        if loop.now > START:
            violations += _violations(loop, the_plan, held_since)
    demands = [kw for at, kw in loop.demands.items() if at >= START]
    return {
        "max_demand_kw": round(max(demands), 1),
        "half_hours_over_target": sum(1 for kw in demands if kw > target),
        "comfort_violations": violations,
        "commands": sum(1 for at, _ in loop.commands if at >= START),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--days", type=int, default=7, metavar="N", help="days simulated (7)")
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="seed (1)")
    parser.add_argument("--target", type=float, default=330.0, metavar="KW", help="(330)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args(argv)
    if not 1 <= args.days <= 366:
        print("bench/demand.py: --days: give 1..366", file=sys.stderr)
        return 2
    result = {
        "days": args.days,
        "seed": args.seed,
        "target_kw": args.target,
        **{mode: run(mode, args.days, args.seed, args.target) for mode in ("off", "on", "naive")},
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:10} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
