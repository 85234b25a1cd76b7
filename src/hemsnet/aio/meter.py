"""Serves a :class:`~hemsnet.meter.engine.MeterEngine` over UDP, in meter time.

Meter time runs ``speed`` times faster than the monotonic clock from a starting instant. The
runner feeds every datagram to the engine with the meter time it arrived at, wakes up when the
engine has something to do, sends what the engine returns (delayed ones later), and saves the
state at every half-hour and when it stops.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Final

from hemsnet.aio.clock import ScaledClock, wait_for_stop
from hemsnet.aio.state_file import save_state
from hemsnet.aio.udp import Address, UdpTransport
from hemsnet.echonet.frame import Frame, decode_frame
from hemsnet.echonet.send import Send
from hemsnet.errors import FrameError
from hemsnet.meter.engine import MeterEngine

__all__ = ["MeterRunner", "describe", "describe_datagram"]

log = logging.getLogger(__name__)

_RETRY_FIRST: Final = 0.05  # s, then doubling: the interface may still be coming up
_RETRY_MAX: Final = 2.0


def describe(frame: Frame) -> str:
    """One line for the log: ``Get_Res 028F01->05FF01 80 E2 D3``."""
    epcs = " ".join(f"{p.epc:02X}" for p in frame.properties + frame.get_properties)
    return f"{frame.esv.symbol} {frame.seoj}->{frame.deoj} TID {frame.tid} {epcs}"


class MeterRunner:
    """Runs one meter engine on one transport until asked to stop."""

    def __init__(
        self,
        engine: MeterEngine,
        transport: UdpTransport,
        clock: ScaledClock,
        *,
        state_path: Path | None = None,
    ) -> None:
        self.engine = engine
        self.transport = transport
        self.clock = clock
        self.state_path = state_path
        self._loop: asyncio.AbstractEventLoop | None = None
        self._verbose = False

    async def run(self, stop: asyncio.Event) -> None:
        """Announce, then serve until ``stop`` is set; the state is saved on the way out."""
        self._loop = asyncio.get_running_loop()
        self._verbose = log.isEnabledFor(logging.INFO)
        self.transport.set_handler(self._on_datagram)
        self.transport.start(self._loop)
        try:
            await self._announce(stop)
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

    async def _announce(self, stop: asyncio.Event) -> None:
        """The start-up INF of 0xD5, retried until the interface can send it [AIF 3.1.1]."""
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
            self._dispatch(send)

    def _dispatch(self, send: Send) -> None:
        if send.at is not None and self._loop is not None:
            self._loop.call_later(self.clock.delay_until(send.at), self._transmit, send)
        else:
            self._transmit(send)

    def _transmit(self, send: Send) -> bool:
        data = send.data
        if self._verbose:
            log.info("-> %s %s", send.to or "multicast", describe(send.frame))
        if send.to is None:
            return self.transport.send_multicast(data)
        assert isinstance(send.to, Address)
        return self.transport.send(data, send.to)


def describe_datagram(data: bytes) -> str:
    """One line for the log, for any datagram: ``malformed (...)`` when it does not decode."""
    try:
        frame = decode_frame(data)
    except FrameError as exc:
        return f"malformed ({exc.reason})"
    if isinstance(frame, Frame):
        return describe(frame)
    return "Format 2 frame"
