"""Demand control run with a controller: an :class:`EventSink` that feeds the meter's readings
and the appliances' polls to :class:`~hemsnet.control.demand.DemandController`, carries its
commands over the appliance monitors, and records every decision in the store
(docs/energy-management.md).

Commands are sent on the next turn of the event loop, never from inside the runner's event
hand-off. The store is written on the controller's disk-writer thread; the overrides people
set there (``hemsnet control pause``, the dashboard's API) are read every ``_OVERRIDE_EVERY``
seconds on that thread and handed to the controller on the loop's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Final

from hemsnet.aio.clock import wait_for_stop
from hemsnet.aio.controller_service import ControllerService
from hemsnet.aio.udp import peer_key
from hemsnet.control.demand import (
    ActionMeasured,
    ActionSettled,
    ActionTaken,
    Command,
    ControlEvent,
    DemandController,
    OverrideSet,
)
from hemsnet.control.plan import DemandPlan
from hemsnet.control.tracker import HalfHourTracker
from hemsnet.controller.appliance_events import (
    ApplianceCommanded,
    ApplianceEvent,
    AppliancePower,
    ApplianceRead,
)
from hemsnet.controller.events import Event, Recorded
from hemsnet.errors import RequestNotAllowed
from hemsnet.store.store import Store

__all__ = ["ControlRecorder", "DemandService", "attach_demand"]

log = logging.getLogger(__name__)

_OVERRIDE_EVERY: Final = 5.0  # s between reads of the overrides in the store


class ControlRecorder:
    """Control events -> ``control_action`` rows (on the writer's thread)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._rows: dict[int, int] = {}  # the controller's action id -> the row's id

    def apply(self, events: Sequence[ControlEvent]) -> None:
        for event in events:
            if isinstance(event, ActionTaken):
                self._rows[event.action_id] = self.store.record_action(
                    event.at,
                    event.name,
                    event.kind,
                    event.step,
                    event.reason,
                    (event.epc, event.edt),
                    event.target_kw,
                    (event.projected_kw, event.high_kw, event.meter_kw),
                    event.power_before_w,
                )
            elif isinstance(event, ActionSettled) and event.action_id in self._rows:
                row = self._rows[event.action_id]
                self.store.settle_action(row, event.outcome, event.reason, event.at)
            elif isinstance(event, ActionMeasured) and event.action_id in self._rows:
                row = self._rows.pop(event.action_id)
                self.store.measure_action(row, event.power_after_w, event.at)
            elif isinstance(event, OverrideSet):
                log.info(
                    "demand control of %s %s", event.name, "paused" if event.paused else "resumed"
                )


class DemandService:
    """The demand controller of one controller service (module doc)."""

    def __init__(
        self, service: ControllerService, plan: DemandPlan, report: Callable[[str], None] | None
    ) -> None:
        self.service = service
        self.control = DemandController(plan)
        self.tracker = HalfHourTracker()
        self.recorder = ControlRecorder(service.store)
        self._report = report
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- EventSink -----------------------------------------------------------------------

    def meter_events(self, events: Sequence[Event], now: datetime) -> None:
        samples = [s for e in events if isinstance(e, Recorded) for s in e.samples]
        if not samples:
            return
        projection = self.tracker.add(samples, self.control.trend_since())
        if projection is not None:
            self._later(self.control.decide(now, projection))
        self._record()

    def appliance_events(self, events: Sequence[ApplianceEvent], now: datetime) -> None:
        control = self.control
        for event in events:
            key = peer_key(event.address)
            if isinstance(event, AppliancePower):
                control.observe(
                    key, event.address, event.eoj, event.at, event.watts, event.operating
                )
                epcs = control.comfort_epcs(event.eoj)
                if epcs:
                    self._call(partial(self._read, key, event, epcs))
            elif isinstance(event, ApplianceRead):
                control.readings(key, event.eoj, dict(event.values))
            elif isinstance(event, ApplianceCommanded):
                reason = event.reason
                self._later(
                    control.commanded(key, event.eoj, event.epc, event.accepted, reason, now)
                )
        self._record()

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = loop = asyncio.get_running_loop()
        store = self.service.store

        def read() -> None:  # on the writer's thread
            loop.call_soon_threadsafe(self._overrides, store.overrides())

        while not stop.is_set():
            self.service.writer.submit(read)
            await wait_for_stop(stop, _OVERRIDE_EVERY)

    # --- inside ------------------------------------------------------------------------------

    def _overrides(self, paused: dict[str, bool]) -> None:
        now = self.service.setup.clock.now()
        for name, value in paused.items():
            if self.control.plan.named(name) is not None:
                self.control.override(name, value, now)
        self._record()

    def _call(self, job: Callable[[], None]) -> None:
        loop = self._loop or asyncio.get_running_loop()
        loop.call_soon(job)

    def _later(self, commands: list[Command]) -> None:
        if commands:
            self._call(lambda: self._send(commands))

    def _send(self, commands: list[Command]) -> None:
        now = self.service.setup.clock.now()
        for command in commands:
            key = peer_key(command.address)
            try:
                self.service.command(key, command.eoj, command.epc, command.edt)
            except RequestNotAllowed as exc:  # the object is gone: retried, then reported
                self._later(
                    self.control.commanded(key, command.eoj, command.epc, False, str(exc), now)
                )
            if self._report is not None:
                self._report(
                    f"hemsnet controller: demand control: {command.name} "
                    f"0x{command.epc:02X}={command.edt.hex().upper()}"
                )
        self._record()

    def _read(self, key: str, event: AppliancePower, epcs: tuple[int, ...]) -> None:
        try:
            self.service.read(key, event.eoj, epcs)
        except RequestNotAllowed as exc:
            log.info("comfort read of %s at %s: %s", event.eoj, key, exc)

    def _record(self) -> None:
        events = self.control.take_events()
        if events:
            recorder = self.recorder
            self.service.writer.submit(lambda: recorder.apply(events))


def attach_demand(
    service: ControllerService, plan: DemandPlan, report: Callable[[str], None] | None = None
) -> DemandService:
    """Add demand control to ``service`` (before it runs); its sink."""
    sink = DemandService(service, plan, report)
    service.add_sink(sink)
    return sink
