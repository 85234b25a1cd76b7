"""The appliance emulator's engine: a node of one or more appliances in appliance time.

It keeps the engine contract (:mod:`hemsnet.echonet.engine`): time is an input;
:meth:`ApplianceEngine.announce`, :meth:`~ApplianceEngine.receive` and
:meth:`~ApplianceEngine.advance` return the datagrams to send
(:class:`~hemsnet.echonet.send.Send`), :meth:`~ApplianceEngine.next_wakeup` says when
``advance`` has something to do, and its events are the datagrams it dropped
(:class:`~hemsnet.echonet.engine.FrameDiscarded`).

What it adds to the generic responder (:class:`~hemsnet.echonet.responder.Node`):

* Start-up: the node profile's 0xD5 instance list, multicast [EL spec §4.3.1].
* Status-change announcements: every property in an object's 0x9D map whose value changes, by a
  Set or by the behaviour over time (a battery reaching 100 % goes to standby), is multicast in
  an INF [EL spec §4.2.3.5]; the responder already announces the property a Set wrote, so the
  engine adds the others.
* Any peer may ask: the HEMS network has no pairing, unlike Route B.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from hemsnet.appliances.base import STEP, Appliance
from hemsnet.appliances.objects import appliance_object
from hemsnet.devices.nodes import DEFAULT_MANUFACTURER, node_profile_object
from hemsnet.devices.objects import DeviceObject
from hemsnet.echonet.engine import Discard, FrameDiscarded
from hemsnet.echonet.eoj import NODE_PROFILE, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Format2Frame, decode_frame
from hemsnet.echonet.responder import LocalObject, Node, Outgoing
from hemsnet.echonet.send import Send
from hemsnet.errors import FrameError

__all__ = ["ApplianceEngine", "ApplianceStats"]

_NO_EPCS: Final[frozenset[int]] = frozenset()


@dataclass(slots=True)
class ApplianceStats:
    """What the node did with what it received, and what it announced of its own accord."""

    received: int = 0
    malformed: int = 0
    ignored: int = 0
    answered: int = 0
    notifications: int = 0


class ApplianceEngine:
    """A node hosting ``appliances`` (instance numbers from ``instance`` up, per class)."""

    def __init__(
        self,
        appliances: Sequence[Appliance],
        *,
        now: datetime,
        instance: int = 1,
        manufacturer: bytes = DEFAULT_MANUFACTURER,
        unique_id: bytes = bytes(13),
    ) -> None:
        if not appliances:
            raise ValueError("a node needs at least one appliance")
        self.appliances = tuple(appliances)
        self.stats = ApplianceStats()
        self.now = now
        counts: dict[int, int] = {}
        self.objects: list[DeviceObject] = []
        for appliance in self.appliances:
            class_id = appliance.table.class_id
            number = instance + counts.get(class_id, 0)
            counts[class_id] = counts.get(class_id, 0) + 1
            self.objects.append(appliance_object(appliance, number, manufacturer, unique_id))
        hosted: list[LocalObject] = list(self.objects)
        profile = node_profile_object(hosted, manufacturer=manufacturer, unique_id=unique_id)
        self.node = Node(profile, hosted)
        self._announced = self._announceable()
        self._events: list[FrameDiscarded] = []
        self._next = now + STEP

    def announce(self, now: datetime) -> list[Send]:
        """The start-up announcement, once the interface is up: 0xD5 to every node."""
        sends = self.advance(now)
        out = self.node.notification(NODE_PROFILE, [0xD5])
        if out is not None:
            sends.append(Send.of(out.frame))
        return sends

    def next_wakeup(self) -> datetime:
        return self._next

    def take_events(self) -> Sequence[FrameDiscarded]:
        if not self._events:
            return ()
        events, self._events = self._events, []
        return events

    def advance(self, now: datetime) -> list[Send]:
        """Move appliance time on to ``now`` and announce what changed on the way."""
        for appliance in self.appliances:
            appliance.advance(now)
        self.now = now
        self._next = now + STEP
        sends: list[Send] = []
        self._announce_changes(sends, {})
        return sends

    def receive(self, data: bytes, source: Hashable, now: datetime) -> list[Send]:
        """One datagram from ``source`` at ``now``; returns what to send."""
        sends = self.advance(now)
        self.stats.received += 1
        try:
            frame = decode_frame(data)
        except FrameError as exc:
            self.stats.malformed += 1
            self._events.append(FrameDiscarded(source, Discard.MALFORMED, exc.reason, data))
            return sends
        if isinstance(frame, Format2Frame) or not (frame.esv.is_request or frame.esv is Esv.INFC):
            self.stats.ignored += 1  # responses and notifications: nothing to answer
            return sends
        announced: dict[Eoj, frozenset[int]] = {}
        for out in self.node.handle(frame).outgoing:
            sends.append(self._send(out, source))
            if out.frame.esv is Esv.INF and frame.esv is not Esv.INF_REQ:  # a Set's notice
                announced[out.frame.seoj] = frozenset(p.epc for p in out.frame.properties)
            else:
                self.stats.answered += 1
        self._announce_changes(sends, announced)
        return sends

    def _send(self, out: Outgoing, source: Hashable) -> Send:
        return Send.of(out.frame, None if out.multicast else source)

    def _announceable(self) -> dict[tuple[Eoj, int], bytes | None]:
        return {
            (obj.eoj, epc): obj.read(epc)
            for obj in self.objects
            for epc in sorted(obj.anno_map)
        }  # fmt: skip

    def _announce_changes(self, sends: list[Send], already: dict[Eoj, frozenset[int]]) -> None:
        """INF of every announced property that changed since last time, per object."""
        current = self._announceable()
        changed: dict[Eoj, list[int]] = {}
        for key, edt in current.items():
            eoj, epc = key
            if edt != self._announced.get(key) and epc not in already.get(eoj, _NO_EPCS):
                changed.setdefault(eoj, []).append(epc)
        self._announced = current
        for eoj, epcs in changed.items():
            out = self.node.notification(eoj, epcs)
            if out is not None:
                self.stats.notifications += 1
                sends.append(Send.of(out.frame))
