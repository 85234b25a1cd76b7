"""Runs a sans-I/O :class:`~hemsnet.echonet.responder.Node` on a UDP transport."""

from __future__ import annotations

import logging
from collections.abc import Callable

from hemsnet.aio.udp import Address, UdpTransport
from hemsnet.echonet.frame import Frame
from hemsnet.echonet.responder import (
    FrameDiscarded,
    FrameIgnored,
    Node,
    Outgoing,
    PropertiesWritten,
    Received,
)

__all__ = ["NodeRunner"]

log = logging.getLogger(__name__)

FrameListener = Callable[[Frame, Address], None]
WriteListener = Callable[[PropertiesWritten, Address], None]


class NodeRunner:
    """Feeds every datagram to the node, sends what it answers and hands frames on.

    Responses and notifications the node does not consume go to ``on_frame``; remote Sets it
    stored go to ``on_write``. Discards are logged with the sender, counted by the node.
    """

    def __init__(self, node: Node, transport: UdpTransport) -> None:
        self.node = node
        self.transport = transport
        self.on_frame: FrameListener | None = None
        self.on_write: WriteListener | None = None
        transport.set_handler(self._on_datagram)

    def start(self) -> None:
        self.transport.start()

    def close(self) -> None:
        self.transport.close()

    def send(self, out: Outgoing, peer: Address | None = None) -> None:
        """Send a frame: multicast, or unicast to ``peer``."""
        data = out.encode()
        if out.multicast or peer is None:
            self.transport.send_multicast(data)
        else:
            self.transport.send(data, peer)

    def _on_datagram(self, data: bytes, source: Address) -> None:
        reaction = self.node.receive(data)
        for out in reaction.outgoing:
            self.send(out, source)
        for event in reaction.events:
            if isinstance(event, Received):
                if self.on_frame is not None:
                    self.on_frame(event.frame, source)
            elif isinstance(event, PropertiesWritten):
                if self.on_write is not None:
                    self.on_write(event, source)
            elif isinstance(event, FrameDiscarded):
                log.info("discarded datagram from %s: %s", source, event.reason)
            elif isinstance(event, FrameIgnored):
                log.debug("ignored frame from %s: %s", source, event.reason)
