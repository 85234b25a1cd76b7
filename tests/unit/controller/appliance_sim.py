"""An appliance monitor and appliance nodes on a virtual HEMS network, in virtual time.

Each appliance is a :class:`~hemsnet.echonet.responder.Node` built from hemsnet's class
tables. A multicast reaches every node; a muted node receives nothing (it is switched off).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hemsnet.controller.appliance_events import ApplianceEvent
from hemsnet.controller.appliances import ApplianceMonitor
from hemsnet.controller.config import ApplianceConfig
from hemsnet.devices.nodes import node_profile_object
from hemsnet.devices.objects import DeviceObject, Reader
from hemsnet.devices.registry import class_def
from hemsnet.echonet.engine import FrameDiscarded
from hemsnet.echonet.eoj import NODE_PROFILE, Eoj
from hemsnet.echonet.frame import Frame, decode_frame
from hemsnet.echonet.responder import Node
from hemsnet.echonet.send import Send
from hemsnet.echonet.tid import TidAllocator
from tests.conftest import counting
from tests.unit.controller.in_flight import InFlight

MONITOR = "ctl"
LATENCY = timedelta(milliseconds=3)
T0 = datetime(2026, 11, 21, 10, 0, 0)


def appliance(
    eoj: Eoj, values: dict[int, bytes], readers: Mapping[int, Reader] | None = None
) -> DeviceObject:
    """An object of ``eoj``'s class from hemsnet's table; ``readers`` are not validated."""
    table = class_def(eoj.class_id)
    assert table is not None
    return DeviceObject(eoj, table, values, readers=readers)


def node_of(*objects: DeviceObject) -> Node:
    return Node(node_profile_object(objects), objects)


@dataclass
class Wire:
    at: datetime
    source: Hashable
    to: Hashable | None  # None: multicast
    frame: Frame


@dataclass
class HemsNet:
    config: ApplianceConfig = field(default_factory=ApplianceConfig)
    nodes: dict[Hashable, Node] = field(default_factory=dict)
    muted: set[Hashable] = field(default_factory=set)
    latency: dict[Hashable, timedelta] = field(default_factory=dict)  # per node, each way
    wire: list[Wire] = field(default_factory=list)
    events: list[ApplianceEvent | FrameDiscarded] = field(default_factory=list)
    now: datetime = T0

    def __post_init__(self) -> None:
        self.monitor = ApplianceMonitor(self.config, now=self.now, tids=TidAllocator(counting()))
        self._in_flight = InFlight()

    def start(self) -> None:
        self._from_monitor(self.monitor.announce(self.now))
        self._from_monitor(self.monitor.advance(self.now))
        self._drain()

    def run_for(self, seconds: float) -> None:
        until = self.now + timedelta(seconds=seconds)
        while True:
            at = self._in_flight.next_stop([self.monitor.next_wakeup()], self.now)
            if at > until:
                self.now = until
                return
            self.now = at
            self._step()

    def announce(self, address: Hashable) -> None:
        """The node at ``address`` (re)starts: its 0xD5 INF to every node."""
        out = self.nodes[address].notification(NODE_PROFILE, [0xD5])
        assert out is not None
        self._send(address, MONITOR, out.encode())

    def inject(self, source: Hashable, data: bytes) -> None:
        """A datagram from ``source`` to the monitor."""
        self._send(source, MONITOR, data)

    def sent_to(self, address: Hashable) -> list[Wire]:
        return [w for w in self.wire if w.source == MONITOR and w.to == address]

    def from_node(self, address: Hashable) -> list[Wire]:
        return [w for w in self.wire if w.source == address]

    # --- inside --------------------------------------------------------------------------

    def _step(self) -> None:
        for to, data, source in self._in_flight.due(self.now):
            if to == MONITOR:
                self._from_monitor(self.monitor.receive(data, source, self.now))
            elif to not in self.muted:
                frame = decode_frame(data)
                for out in self.nodes[to].handle(frame).outgoing:
                    self._send(to, MONITOR, out.encode())
        if self.monitor.next_wakeup() <= self.now:
            self._from_monitor(self.monitor.advance(self.now))
        self._drain()

    def _from_monitor(self, sends: list[Send]) -> None:
        for send in sends:
            targets = list(self.nodes) if send.to is None else [send.to]
            self._log(MONITOR, send.to, send.data)
            for target in targets:
                self._push(target, send.data, MONITOR, self.latency.get(target, LATENCY))

    def _send(self, source: Hashable, to: Hashable, data: bytes) -> None:
        self._log(source, to, data)
        self._push(to, data, source, self.latency.get(source, LATENCY))

    def _push(self, to: Hashable, data: bytes, source: Hashable, delay: timedelta) -> None:
        self._in_flight.push(self.now + delay, to, data, source)

    def _log(self, source: Hashable, to: Hashable | None, data: bytes) -> None:
        frame = decode_frame(data)
        assert isinstance(frame, Frame)
        self.wire.append(Wire(self.now, source, to, frame))

    def _drain(self) -> None:
        self.events += self.monitor.take_events()
