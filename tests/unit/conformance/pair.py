"""Two engines on a virtual link in virtual time: the tester and the device under test.

Each is any engine of the contract (:mod:`hemsnet.echonet.engine`); a multicast reaches the
other. Datagrams take ``LATENCY``; ``Send.at`` is honoured. Every datagram is kept on
``wire`` for assertions.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from hemsnet.echonet.send import Send
from tests.unit.controller.in_flight import InFlight

LATENCY = timedelta(milliseconds=5)


class AnyEngine(Protocol):
    def announce(self, now: datetime) -> list[Send]: ...
    def receive(self, data: bytes, source: Hashable, now: datetime) -> list[Send]: ...
    def advance(self, now: datetime) -> list[Send]: ...
    def next_wakeup(self) -> datetime: ...
    def take_events(self) -> Sequence[Any]: ...


@dataclass
class Pair:
    a: AnyEngine
    b: AnyEngine
    now: datetime
    names: tuple[Hashable, Hashable] = ("tester", "device")
    wire: list[tuple[datetime, Hashable, bytes]] = field(default_factory=list)
    events: dict[Hashable, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._flight = InFlight()
        self.events = {name: [] for name in self.names}

    def _engine(self, name: Hashable) -> AnyEngine:
        return self.a if name == self.names[0] else self.b

    def _other(self, name: Hashable) -> Hashable:
        return self.names[1] if name == self.names[0] else self.names[0]

    def start(self, *, b_first: bool = False) -> None:
        order = [self.names[1], self.names[0]] if b_first else list(self.names)
        for name in order:
            self._out(name, self._engine(name).announce(self.now))
        for name in order:
            self._out(name, self._engine(name).advance(self.now))

    def run_until(self, done: Callable[[], bool], limit: timedelta) -> None:
        deadline = self.now + limit
        while not done():
            wakes = [self.a.next_wakeup(), self.b.next_wakeup()]
            at = self._flight.next_stop(wakes, self.now)
            assert at <= deadline, "the run did not end in time"
            self.now = at
            self._step()

    def _step(self) -> None:
        now = self.now
        for to, data, source in self._flight.due(now):
            self._out(to, self._engine(to).receive(data, source, now))
        for name in self.names:
            engine = self._engine(name)
            if engine.next_wakeup() <= now:
                self._out(name, engine.advance(now))

    def _out(self, name: Hashable, sends: list[Send]) -> None:
        for send in sends:
            at = max(send.at or self.now, self.now)
            self.wire.append((at, name, send.data))
            self._flight.push(at + LATENCY, self._other(name), send.data, name)
        self.events[name].extend(self._engine(name).take_events())
