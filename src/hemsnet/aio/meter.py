"""Serves a :class:`~hemsnet.meter.engine.MeterEngine` over UDP, in meter time.

Meter time runs ``speed`` times faster than the monotonic clock from a starting instant. The
runner feeds every datagram to the engine with the meter time it arrived at, wakes up when the
engine has something to do, sends what the engine returns (delayed ones later), and saves the
state at every half-hour and when it stops.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from hemsnet.aio.clock import ScaledClock, wait_for_stop
from hemsnet.aio.state_file import save_state
from hemsnet.aio.udp import Address, DatagramLink
from hemsnet.aio.wire import Wire
from hemsnet.echonet.send import Send
from hemsnet.meter.engine import MeterEngine

__all__ = ["MeterRunner"]


class MeterRunner:
    """Runs one meter engine on one transport until asked to stop."""

    def __init__(
        self,
        engine: MeterEngine,
        transport: DatagramLink,
        clock: ScaledClock,
        *,
        state_path: Path | None = None,
    ) -> None:
        self.engine = engine
        self.transport = transport
        self.clock = clock
        self.state_path = state_path
        self.wire = Wire(transport)
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Announce, then serve until ``stop`` is set; the state is saved on the way out."""
        self._loop = asyncio.get_running_loop()
        self.transport.set_handler(self._on_datagram)
        self.transport.start(self._loop)
        try:
            await self.wire.announce(stop, lambda: self.engine.start(self.clock.now()))
            saved = self.engine.registers.half_hour
            while not stop.is_set():
                delay = self.clock.delay_until(self.engine.next_wakeup())
                await wait_for_stop(stop, delay)
                for send in self.engine.advance(self.clock.now()):
                    self._dispatch(send)
                if self.engine.registers.half_hour != saved:
                    saved = self.engine.registers.half_hour
                    self.save()
        finally:
            self.transport.close()
            self.save()

    def save(self) -> None:
        if self.state_path is not None:
            save_state(self.state_path, self.engine.snapshot())

    def _on_datagram(self, data: bytes, source: Address) -> None:
        self.wire.received(data, source)
        for send in self.engine.receive(data, source, self.clock.now()):
            self._dispatch(send)

    def _dispatch(self, send: Send) -> None:
        if send.at is not None and self._loop is not None:
            self._loop.call_later(self.clock.delay_until(send.at), self.wire.transmit, send)
        else:
            self.wire.transmit(send)
