"""The controller watch around hemsnet's meter, against a controller engine (hemsnet's own, or
one broken on purpose), in virtual time."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from datetime import datetime, timedelta
from typing import Any

from hemsnet.conformance.controller_watch import ControllerWatch, WatchOptions
from hemsnet.conformance.report import Report
from hemsnet.controller import ControllerConfig, ControllerEngine
from hemsnet.controller.coverage import Held
from hemsnet.controller.events import MeterPaired
from hemsnet.echonet.send import Send
from hemsnet.meter.faults import FaultPlan, Window
from tests.unit.conformance.harness import START, hemsnet_meter
from tests.unit.conformance.pair import AnyEngine, Pair

WATCH = timedelta(hours=3)
FAULT = Window(START + timedelta(minutes=70), START + timedelta(minutes=100))


class Restoring:
    """A controller engine as the service runs it: told, once paired, that the store is empty."""

    def __init__(self, engine: ControllerEngine) -> None:
        self.engine = engine

    def announce(self, now: datetime) -> list[Send]:
        return self.engine.announce(now)

    def receive(self, data: bytes, source: Hashable, now: datetime) -> list[Send]:
        return self.engine.receive(data, source, now)

    def advance(self, now: datetime) -> list[Send]:
        return self.engine.advance(now)

    def next_wakeup(self) -> datetime:
        return self.engine.next_wakeup()

    def take_events(self) -> Sequence[Any]:
        events = self.engine.take_events()
        if any(isinstance(e, MeterPaired) for e in events):
            self.engine.restore(Held())
        return events


def hemsnet_controller(now: datetime = START, **config: Any) -> Restoring:
    settings = dataclasses.replace(ControllerConfig(), **config)
    return Restoring(ControllerEngine(settings, now=now))


def watch_controller(
    controller: AnyEngine, *, class_id: int = 0x028F, options: WatchOptions | None = None
) -> tuple[Report, Pair]:
    meter = hemsnet_meter(class_id=class_id, faults=FaultPlan(faults=(FAULT,)))
    watch = ControllerWatch(meter, now=START, end=START + WATCH, options=options)
    pair = Pair(controller, watch, START, names=("controller", "meter"))
    pair.start(b_first=True)
    pair.run_until(lambda: watch.done, WATCH + timedelta(minutes=1))
    assert watch.failure is None, watch.failure
    return watch.finish(pair.now), pair
