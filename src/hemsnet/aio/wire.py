"""What every runner of a sans-I/O engine does at the wire: send what the engine returns, log
frames at ``-v``, and announce at start-up until the interface can send.

The meter, appliance, controller and appliance-monitor runners each hold a :class:`Wire` on
their link (a :class:`~hemsnet.aio.udp.UdpTransport`, or a share of one).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final

from hemsnet.aio.clock import wait_for_stop
from hemsnet.aio.udp import Address, DatagramLink
from hemsnet.echonet.frame import Frame, decode_frame
from hemsnet.echonet.send import Send
from hemsnet.errors import FrameError

__all__ = ["Wire", "describe", "describe_datagram"]

log = logging.getLogger(__name__)

_RETRY_FIRST: Final = 0.05  # s, then doubling: the interface may still be coming up
_RETRY_MAX: Final = 2.0


def describe(frame: Frame) -> str:
    """One line for the log: ``Get_Res 028F01->05FF01 TID 7 80 E2 D3``."""
    epcs = " ".join(f"{p.epc:02X}" for p in frame.properties + frame.get_properties)
    return f"{frame.esv.symbol} {frame.seoj}->{frame.deoj} TID {frame.tid} {epcs}"


def describe_datagram(data: bytes) -> str:
    """One line for the log, for any datagram: ``malformed (...)`` when it does not decode."""
    try:
        frame = decode_frame(data)
    except FrameError as exc:
        return f"malformed ({exc.reason})"
    if isinstance(frame, Frame):
        return describe(frame)
    return "Format 2 frame"


class Wire:
    """Sends and logs for one runner on one link."""

    def __init__(self, link: DatagramLink) -> None:
        self.link = link
        # Read once: the check costs more than a datagram on a busy meter.
        self.verbose = log.isEnabledFor(logging.INFO)

    @property
    def name(self) -> str:
        return self.link.iface.name if self.link.iface else "the interface"

    def transmit(self, send: Send) -> bool:
        """Send to its peer, or to every node when it has none; whether it left."""
        if self.verbose:
            log.info("-> %s %s", send.to or "multicast", describe_datagram(send.data))
        if send.to is None:
            return self.link.send_multicast(send.data)
        assert isinstance(send.to, Address)
        return self.link.send(send.data, send.to)

    def received(self, data: bytes, source: Address) -> None:
        if self.verbose:
            log.info("<- %s %s", source, describe_datagram(data))

    async def announce(self, stop: asyncio.Event, sends: Callable[[], list[Send]]) -> None:
        """Send the start-up announcement (the 0xD5 instance list [AIF 3.1.1]), asking
        ``sends`` for it again until all of it leaves or ``stop`` is set."""
        delay = _RETRY_FIRST
        while not stop.is_set():
            if all([self.transmit(send) for send in sends()]):
                return
            log.info("%s cannot send yet; announcing again in %.2f s", self.name, delay)
            await wait_for_stop(stop, delay)
            delay = min(2 * delay, _RETRY_MAX)
