"""Serves an :class:`~hemsnet.controller.appliances.ApplianceMonitor` on one HEMS network.

One runner per HEMS interface, each with its own UDP socket on port 3610 bound to that
interface (a socket bound to another interface, such as the Route B one, does not conflict),
or, on the Route B interface itself, a share of the Route B socket
(:mod:`hemsnet.aio.shared_link`).
The runner feeds the monitor every datagram with the controller time it arrived at, wakes it
when it has something to do, sends what it returns, and writes its events to the store before
it reads the next datagram. Appliances found and lost are reported as lines.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from hemsnet.aio.appliance_recorder import ApplianceRecorder, class_name
from hemsnet.aio.clock import Alarm, ScaledClock
from hemsnet.aio.udp import Address, DatagramLink
from hemsnet.aio.wire import Wire
from hemsnet.controller.appliance_events import ApplianceFound, ApplianceLost
from hemsnet.controller.appliances import ApplianceMonitor
from hemsnet.echonet.send import Send

__all__ = ["ApplianceRunner"]


class ApplianceRunner:
    """Runs one appliance monitor on one transport until asked to stop."""

    def __init__(
        self,
        monitor: ApplianceMonitor,
        transport: DatagramLink,
        recorder: ApplianceRecorder,
        clock: ScaledClock,
        *,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.monitor = monitor
        self.transport = transport
        self.recorder = recorder
        self.clock = clock
        self.report = report
        self.wire = Wire(transport)
        self._alarm = Alarm()

    @property
    def network(self) -> str:
        return self.transport.iface.name if self.transport.iface else "any interface"

    async def run(self, stop: asyncio.Event) -> None:
        self.transport.set_handler(self._on_datagram)
        self.transport.start(asyncio.get_running_loop())
        try:
            async with self._alarm.armed(stop):
                await self.wire.announce(stop, lambda: [self.monitor.announcement()])
                self._dispatch(self.monitor.start(self.clock.now()))
                while not stop.is_set():
                    await self._alarm.sleep(self.clock.delay_until(self.monitor.next_wakeup()))
                    self._dispatch(self.monitor.advance(self.clock.now()))
        finally:
            self.transport.close()

    def _on_datagram(self, data: bytes, source: Address) -> None:
        self.wire.received(data, source)
        self._dispatch(self.monitor.receive(data, source, self.clock.now()))
        self._alarm.ring()

    def _dispatch(self, sends: list[Send]) -> None:
        for send in sends:
            self.wire.transmit(send)
        events = self.monitor.take_events()
        if not events:
            return
        self.recorder.apply(events, self.clock.now())
        for event in events:
            if isinstance(event, ApplianceFound | ApplianceLost) and self.report is not None:
                state = "found" if isinstance(event, ApplianceFound) else "lost"
                self.report(
                    f"hemsnet controller: appliance {event.eoj} ({class_name(event.eoj)}) at "
                    f"{event.address} on {self.network} {state}"
                )
