"""A link in memory: endpoints with the :class:`~hemsnet.aio.udp.DatagramLink` interface that
reach each other by address, and every other endpoint by multicast, through the event loop."""

from __future__ import annotations

import asyncio

from hemsnet.aio.udp import ECHONET_PORT, Address, DatagramHandler, Interface

IFACE = Interface("mem0", 9)


class Segment:
    def __init__(self) -> None:
        self.endpoints: dict[Address, Endpoint] = {}

    def endpoint(self, host: str) -> Endpoint:
        endpoint = Endpoint(self, Address(host, ECHONET_PORT, IFACE.index))
        self.endpoints[endpoint.address] = endpoint
        return endpoint


class Endpoint:
    def __init__(self, segment: Segment, address: Address) -> None:
        self.segment = segment
        self.address = address
        self.iface: Interface | None = IFACE
        self.port = ECHONET_PORT
        self.handler: DatagramHandler | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.starts = 0
        self.closed = False
        self.multicasts: list[bool] = []  # whether each multicast asked for IPv4 too
        self.sent: list[tuple[bytes, Address | None]] = []

    def set_handler(self, handler: DatagramHandler) -> None:
        self.handler = handler

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.loop = loop or asyncio.get_running_loop()
        self.starts += 1

    def close(self) -> None:
        self.closed = True

    def send(self, data: bytes, addr: Address) -> bool:
        self.sent.append((data, addr))
        target = self.segment.endpoints.get(addr)
        if target is not None:
            target.arrive(data, self.address)
        return True

    def send_multicast(self, data: bytes, *, ipv4: bool = True) -> bool:
        self.sent.append((data, None))
        self.multicasts.append(ipv4)
        for target in self.segment.endpoints.values():
            if target is not self:
                target.arrive(data, self.address)
        return True

    def arrive(self, data: bytes, source: Address) -> None:
        handler = self.handler
        if handler is not None and self.loop is not None and not self.closed:
            self.loop.call_soon(handler, data, source)
