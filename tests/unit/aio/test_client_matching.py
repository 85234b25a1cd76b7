"""The client's response matching, over real UDP on the loopback interface.

A plain socket plays the node, so each test decides exactly what comes back and when.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from hemsnet.aio.client import EchonetClient
from hemsnet.aio.udp import Address
from hemsnet.echonet.eoj import CONTROLLER, NODE_PROFILE, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, decode_frame, encode_frame
from hemsnet.errors import ResponseTimeout

METER = Eoj(0x02, 0x8F, 0x01)


def _loopback_v6() -> str | None:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return "IPv6 loopback is not available"
    return None


pytestmark = pytest.mark.skipif(_loopback_v6() is not None, reason=str(_loopback_v6()))


class FakeNode:
    """A UDP socket on ::1 that hands each request to the test and sends what it says."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        self.sock.bind(("::1", 0))
        self.sock.setblocking(False)
        self.address = Address("::1", self.sock.getsockname()[1])

    async def next_request(self) -> tuple[Frame, tuple[str, int, int, int]]:
        loop = asyncio.get_running_loop()
        data, source = await loop.sock_recvfrom(self.sock, 1500)
        frame = decode_frame(data)
        assert isinstance(frame, Frame)
        return frame, source

    def reply(self, to: tuple[str, int, int, int], frame: Frame) -> None:
        self.sock.sendto(encode_frame(frame), to)


def _answer(request: Frame, esv: Esv = Esv.GET_RES, **changes: object) -> Frame:
    props = tuple(Property(p.epc, b"\x30") for p in request.properties)
    reply = Frame(request.tid, request.deoj, request.seoj, esv, props)
    return reply._replace(**changes)


@asynccontextmanager
async def _session() -> AsyncIterator[tuple[EchonetClient, FakeNode]]:
    client = EchonetClient.open(None, port=0)
    node = FakeNode()
    try:
        yield client, node
    finally:
        client.close()
        node.sock.close()


def _run(scenario: Callable[[EchonetClient, FakeNode], object]) -> None:
    async def main() -> None:
        async with _session() as (client, node):
            await scenario(client, node)

    asyncio.run(main())


def test_answered_request_returns_the_response() -> None:
    async def scenario(client: EchonetClient, node: FakeNode) -> None:
        pending = asyncio.ensure_future(client.get(node.address, METER, [0x80]))
        request, source = await node.next_request()
        assert request.seoj == CONTROLLER and request.esv is Esv.GET
        node.reply(source, _answer(request))
        assert await pending == {0x80: b"\x30"}

    _run(scenario)


def test_late_response_to_a_retired_tid_is_discarded() -> None:
    async def scenario(client: EchonetClient, node: FakeNode) -> None:
        first = asyncio.ensure_future(client.get(node.address, METER, [0x80], timeout=0.2))
        stale, source = await node.next_request()
        with pytest.raises(ResponseTimeout):
            await first
        second = asyncio.ensure_future(client.get(node.address, METER, [0x80], timeout=5))
        fresh, _ = await node.next_request()
        assert fresh.tid != stale.tid
        node.reply(source, _answer(stale, properties=(Property(0x80, b"\x31"),)))
        node.reply(source, _answer(fresh))
        assert await second == {0x80: b"\x30"}  # not the stale 0x31
        assert client.stats.unmatched == 1
        assert client.stats.timed_out == 1

    _run(scenario)


@pytest.mark.parametrize(
    "spoil",
    [
        {"tid": 0x7777},
        {"esv": Esv.SET_RES},
        {"seoj": Eoj(0x02, 0x8A, 0x01)},
    ],
    ids=["other TID", "ESV not pairing with Get", "SEOJ not addressed"],
)
def test_mismatched_response_is_not_taken(spoil: dict[str, object]) -> None:
    async def scenario(client: EchonetClient, node: FakeNode) -> None:
        pending = asyncio.ensure_future(client.get(node.address, METER, [0x80], timeout=5))
        request, source = await node.next_request()
        node.reply(source, _answer(request, **spoil))
        node.reply(source, _answer(request, properties=(Property(0x80, b"\x31"),)))
        assert await pending == {0x80: b"\x31"}
        assert client.stats.unmatched == 1

    _run(scenario)


def test_response_from_another_address_is_not_taken() -> None:
    async def scenario(client: EchonetClient, node: FakeNode) -> None:
        pending = asyncio.ensure_future(client.get(node.address, METER, [0x80], timeout=5))
        request, source = await node.next_request()
        # The right TID, ESV and SEOJ, but from another node: handed in at the transport's
        # receive entry point as if it had arrived from fe80::99.
        forged = encode_frame(_answer(request, properties=(Property(0x80, b"\x31"),)))
        client.transport._handler(forged, Address("fe80::99", 3610, 1))
        node.reply(source, _answer(request))
        assert await pending == {0x80: b"\x30"}
        assert client.stats.unmatched == 1

    _run(scenario)


def test_one_request_at_a_time_per_peer() -> None:
    async def scenario(client: EchonetClient, node: FakeNode) -> None:
        first = asyncio.ensure_future(client.get(node.address, METER, [0x80], timeout=5))
        second = asyncio.ensure_future(client.get(node.address, METER, [0x81], timeout=5))
        request, source = await node.next_request()
        assert request.properties[0].epc == 0x80
        # Both tasks have run by now; the second waits for the first answer [AIF 2.4.1].
        assert client.stats.sent == 1
        node.reply(source, _answer(request))
        await first
        request, source = await node.next_request()
        assert request.properties[0].epc == 0x81
        node.reply(source, _answer(request))
        assert await second == {0x81: b"\x30"}

    _run(scenario)


def test_discover_lists_a_node_once_whatever_ports_it_speaks_from() -> None:
    """A node's answer and its 0xD5 announcement from two ports are one node."""

    async def scenario(client: EchonetClient, node: FakeNode) -> None:
        other = FakeNode()
        edt = bytes([1, 0x02, 0x8F, 0x01])
        announcement = Frame(1, NODE_PROFILE, NODE_PROFILE, Esv.INF, (Property(0xD5, edt),))
        pending = asyncio.ensure_future(client.discover(window=0.5))
        await asyncio.sleep(0)  # the collection is listening
        to = ("::1", client.transport.port, 0, 0)
        node.reply(to, announcement)
        other.reply(to, announcement)
        try:
            (found,) = await pending
        finally:
            other.sock.close()
        assert found.instances == (METER,)

    _run(scenario)
