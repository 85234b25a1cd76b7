"""Nodes the integration tests serve: a small 0x028F meter node with static values."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime, timedelta

from hemsnet.aio.client import EchonetClient
from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.runner import EngineRunner
from hemsnet.aio.udp import Interface, UdpTransport
from hemsnet.devices.nodes import node_profile_object
from hemsnet.devices.objects import DeviceObject
from hemsnet.devices.registry import class_def
from hemsnet.echonet.eoj import Eoj
from hemsnet.echonet.frame import Frame, decode_frame
from hemsnet.echonet.responder import Node, Received
from hemsnet.echonet.send import Send
from hemsnet.testbed.netns import Link, inside

METER = Eoj(0x02, 0x8F, 0x01)

METER_VALUES = {
    0x80: b"\x30",
    0x81: b"\x00",
    0x82: b"\x00\x00R\x00",
    0x88: b"\x42",
    0x8A: b"\xff\xff\xff",
    0x97: bytes([10, 30]),
    0x98: bytes([0x07, 0xE8, 11, 21]),
    0xD3: (1).to_bytes(4, "big"),
    0xD4: b"\x00",
    0xE0: b"\x01",
    0xE1: b"\x00",
    0xE2: bytes.fromhex("07E80B150A1E000012D687FFFFFFFF"),
    0xE5: b"\x08",
    0xE6: b"\x01",
}


def meter_node() -> Node:
    table = class_def(0x028F)
    assert table is not None
    meter = DeviceObject(METER, table, METER_VALUES)
    return Node(node_profile_object([meter]), [meter])


class StaticNode:
    """A responder with fixed values, as an engine (hemsnet.echonet.engine): it answers, hands
    the frames it does not consume to ``on_frame``, and announces nothing by itself."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.on_frame: Callable[[Frame, Hashable], object] | None = None
        self.now = datetime(2026, 11, 21)

    def announce(self, now: datetime) -> list[Send]:
        return []

    def receive(self, data: bytes, source: Hashable, now: datetime) -> list[Send]:
        frame = decode_frame(data)
        assert isinstance(frame, Frame)
        reaction = self.node.handle(frame)
        for event in reaction.events:
            if isinstance(event, Received) and self.on_frame is not None:
                self.on_frame(event.frame, source)
        return [Send.of(o.frame, None if o.multicast else source) for o in reaction.outgoing]

    def advance(self, now: datetime) -> list[Send]:
        return []

    def next_wakeup(self) -> datetime:
        return self.now + timedelta(days=1)

    def take_events(self) -> list[object]:
        return []


def serve(link: Link, node: Node, *, ipv4: bool = False) -> EngineRunner[object]:
    """Run ``node`` on ``link``'s interface, in its namespace (call from a running loop)."""
    with inside(link.netns):
        transport = UdpTransport(Interface.lookup(link.iface), ipv4=ipv4)
    runner = EngineRunner(StaticNode(node), transport, ScaledClock(datetime(2026, 11, 21)))
    runner.start()
    return runner


def static_node(runner: EngineRunner[object]) -> StaticNode:
    engine = runner.engine
    assert isinstance(engine, StaticNode)
    return engine


def client_on(link: Link, *, ipv4: bool = False) -> EchonetClient:
    with inside(link.netns):
        return EchonetClient.open(link.iface, ipv4=ipv4)
