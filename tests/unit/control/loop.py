"""A closed loop in virtual time: the meter's load model plus emulated appliances, the
forecast, and a demand controller commanding the appliances through their ECHONET objects.

The appliances are the repo's emulators (``hemsnet.appliances``) behind their device objects:
a command is a Set of the EDT through :meth:`DeviceObject.write`, which decodes and refuses as
the emulator's node does. Every ``tick`` the appliances advance; each minute's power is the
load model's plus the appliances' draw read as the minute starts (as the meter emulator's
co-simulation does, E10); every ``poll`` the controller observes each object's 0x80, power
EPC, 0xBB and 0xE4; every tick it gets a projection from the energy to the last minute and
the live power, and decides. A name in ``refuse`` answers SNA, one in ``silent`` never
answers (the monitor reports the timeout one tick later).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from hemsnet.appliances.base import Appliance
from hemsnet.appliances.objects import appliance_object
from hemsnet.appliances.site import grid_draw_w
from hemsnet.control.demand import Command, ControlEvent
from hemsnet.control.forecast import Projection, project
from hemsnet.control.plan import PlanAppliance
from hemsnet.devices.objects import DeviceObject
from hemsnet.echonet.eoj import Eoj
from hemsnet.physics.load import MinutePower
from hemsnet.physics.timeline import minute_index

NODE = "fe80::2:1"
ADDRESS: Hashable = (NODE, 3610)


class Base(Protocol):
    """The site's own load, minute by minute (a LoadModel, or steps in a test)."""

    def minute(self, index: int) -> MinutePower: ...


class Controller(Protocol):
    def observe(
        self,
        key: str,
        address: Hashable,
        eoj: Eoj,
        at: datetime,
        watts: int | None,
        operating: bool | None,
        extra: Mapping[int, bytes] | None = None,
    ) -> None: ...

    def commanded(
        self, key: str, eoj: Eoj, epc: int, accepted: bool, reason: str, now: datetime
    ) -> list[Command]: ...

    def decide(self, now: datetime, projection: Projection) -> list[Command]: ...

    def take_events(self) -> list[ControlEvent]: ...

    def trend_since(self) -> datetime | None: ...


@dataclass
class Member:
    """One emulated appliance object and the units it stands for."""

    appliance: Appliance
    units: int
    instance: int = 1
    obj: DeviceObject = field(init=False)

    def __post_init__(self) -> None:
        self.obj = appliance_object(self.appliance, self.instance, b"\x00\x00\x77", b"\x01" * 10)

    @property
    def eoj(self) -> Eoj:
        return self.obj.eoj


@dataclass
class Loop:
    base: Base
    members: Sequence[Member]
    controller: Controller | None
    start: datetime
    tick: timedelta = timedelta(seconds=10)
    poll: timedelta = timedelta(seconds=30)
    refuse: set[Eoj] = field(default_factory=set)
    silent: set[Eoj] = field(default_factory=set)
    now: datetime = field(init=False)
    demands: dict[datetime, float] = field(default_factory=dict)  # half-hour start -> kW
    commands: list[tuple[datetime, Command]] = field(default_factory=list)
    events: list[ControlEvent] = field(default_factory=list)
    projections: list[Projection] = field(default_factory=list)
    minute_kw: list[float] = field(default_factory=list)  # of the running half-hour

    def __post_init__(self) -> None:
        self.now = self.start
        self._next_poll = self.start
        self._recent: list[tuple[datetime, float]] = []
        self._unanswered: list[Command] = []
        self._minute_power = self._power_of_minute()

    def draw_kw(self) -> float:
        return sum(grid_draw_w(m.appliance) * m.units for m in self.members) / 1000

    def _power_of_minute(self) -> float:
        return self.base.minute(minute_index(self.now)).net_w / 1000 + self.draw_kw()

    def run(self, until: datetime) -> None:
        while self.now < until:
            self._step()

    def _step(self) -> None:
        self.now += self.tick
        for member in self.members:
            member.appliance.advance(self.now)
        if self.now.second == 0:  # a minute closed: its energy is known, the next one starts
            self.minute_kw.append(self._minute_power)
            if self.now.minute % 30 == 0:  # a half-hour closed (the first may be partial)
                if len(self.minute_kw) == 30:
                    self.demands[self.now - timedelta(minutes=30)] = sum(self.minute_kw) / 30
                self.minute_kw = []
            self._minute_power = self._power_of_minute()
        controller = self.controller
        if controller is None:
            return
        for command in self._unanswered:
            reason = f"no answer to the Set of 0x{command.epc:02X} within 5 s"
            self._send(
                controller.commanded(NODE, command.eoj, command.epc, False, reason, self.now)
            )
        self._unanswered = []
        if self.now >= self._next_poll:
            self._next_poll += self.poll
            for member in self.members:
                self._observe(controller, member)
        power = self._minute_power
        self._recent = [*self._recent[-18:], (self.now, power)]
        elapsed = self.now.minute % 30 * 60 + self.now.second
        period_start = self.now - timedelta(seconds=elapsed)
        if elapsed >= 60:
            energy = sum(self.minute_kw) / 60
            minute_at = self.now.replace(second=0)
            since = controller.trend_since()
            recent = [r for r in self._recent if since is None or r[0] >= since]
            projection = project(period_start, self.now, energy, power, recent, energy_at=minute_at)
            self.projections.append(projection)
            self._send(controller.decide(self.now, projection))
        self.events += controller.take_events()

    def _observe(self, controller: Controller, member: Member) -> None:
        obj = member.obj
        power_edt = obj.read(member.appliance.power_epc)
        watts = None
        if power_edt is not None:
            watts = int.from_bytes(power_edt, "big", signed=len(power_edt) == 4)
        status = obj.read(0x80)
        extra = {epc: edt for epc in (0xBB, 0xE4) if (edt := obj.read(epc)) is not None}
        controller.observe(
            NODE,
            ADDRESS,
            member.eoj,
            self.now,
            watts,
            None if status is None else status == b"\x30",
            extra,
        )

    def _send(self, commands: list[Command]) -> None:
        controller = self.controller
        assert controller is not None
        for command in commands:
            self.commands.append((self.now, command))
            if command.eoj in self.silent:
                self._unanswered.append(command)
                continue
            member = next(m for m in self.members if m.eoj == command.eoj)
            accepted = command.eoj not in self.refuse and member.obj.write(command.epc, command.edt)
            reason = "" if accepted else f"the object refused 0x{command.epc:02X} (SetC_SNA)"
            # Answered within the tick: the outcome comes before the next decision.
            self._send(
                controller.commanded(NODE, command.eoj, command.epc, accepted, reason, self.now)
            )

    def member(self, rule: PlanAppliance) -> Member:
        return next(m for m in self.members if m.eoj == rule.eoj)
