"""Serves an :class:`~hemsnet.appliances.engine.ApplianceEngine` over UDP, in appliance time.

Appliance time is a :class:`~hemsnet.aio.clock.ScaledClock`. The runner announces the instance
list, feeds every datagram to the engine with the time it arrived at, wakes up when the engine
has something to do, and sends what the engine returns.
"""

from __future__ import annotations

import asyncio

from hemsnet.aio.clock import ScaledClock, wait_for_stop
from hemsnet.aio.udp import Address, DatagramLink
from hemsnet.aio.wire import Wire
from hemsnet.appliances.engine import ApplianceEngine

__all__ = ["ApplianceRunner"]


class ApplianceRunner:
    """Runs one appliance engine on one transport until asked to stop."""

    def __init__(
        self, engine: ApplianceEngine, transport: DatagramLink, clock: ScaledClock
    ) -> None:
        self.engine = engine
        self.transport = transport
        self.clock = clock
        self.wire = Wire(transport)

    async def run(self, stop: asyncio.Event) -> None:
        """Announce, then serve until ``stop`` is set."""
        self.transport.set_handler(self._on_datagram)
        self.transport.start(asyncio.get_running_loop())
        try:
            await self.wire.announce(stop, lambda: self.engine.start(self.clock.now()))
            while not stop.is_set():
                await wait_for_stop(stop, self.clock.delay_until(self.engine.next_wakeup()))
                for send in self.engine.advance(self.clock.now()):
                    self.wire.transmit(send)
        finally:
            self.transport.close()

    def _on_datagram(self, data: bytes, source: Address) -> None:
        self.wire.received(data, source)
        for send in self.engine.receive(data, source, self.clock.now()):
            self.wire.transmit(send)
