"""Serves an :class:`~hemsnet.appliances.engine.ApplianceEngine` over UDP, in appliance time.

Appliance time is a :class:`~hemsnet.aio.clock.ScaledClock`. The runner announces the instance
list, feeds every datagram to the engine with the time it arrived at, wakes up when the engine
has something to do, and sends what the engine returns.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from hemsnet.aio.clock import ScaledClock, wait_for_stop
from hemsnet.aio.meter import describe, describe_datagram
from hemsnet.aio.udp import Address, UdpTransport
from hemsnet.appliances.engine import ApplianceEngine
from hemsnet.echonet.send import Send

__all__ = ["ApplianceRunner"]

log = logging.getLogger(__name__)

_RETRY_FIRST: Final = 0.05  # s, then doubling: the interface may still be coming up
_RETRY_MAX: Final = 2.0


class ApplianceRunner:
    """Runs one appliance engine on one transport until asked to stop."""

    def __init__(
        self, engine: ApplianceEngine, transport: UdpTransport, clock: ScaledClock
    ) -> None:
        self.engine = engine
        self.transport = transport
        self.clock = clock
        self._verbose = False

    async def run(self, stop: asyncio.Event) -> None:
        """Announce, then serve until ``stop`` is set."""
        self._verbose = log.isEnabledFor(logging.INFO)
        self.transport.set_handler(self._on_datagram)
        self.transport.start(asyncio.get_running_loop())
        try:
            await self._announce(stop)
            while not stop.is_set():
                await wait_for_stop(stop, self.clock.delay_until(self.engine.next_wakeup()))
                for send in self.engine.advance(self.clock.now()):
                    self._transmit(send)
        finally:
            self.transport.close()

    async def _announce(self, stop: asyncio.Event) -> None:
        """The start-up INF of 0xD5, retried until the interface can send it."""
        delay = _RETRY_FIRST
        while not stop.is_set():
            sends = self.engine.start(self.clock.now())
            if all([self._transmit(send) for send in sends]):
                return
            log.info("the interface cannot send yet; announcing again in %.2f s", delay)
            await wait_for_stop(stop, delay)
            delay = min(2 * delay, _RETRY_MAX)

    def _on_datagram(self, data: bytes, source: Address) -> None:
        if self._verbose:
            log.info("<- %s %s", source, describe_datagram(data))
        for send in self.engine.receive(data, source, self.clock.now()):
            self._transmit(send)

    def _transmit(self, send: Send) -> bool:
        if self._verbose:
            log.info("-> %s %s", send.to or "multicast", describe(send.frame))
        if send.to is None:
            return self.transport.send_multicast(send.data)
        assert isinstance(send.to, Address)
        return self.transport.send(send.data, send.to)
