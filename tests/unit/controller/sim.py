"""A controller engine and a meter engine, both from hemsnet, on a virtual link in virtual time.

Datagrams take ``latency`` to cross; each direction may drop them with a seeded probability.
The controller's events go through a real :class:`~hemsnet.aio.recorder.Recorder` into a
real SQLite store.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from hemsnet.aio.recorder import Recorder
from hemsnet.controller import ControllerConfig, ControllerEngine
from hemsnet.controller.events import Event, MeterPaired
from hemsnet.echonet.frame import Frame, decode_frame
from hemsnet.echonet.send import Send
from hemsnet.meter.engine import MeterEngine
from hemsnet.store import Store
from tests.unit.controller.in_flight import InFlight

CONTROLLER = "controller"
METER = "meter"
LATENCY = timedelta(milliseconds=3)


@dataclass
class Wire:
    """Every datagram that crossed (or was dropped), for assertions."""

    at: datetime
    source: Hashable
    to: Hashable | None
    data: bytes
    dropped: bool
    multicast: bool = False

    @property
    def frame(self) -> Frame:
        frame = decode_frame(self.data)
        assert isinstance(frame, Frame)
        return frame


@dataclass
class Sim:
    controller: ControllerEngine
    meter: MeterEngine | None
    store: Store
    recorder: Recorder
    drop_to_meter: float = 0.0
    drop_to_controller: float = 0.0
    seed: int = 1
    extra_peers: dict[Hashable, Callable[[bytes, Hashable, datetime], list[Send]]] = field(
        default_factory=dict
    )
    wire: list[Wire] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    now: datetime = datetime(2000, 1, 1)
    drop: Callable[[Wire], bool] | None = None
    restore_on_pairing: bool = True  # as the controller service does, from the store

    def __post_init__(self) -> None:
        self._in_flight = InFlight()
        self._random = random.Random(self.seed)
        self.now = self.controller.now

    # --- moving time ---------------------------------------------------------------------

    def start(self, *, meter_first: bool = True) -> None:
        if self.meter is not None and meter_first:
            self._from_meter(self.meter.announce(self.now))
        self._from_controller(self.controller.announce(self.now))
        self._from_controller(self.controller.advance(self.now))
        self._drain_events()

    def run(self, until: datetime) -> None:
        while True:
            wakes = [self.controller.next_wakeup()]
            if self.meter is not None:
                wakes.append(self.meter.next_wakeup())
            at = self._in_flight.next_stop(wakes, self.now)
            if at > until:
                self.now = until
                return
            self.now = at
            self.step()

    def run_for(self, **delta: float) -> None:
        self.run(self.now + timedelta(**delta))

    def run_until(self, done: Callable[[], bool], limit: timedelta) -> None:
        """Run until ``done()`` holds; fail after ``limit`` of virtual time."""
        deadline = self.now + limit
        while not done():
            assert self.now < deadline, "the condition did not come true in time"
            self.run(min(self.now + timedelta(minutes=1), deadline))

    def step(self) -> None:
        now = self.now
        for to, data, source in self._in_flight.due(now):
            if to == CONTROLLER:
                self._from_controller(self.controller.receive(data, source, now))
            elif to == METER and self.meter is not None:
                self._from_meter(self.meter.receive(data, source, now))
            elif to in self.extra_peers:
                for send in self.extra_peers[to](data, source, now):
                    self._transmit(to, send)
        if self.meter is not None and self.meter.next_wakeup() <= now:
            self._from_meter(self.meter.advance(now))
        if self.controller.next_wakeup() <= now:
            self._from_controller(self.controller.advance(now))
        self._drain_events()

    def inject(
        self, source: Hashable, to: Hashable, data: bytes, *, delay: timedelta = LATENCY
    ) -> None:
        """A datagram from a third node, arriving ``delay`` from now."""
        self._in_flight.push(self.now + delay, to, data, source)

    # --- inside --------------------------------------------------------------------------

    def _drain_events(self) -> None:
        events = self.controller.take_events()
        if not events:
            return
        self.events += events
        self.recorder.apply(events, self.now)
        if self.restore_on_pairing and any(isinstance(event, MeterPaired) for event in events):
            config = self.controller.config
            held = self.recorder.held(
                self.now, days=config.history_days, minute_hours=config.minute_history_hours
            )
            self.controller.restore(held)

    def deliver_from_meter(self, sends: list[Send]) -> None:
        """Put what the meter engine returned (outside :meth:`run`) on the link."""
        self._from_meter(sends)

    def _from_controller(self, sends: list[Send]) -> None:
        for send in sends:
            self._transmit(CONTROLLER, send)

    def _from_meter(self, sends: list[Send]) -> None:
        for send in sends:
            self._transmit(METER, send)

    def _transmit(self, source: Hashable, send: Send) -> None:
        at = max(send.at or self.now, self.now)
        targets = [send.to] if send.to is not None else self._others(source) or [None]
        for to in targets:
            probability = self.drop_to_meter if to == METER else self.drop_to_controller
            wire = Wire(at, source, to, send.data, False, send.to is None)
            wire.dropped = self._random.random() < probability or bool(
                self.drop is not None and self.drop(wire)
            )
            self.wire.append(wire)
            if not wire.dropped and to is not None:
                self._in_flight.push(at + LATENCY, to, send.data, source)

    def _others(self, source: Hashable) -> list[Hashable]:
        nodes: list[Hashable] = [CONTROLLER, *self.extra_peers]
        if self.meter is not None:
            nodes.append(METER)
        return [node for node in nodes if node != source]


def sim(
    tmp_path: Path,
    meter: MeterEngine | None,
    *,
    now: datetime,
    config: ControllerConfig | None = None,
    meter_address: Hashable | None = None,
    store: Store | None = None,
    **options: float,
) -> Sim:
    store = store or Store.open(tmp_path / "hemsnet.db")
    engine = ControllerEngine(config or ControllerConfig(), now=now, meter=meter_address)
    recorder = Recorder(store)
    return Sim(engine, meter, store, recorder, **options)  # type: ignore[arg-type]
