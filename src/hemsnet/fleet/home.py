"""One simulated home in virtual time: hemsnet's meter engine and controller engine on a
lossless virtual Route B link, the controller's events recorded in the home's own SQLite store,
as ``hemsnet controller`` records them (same engine, same :class:`Recorder`, same store, so the
store's outbox queues the same records for Route C).

Nothing here waits on a clock: :meth:`VirtualHome.run_until` moves the home's time from one
wake-up (an engine's timer or a datagram's arrival) to the next, so a day takes a fraction of a
second of CPU.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from hemsnet.aio.recorder import Recorder
from hemsnet.controller import ControllerConfig, ControllerEngine
from hemsnet.controller.events import MeterPaired
from hemsnet.echonet.send import Send
from hemsnet.meter.config import MeterConfig
from hemsnet.meter.engine import MeterEngine
from hemsnet.store import Store
from hemsnet.store.outbox import Outbox

__all__ = ["FLEET_CONTROLLER", "HomeSpec", "VirtualHome"]

_CONTROLLER: Final = "controller"
_METER: Final = "meter"
_LATENCY: Final = timedelta(milliseconds=20)  # one Wi-SUN hop, give or take

#: The controller plan of a simulated home: the 30-minute data (the meter's notifications and
#: the recovery of anything missed [AIF 3.3.1, 3.3.3]) without the live polls, which a
#: provider does not ingest. A day of history is enough: the homes start fresh.
FLEET_CONTROLLER: Final = ControllerConfig(
    instant_interval=0, minute_interval=0, present_interval=0, history_days=1
)


@dataclass(frozen=True, slots=True)
class HomeSpec:
    """What makes one home different from the next: its ID and its meter's seed."""

    home_id: str
    seed: int


class VirtualHome:
    """A meter and a controller, pumped in virtual time into ``folder/<home ID>.db``."""

    def __init__(
        self,
        spec: HomeSpec,
        folder: Path,
        *,
        start: datetime,
        installed: datetime,
        config: ControllerConfig = FLEET_CONTROLLER,
    ) -> None:
        self.spec = spec
        self.now = start
        self.store = Store.open(folder / f"{spec.home_id}.db")
        with Outbox.open(folder / f"{spec.home_id}.db") as outbox:
            outbox.enable(True)  # every home has Route C on, from its first row
        self.recorder = Recorder(self.store)
        self.meter = MeterEngine(MeterConfig(), now=start, seed=spec.seed, installed=installed)
        self.controller = ControllerEngine(replace(config, seed=spec.seed), now=start)
        self._config = config
        self._wire: list[tuple[datetime, int, str, bytes, str]] = []
        self._order = itertools.count()
        self._send(_METER, self.meter.announce(start))
        self._send(_CONTROLLER, self.controller.announce(start))
        self._send(_CONTROLLER, self.controller.advance(start))
        self._record()

    def run_until(self, until: datetime) -> None:
        """Everything the two engines do up to ``until`` (virtual time)."""
        while True:
            at = min(self.controller.next_wakeup(), self.meter.next_wakeup())
            if self._wire:
                at = min(at, self._wire[0][0])
            at = max(at, self.now)
            if at > until:
                self.now = until
                return
            self.now = at
            self._step(at)

    def close(self) -> None:
        self.store.close()

    def _step(self, now: datetime) -> None:
        while self._wire and self._wire[0][0] <= now:
            _, _, to, data, source = heapq.heappop(self._wire)
            if to == _CONTROLLER:
                self._send(_CONTROLLER, self.controller.receive(data, source, now))
            else:
                self._send(_METER, self.meter.receive(data, source, now))
        if self.meter.next_wakeup() <= now:
            self._send(_METER, self.meter.advance(now))
        if self.controller.next_wakeup() <= now:
            self._send(_CONTROLLER, self.controller.advance(now))
        self._record()

    def _send(self, source: str, sends: list[Send]) -> None:
        to = _METER if source == _CONTROLLER else _CONTROLLER
        for send in sends:
            at = max(send.at or self.now, self.now) + _LATENCY
            heapq.heappush(self._wire, (at, next(self._order), to, send.data, source))

    def _record(self) -> None:
        events = self.controller.take_events()
        if not events:
            return
        self.recorder.apply(events, self.now)
        if any(isinstance(event, MeterPaired) for event in events):
            # As the controller service does: what the store holds goes back to the engine.
            held = self.recorder.held(
                self.now,
                days=self._config.history_days,
                minute_hours=self._config.minute_history_hours,
            )
            self.controller.restore(held)
