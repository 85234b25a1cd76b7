"""One node on several interfaces: a :class:`~hemsnet.aio.udp.UdpTransport` per interface,
seen by its runner as one :class:`~hemsnet.aio.udp.DatagramLink`.

The smart meter of a G.9958 home is on two networks at once: Route B to the HEMS controller
[G.9958 I.1(2)] and the utility network to the head-end [G.9958 6.2, I.1(1)]. Its registers
are one, so it is one engine on both (H21, docs/homenet.md). An answer leaves by the
interface its peer was heard on (the peer's link-local scope); a multicast (the start-up
announcement, the scheduled notifications) leaves on every interface, as each network's
nodes expect it of a node on their link [AIF 3.1.1].
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from hemsnet.aio.udp import Address, DatagramHandler, Interface, UdpTransport

__all__ = ["MultiLink"]


class MultiLink:
    """Several transports, the first the primary: its interface names the link, and a peer
    whose scope is none of the interfaces' (an IPv4 or a routed peer) is sent to through it."""

    def __init__(self, transports: Sequence[UdpTransport]) -> None:
        if not transports:
            raise ValueError("a MultiLink needs at least one transport")
        self.transports = tuple(transports)
        self._by_scope = {t.iface.index: t for t in self.transports if t.iface is not None}

    @property
    def iface(self) -> Interface | None:
        return self.transports[0].iface

    @property
    def port(self) -> int:
        return self.transports[0].port

    def set_handler(self, handler: DatagramHandler) -> None:
        for transport in self.transports:
            transport.set_handler(handler)

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        for transport in self.transports:
            transport.start(loop)

    def close(self) -> None:
        for transport in self.transports:
            transport.close()

    def send(self, data: bytes, addr: Address) -> bool:
        return self._by_scope.get(addr.scope_id, self.transports[0]).send(data, addr)

    def send_multicast(self, data: bytes, *, ipv4: bool = True) -> bool:
        # Every interface, even when one fails: the runner retries only a failed announcement.
        sent = [transport.send_multicast(data, ipv4=ipv4) for transport in self.transports]
        return all(sent)
