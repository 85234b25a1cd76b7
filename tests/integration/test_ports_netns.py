"""Ports other stacks use, over real UDP between network namespaces (C31, M20).

* A meter stack that sends from a throwaway port and listens on 3610 only: ``hemsnet
  controller`` asks it on 3610 and takes its answers from the other port.
* A requester that sends from a throwaway port and listens on 3610: ``hemsnet meter`` answers
  it on 3610, or on the source port with ``--reply-to-source-port``.
"""

from __future__ import annotations

import asyncio
import socket
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.runner import EngineRunner
from hemsnet.aio.udp import (
    Address,
    DatagramHandler,
    Interface,
    UdpTransport,
    echonet_endpoint,
    peer_identity,
)
from hemsnet.echonet.eoj import CONTROLLER, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, decode_frame, encode_frame
from hemsnet.meter.config import MeterConfig
from hemsnet.meter.engine import MeterEngine
from hemsnet.metering.series import Series
from hemsnet.store import Store
from hemsnet.testbed.netns import Link, Namespaces, inside
from tests.integration.test_controller_netns import (
    SPEED,
    backfilled,
    controller_args,
    hemsnet,
    meter_args,
    now,
)

pytestmark = pytest.mark.netns

METER = Eoj(0x02, 0x8F, 0x01)


class SplitLink:
    """Receives on UDP 3610 and sends from a throwaway port, as some stacks do."""

    def __init__(self, link: Link) -> None:
        iface = Interface.lookup(link.iface)
        self.listen = UdpTransport(iface)
        self.speak = UdpTransport(iface, port=0)
        self.iface: Interface | None = iface
        self.port = self.listen.port

    def set_handler(self, handler: DatagramHandler) -> None:
        self.listen.set_handler(handler)

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.listen.start(loop)
        self.speak.start(loop)

    def close(self) -> None:
        self.listen.close()
        self.speak.close()

    def send(self, data: bytes, addr: Address) -> bool:
        return self.speak.send(data, addr)

    def send_multicast(self, data: bytes, *, ipv4: bool = True) -> bool:
        return self.speak.send_multicast(data, ipv4=ipv4)


def test_the_controller_reads_a_meter_that_answers_from_another_port(
    topology: Namespaces, tmp_path: Path
) -> None:
    meter_end, ctl_end = topology.link(topology.namespace("meter"), topology.namespace("ctl"))
    db = tmp_path / "hemsnet.db"
    start = now()
    engine = MeterEngine(
        MeterConfig(),
        now=start,
        installed=start - timedelta(hours=3),
        identify=peer_identity,
        answer_to=echonet_endpoint,
    )

    with inside(meter_end.netns):
        link = SplitLink(meter_end)
    assert link.speak.port != 3610

    async def scenario() -> None:
        runner = EngineRunner(engine, link, ScaledClock(start, SPEED))
        stop = asyncio.Event()
        meter = asyncio.ensure_future(runner.run(stop))
        try:
            async with hemsnet(ctl_end, "controller", *controller_args(db)) as controller:
                await controller.wait_for_line(lambda text: "meter 028F01 at" in text)
                await controller.wait_for_line(backfilled)
                assert await controller.stop() == 0
        finally:
            stop.set()
            await meter

    asyncio.run(scenario())
    with Store.open(db) as store:
        (meter,) = store.meters()
        assert meter.key == meter_end.address
        assert store.latest(meter.id, Series.POWER) is not None
        stats = store.stats(meter.id)
        assert stats.answered > 0
        assert stats.foreign_dropped == 0


def _get(tid: int) -> bytes:
    return encode_frame(Frame(tid, CONTROLLER, METER, Esv.GET, (Property(0x80),)))


async def _answered_on(listen: socket.socket, tid: int, seconds: float = 10) -> Frame:
    """The answer to ``tid`` on ``listen`` (the meter's 0xD5 may come first)."""

    async def receive() -> Frame:
        loop = asyncio.get_running_loop()
        while True:
            frame = decode_frame(await loop.sock_recv(listen, 1500))
            if isinstance(frame, Frame) and frame.tid == tid and frame.esv.answers is not None:
                return frame

    return await asyncio.wait_for(receive(), seconds)


def test_the_meter_answers_a_throwaway_requester_on_3610(
    topology: Namespaces, tmp_path: Path
) -> None:
    meter_end, ctl_end = topology.link(topology.namespace("meter"), topology.namespace("ctl"))
    scope = socket.if_nametoindex  # resolved inside the namespace below

    async def ask(extra: tuple[str, ...], expect_on_source: bool) -> None:
        with inside(ctl_end.netns):
            index = scope(ctl_end.iface)
            listen = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            listen.bind(("::", 3610, 0, 0))
            throwaway = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            throwaway.bind(("::", 0, 0, 0))
        for sock in (listen, throwaway):
            sock.setblocking(False)
        try:
            async with hemsnet(
                meter_end, "meter", *meter_args(datetime.now() - timedelta(hours=1)), *extra
            ) as meter:
                await meter.wait_for_line(lambda text: "hemsnet meter: objects" in text)
                throwaway.sendto(_get(7), (meter_end.address, 3610, 0, index))
                answer = await _answered_on(throwaway if expect_on_source else listen, 7)
                assert answer.esv is Esv.GET_RES
                assert await meter.stop() == 0
        finally:
            listen.close()
            throwaway.close()

    async def scenario() -> None:
        await ask((), expect_on_source=False)
        await ask(("--reply-to-source-port",), expect_on_source=True)

    asyncio.run(scenario())
