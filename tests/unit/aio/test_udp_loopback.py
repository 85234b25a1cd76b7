"""The loopback transport: two nodes on one host, no root, nothing leaves the host."""

from __future__ import annotations

import asyncio

from hemsnet.aio.udp import Address, UdpTransport


def test_two_loopback_endpoints_reach_each_other_by_address_and_skip_multicast() -> None:
    async def exchange() -> tuple[bytes, Address, int]:
        loop = asyncio.get_running_loop()
        got: asyncio.Future[tuple[bytes, Address]] = loop.create_future()
        a, b = UdpTransport.loopback(), UdpTransport.loopback()
        b.set_handler(lambda data, source: got.done() or got.set_result((data, source)))
        a.set_handler(lambda data, source: None)
        a.start(loop)
        b.start(loop)
        try:
            assert 0 not in (a.port, b.port) and a.port != b.port  # the kernel chose them
            assert a.send_multicast(b"skipped")  # lo has no multicast: skipped, not failed
            assert a.send(b"hello", Address("::1", b.port))
            data, source = await asyncio.wait_for(got, 5)
            return data, source, a.port
        finally:
            a.close()
            b.close()

    data, source, port = asyncio.run(exchange())
    assert data == b"hello"  # the multicast sent first never arrived
    assert source == Address("::1", port)
