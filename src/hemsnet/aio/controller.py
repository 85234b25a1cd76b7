"""Serves a :class:`~hemsnet.controller.engine.ControllerEngine` over UDP and keeps its record.

The runner feeds every datagram to the engine with the controller time it arrived at, wakes the
engine when it has something to do, sends what it returns, and writes the engine's events to
the store through a :class:`~hemsnet.aio.recorder.Recorder` before it reads the next datagram.
A status line goes to ``report`` when something a person cares about changes, and every
``status_every`` seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Final

from hemsnet.aio.clock import Alarm, ScaledClock
from hemsnet.aio.recorder import Recorder
from hemsnet.aio.udp import Address, DatagramLink
from hemsnet.aio.wire import Wire
from hemsnet.controller.engine import ControllerEngine
from hemsnet.controller.events import (
    BackfillProgress,
    Event,
    FaultEnded,
    FaultStarted,
    GapSettled,
    MeterPaired,
    MeterRestarted,
    Warned,
)
from hemsnet.echonet.send import Send
from hemsnet.metering.gaps import GapStatus

__all__ = ["ControllerRunner", "status_line"]

_NOTABLE: Final = (MeterPaired, MeterRestarted, FaultStarted, FaultEnded, GapSettled, Warned)


class ControllerRunner:
    """Runs one controller engine on one transport until asked to stop."""

    def __init__(
        self,
        engine: ControllerEngine,
        transport: DatagramLink,
        recorder: Recorder,
        clock: ScaledClock,
        *,
        report: Callable[[str], None] | None = None,
        status_every: float = 60.0,
    ) -> None:
        self.engine = engine
        self.transport = transport
        self.recorder = recorder
        self.clock = clock
        self.report = report
        self.status_every = status_every
        self.wire = Wire(transport)
        self._last_status = 0.0
        self._last_progress = -1
        self._alarm = Alarm()

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        self.transport.set_handler(self._on_datagram)
        self.transport.start(loop)
        try:
            async with self._alarm.armed(stop):
                await self.wire.announce(stop, lambda: [self.engine.announcement()])
                self._dispatch(self.engine.start(self.clock.now()))
                self._status()
                while not stop.is_set():
                    delay = self.clock.delay_until(self.engine.next_wakeup())
                    next_status = self._last_status + self.status_every - time.monotonic()
                    await self._alarm.sleep(max(0.0, min(delay, next_status)))
                    self._dispatch(self.engine.advance(self.clock.now()))
                    if time.monotonic() - self._last_status >= self.status_every:
                        self._status()
        finally:
            self.transport.close()

    def _on_datagram(self, data: bytes, source: Address) -> None:
        self.wire.received(data, source)
        self._dispatch(self.engine.receive(data, source, self.clock.now()))
        self._alarm.ring()

    def _dispatch(self, sends: list[Send]) -> None:
        for send in sends:
            self.wire.transmit(send)
        self._record()

    def _record(self) -> None:
        events = self.engine.take_events()
        if not events:
            return
        now = self.clock.now()
        self.recorder.apply(events, now)
        if any(isinstance(event, MeterPaired) for event in events):
            config = self.engine.config
            held = self.recorder.held(
                now, days=config.history_days, minute_hours=config.minute_history_hours
            )
            self.engine.restore(held)
        if any(isinstance(event, _NOTABLE) for event in events) or self._progressed(events):
            self._status()

    def _progressed(self, events: list[Event]) -> bool:
        """Whether a backfill moved on by a tenth (or finished), worth a status line."""
        for event in events:
            if isinstance(event, BackfillProgress) and event.total:
                tenth = 10 * event.done // event.total
                if tenth != self._last_progress:
                    self._last_progress = tenth
                    return True
        return False

    def _status(self) -> None:
        self._last_status = time.monotonic()
        if self.report is not None:
            self.report(status_line(self.engine, self.recorder))


def status_line(engine: ControllerEngine, recorder: Recorder) -> str:
    """``hemsnet controller: meter ... | last reading ... | gaps ... | fault ... | ...``."""
    status = engine.status
    if not engine.paired:
        return "hemsnet controller: searching for a meter (0x028F)"
    parts = [f"meter {engine.meter_eoj} at {engine.meter_address}"]
    meter_id = recorder.meter_id
    if meter_id is not None:
        store = recorder.store
        gaps = store.gaps(meter_id)
        counts = {s: sum(1 for gap in gaps if gap.status is s) for s in GapStatus}
        parts.append(
            "last reading "
            + (status.last_reading.isoformat(" ", "minutes") if status.last_reading else "none yet")
        )
        parts.append(
            f"gaps {counts[GapStatus.OPEN]} open, {counts[GapStatus.FILLED]} filled, "
            f"{counts[GapStatus.UNRECOVERABLE]} unrecoverable"
        )
        faults = store.faults(meter_id)
        parts.append("in fault" if engine.in_fault else f"faults {len(faults)}")
    if status.backfill_total and status.backfill_done < status.backfill_total:
        parts.append(f"backfill {status.backfill_done}/{status.backfill_total} days")
    elif status.backfilled_at is not None:
        parts.append(f"backfill done {status.backfilled_at.isoformat(' ', 'seconds')}")
    counters = status.counters
    parts.append(
        f"requests {counters.get('sent', 0)} sent, {counters.get('answered', 0)} answered, "
        f"{counters.get('refused', 0)} refused, {counters.get('timed_out', 0)} timed out"
    )
    return "hemsnet controller: " + " | ".join(parts)
