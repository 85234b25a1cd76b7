"""The HEMS-managed appliances on one HEMS network: found, then read, sans I/O.

A HEMS controller talks to the smart meter over Route B and to the HEMS-managed appliances
[G.9958 3.2.1.2] over one or more other home networks, each run on its own [G.9958 6.3.1,
6.4.2], or over the meter's network when they share it [G.9958 6.3.2, 6.4.1].
:class:`ApplianceMonitor` does the second part for one network, with the same shape as
:class:`~hemsnet.controller.engine.ControllerEngine`: time and datagrams in, datagrams and
events (:mod:`hemsnet.controller.appliance_events`) out.

* **Discovery.** A multicast Get of 0xD6 (self-node instance list S) to the node profile
  0x0EF001 at start and every ``discovery_interval``; every node answers with its objects. A
  0xD5 announcement (a node that starts or restarts) is taken the same way, and its node is
  polled at once.
* **Polling.** Every ``interval``, each object of the six classes in :data:`POWER_ROWS` is
  asked for 0x80 (operation status) and its power EPC in one Get. Objects of other classes
  are reported found but not polled.
* **One request outstanding per node.** Each node has its own
  :class:`~hemsnet.controller.requests.RequestLane`, with ``timeout`` as its response wait.
  All lanes share one TID allocator, so every attempt carries a TID that no other request in
  flight holds [AIF 2.4.3]; on the Route B network [G.9958 6.3.2, 6.4.1] it is the Route B
  engine's, so that neither takes the other's answers for its own. A timed-out Get is sent
  again at once under a fresh TID, up to ``retries`` times; then the poll is missed. A node
  that misses ``unreachable_after`` polls in a row is lost, and found again as soon as it
  answers or announces itself.
* **Commands.** :meth:`ApplianceMonitor.command` sends one SetC a user asked for (an
  uplink's command topic), ahead of the node's polls and under the same lane; its outcome is an
  :class:`~hemsnet.controller.appliance_events.ApplianceCommanded` event, and the object is
  polled at once after it so that its new state is reported.
* **The controller's own node** answers Gets of its node profile and 0x05FF01, as on Route B.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final, Protocol, TypeVar

from hemsnet.controller.appliance_events import (
    ApplianceCommanded,
    ApplianceEvent,
    ApplianceFound,
    ApplianceLost,
    AppliancePower,
    ApplianceRead,
)
from hemsnet.controller.config import ApplianceConfig
from hemsnet.controller.events import DISCARD_COUNTERS
from hemsnet.controller.own_node import OwnNode, decode_datagram
from hemsnet.controller.requests import Answer, Match, Request, RequestLane
from hemsnet.devices import ev_charger, solar, storage_battery, superclass
from hemsnet.devices.model import PropertyDef
from hemsnet.devices.values import OperationStatus
from hemsnet.echonet.engine import Discard, FrameDiscarded
from hemsnet.echonet.eoj import CONTROLLER, NODE_PROFILE, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, encode_frame
from hemsnet.echonet.instance_list import decode_instance_list
from hemsnet.echonet.send import Send
from hemsnet.echonet.tid import TidAllocator
from hemsnet.errors import InvalidValue, RequestNotAllowed

__all__ = ["POWER_ROWS", "ApplianceMonitor", "ApplianceNode", "LaneGate"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The row read as each class's power, in W. 0x84 of the super class and 0xE0 of 0x0279 are
#: unsigned 2 bytes [MRA number_0-65533W]; 0xD3 of 0x027D and 0x027E is signed 4 bytes,
#: + charging, - discharging [MRA number_-999999999-999999999W].
POWER_ROWS: Final[Mapping[int, PropertyDef[int]]] = MappingProxyType(
    {
        0x0130: superclass.INSTANTANEOUS_POWER,  # home air conditioner
        0x0290: superclass.INSTANTANEOUS_POWER,  # general lighting
        0x026B: superclass.INSTANTANEOUS_POWER,  # electric water heater
        0x0279: solar.GENERATED_POWER,  # household solar power generation
        0x027D: storage_battery.CHARGING_DISCHARGING_POWER,  # storage battery
        0x027E: ev_charger.CHARGING_DISCHARGING_POWER,  # EV charger and discharger
    }
)
_ANNOUNCED_LIST: Final = 0xD5  # instance list notification [EL spec, node profile]
_INSTANCE_LIST: Final = 0xD6  # self-node instance list S
_REQUEST_OPC: Final = 2  # 0x80 and the power EPC


@dataclass(slots=True)
class ApplianceNode:
    """One node on the HEMS network: its objects, its lane and how its polls fare."""

    address: Hashable
    lane: RequestLane
    next_poll: datetime
    eojs: tuple[Eoj, ...] = ()
    queue: deque[Request] = field(default_factory=deque)  # polls not yet sent
    attempts: int = 0  # timeouts of the poll now being retried
    missed: int = 0  # polls missed in a row
    reachable: bool = True

    @property
    def polled(self) -> tuple[Eoj, ...]:
        return tuple(eoj for eoj in self.eojs if eoj.class_id in POWER_ROWS)


class LaneGate(Protocol):
    """The Route B engine's request lane, on a network the meter shares [G.9958 6.3.2, 6.4.1]:
    the monitor's multicast discovery reaches the meter too, so the engine sends it as a
    request of its own, never a second one outstanding on the meter [AIF 2.4.1] (C24)."""

    def discover_nodes(self, now: datetime) -> None: ...


class ApplianceMonitor:
    """Finds the appliances on one HEMS network and reads their power."""

    def __init__(
        self,
        config: ApplianceConfig,
        *,
        now: datetime,
        identify: Callable[[Hashable], Hashable] = lambda source: source,
        tids: TidAllocator,
        gate: LaneGate | None = None,
        peers: tuple[Hashable, ...] = (),
    ) -> None:
        self.config = config
        #: Nodes asked by unicast as well, where multicast does not reach (the loopback).
        self.peers = peers
        self.now = now
        self.own = OwnNode()
        self.nodes: dict[Hashable, ApplianceNode] = {}
        self.counters: dict[str, int] = {}
        self._identify = identify
        self._tids = tids  # the Route B engine's when sharing its socket
        self._gate = gate
        self._next_discovery = now
        self._events: list[ApplianceEvent | FrameDiscarded] = []

    # --- the engine contract (hemsnet.echonet.engine) --------------------------------------

    def announce(self, now: datetime) -> list[Send]:
        """The controller's instance list, to every node, at start-up; the first discovery
        follows at once."""
        self.now = now
        return [self.own.announcement()]

    def receive(self, data: bytes, source: Hashable, now: datetime) -> list[Send]:
        self.now = now
        frame = decode_datagram(data, source)
        if isinstance(frame, FrameDiscarded):
            self._discard(frame)
            return self._pump()
        if frame is None:
            return self._pump()
        sends: list[Send] = []
        if frame.esv.is_request or frame.esv is Esv.INFC:
            sends += self.own.serve(frame, source)
        if frame.seoj.is_node_profile:
            self._on_node_profile(frame, source)
        elif frame.esv.answers is not None:
            self._on_response(frame, source, data)
        return sends + self._pump()

    def advance(self, now: datetime) -> list[Send]:
        self.now = now
        sends = self._discover() if now >= self._next_discovery else []
        for node in self.nodes.values():
            if node.lane.expired(now):
                self._timed_out(node)
        return sends + self._pump()

    def next_wakeup(self) -> datetime:
        wakes = [self._next_discovery]
        for node in self.nodes.values():
            pending = node.lane.pending
            if pending is not None:
                wakes.append(pending.deadline)
            elif node.polled:
                wakes.append(node.next_poll)
        return min(wakes)

    def take_events(self) -> list[ApplianceEvent | FrameDiscarded]:
        events, self._events = self._events, []
        return events

    def command(self, key: Hashable, eoj: Eoj, epc: int, edt: bytes, now: datetime) -> list[Send]:
        """SetC ``epc`` = ``edt`` on object ``eoj`` of the node ``key`` names (its identity,
        e.g. its address without port); the outcome comes as an ``ApplianceCommanded`` event.

        Raises :class:`~hemsnet.errors.RequestNotAllowed` for an object this monitor does not
        know or a value the class table refuses [AIF 2.4.5]."""
        self.now = now
        node = self.nodes.get(key)
        if node is None or eoj not in node.eojs:
            raise RequestNotAllowed(f"no object {eoj} at {key} on this network")
        request = Request.setc(eoj, epc, edt)
        node.lane.check(request)
        node.queue.appendleft(request)  # a person is waiting: before the polls
        return self._pump()

    def read(self, key: Hashable, eoj: Eoj, epcs: tuple[int, ...], now: datetime) -> list[Send]:
        """Get ``epcs`` of ``eoj`` at the node ``key`` names, after what is queued; the answer
        comes as an ``ApplianceRead`` event (none when the node does not answer).

        Raises :class:`~hemsnet.errors.RequestNotAllowed` for an object this monitor does not
        know or more EPCs than a request may carry."""
        self.now = now
        node = self.nodes.get(key)
        if node is None or eoj not in node.eojs:
            raise RequestNotAllowed(f"no object {eoj} at {key} on this network")
        request = Request.get(eoj, *epcs)
        node.lane.check(request)
        if request not in node.queue:
            node.queue.append(request)
        return self._pump()

    @property
    def known(self) -> int:
        """How many objects the monitor knows on its network."""
        return sum(len(node.eojs) for node in self.nodes.values())

    @property
    def reachable(self) -> int:
        """How many of them are on nodes that answer."""
        return sum(len(node.eojs) for node in self.nodes.values() if node.reachable)

    # --- inside ------------------------------------------------------------------------------

    def _discover(self) -> list[Send]:
        """Multicast Get 0xD6 of every node profile: each node answers with its objects."""
        self._next_discovery = self.now + timedelta(seconds=self.config.discovery_interval)
        if self._gate is not None:
            self._gate.discover_nodes(self.now)  # through the meter's lane (C24)
            return []
        tid = self._tids.allocate()  # answers come from many nodes: none is waited for
        self._tids.release(tid)
        frame = Frame(tid, CONTROLLER, NODE_PROFILE, Esv.GET, (Property(_INSTANCE_LIST),))
        data = encode_frame(frame)
        self._count("sent")
        log.info("discovery: Get multicast %s D6", NODE_PROFILE)
        return [Send(data), *(Send(data, peer) for peer in self.peers)]

    def _on_node_profile(self, frame: Frame, source: Hashable) -> None:
        if frame.esv in (Esv.GET_RES, Esv.GET_SNA):
            epc, announced = _INSTANCE_LIST, False
        elif frame.esv in (Esv.INF, Esv.INFC):
            epc, announced = _ANNOUNCED_LIST, True
        else:
            return
        edt = frame.edt_of(epc)
        if not edt:
            return
        try:
            listed = decode_instance_list(edt).instances
        except ValueError as exc:
            log.info("an invalid instance list from %s: %s", source, exc)
            return
        self._learn(source, listed, announced=announced)

    def _learn(self, source: Hashable, listed: tuple[Eoj, ...], *, announced: bool) -> None:
        """Take a node's instance list: new objects are found, missing ones lost."""
        eojs = tuple(dict.fromkeys(eoj for eoj in listed if not eoj.is_node_profile))
        key = self._identify(source)
        node = self.nodes.get(key)
        if node is None:
            lane = RequestLane(
                timer_1=self.config.timeout,
                timer_2=self.config.timeout,
                max_opc=_REQUEST_OPC,
                tids=self._tids,
                identify=self._identify,
            )
            node = self.nodes[key] = ApplianceNode(source, lane, next_poll=self.now)
            log.info("node %s lists %s", source, " ".join(map(str, eojs)) or "no objects")
        elif announced:
            log.info("node %s announced its objects: (re)started, polling it now", source)
            node.next_poll = self.now
        node.address = source
        for eoj in node.eojs:
            if eoj not in eojs:
                self._events.append(ApplianceLost(source, eoj))
        new = eojs if not node.reachable else tuple(e for e in eojs if e not in node.eojs)
        node.eojs = eojs
        node.queue = deque(request for request in node.queue if request.deoj in eojs)
        node.reachable = True
        node.missed = 0
        self._events += [ApplianceFound(source, eoj) for eoj in new]

    def _on_response(self, frame: Frame, source: Hashable, data: bytes) -> None:
        node = self.nodes.get(self._identify(source))
        match = node.lane.match(frame, source) if node is not None else Match.UNSOLICITED
        if node is not None and match is Match.ANSWER:
            self._count("refused" if frame.esv.is_sna else "answered")
            node.attempts = 0
            self._answered(node, node.lane.settle(frame, source))
        elif match is Match.LATE:
            self._discard(FrameDiscarded(source, Discard.LATE, f"TID {frame.tid} retired", data))
        else:
            reason = f"{frame.esv.symbol} TID {frame.tid} answers nothing asked"
            self._discard(FrameDiscarded(source, Discard.UNSOLICITED, reason, data))

    def _answered(self, node: ApplianceNode, answer: Answer) -> None:
        node.missed = 0
        if answer.request.esv is Esv.SETC:
            self._commanded(node, answer)
            return
        if not node.reachable:
            node.reachable = True
            log.info("node %s answers again", node.address)
            self._events += [ApplianceFound(node.address, eoj) for eoj in node.eojs]
        eoj = answer.request.deoj
        if eoj not in node.eojs:
            return
        values = answer.values()  # a Get_SNA serves some: the rest stay None
        power = POWER_ROWS.get(eoj.class_id)  # none: a class read only after a command
        asked = tuple(p.epc for p in answer.request.properties)
        if asked != (superclass.OPERATION_STATUS.epc, *(() if power is None else (power.epc,))):
            given = tuple((epc, edt) for epc, edt in values.items() if edt is not None)
            self._events.append(ApplianceRead(node.address, eoj, self.now, given))
            return
        watts = None if power is None else _decode(eoj, power, values)
        status = _decode(eoj, superclass.OPERATION_STATUS, values)
        operating = None if status is None else status is OperationStatus.ON
        self._events.append(AppliancePower(node.address, eoj, self.now, watts, operating))

    def _commanded(self, node: ApplianceNode, answer: Answer) -> None:
        """A command's Set_Res or SetC_SNA: reported, then the object polled at once."""
        request = answer.request
        eoj, epc = request.deoj, request.properties[0].epc
        accepted = answer.accepted
        reason = "" if accepted else f"the object refused 0x{epc:02X} (SetC_SNA)"
        self._events.append(ApplianceCommanded(node.address, eoj, epc, accepted, reason))
        power = POWER_ROWS.get(eoj.class_id)
        epcs = (superclass.OPERATION_STATUS.epc, *(() if power is None else (power.epc,)))
        node.queue.appendleft(Request.get(eoj, *epcs))

    def _timed_out(self, node: ApplianceNode) -> None:
        answer = node.lane.settle(None)
        self._count("timed_out")
        if answer.request.esv is Esv.SETC:  # not sent again: the person may try once more
            request = answer.request
            epc = request.properties[0].epc
            reason = f"no answer to the Set of 0x{epc:02X} within {self.config.timeout:g} s"
            self._events.append(
                ApplianceCommanded(node.address, request.deoj, epc, accepted=False, reason=reason)
            )
            return
        node.attempts += 1
        if node.attempts <= self.config.retries:
            node.queue.appendleft(answer.request)  # at once, under a fresh TID [AIF 2.4.3]
            return
        node.attempts = 0
        node.missed += 1
        log.info(
            "node %s missed a poll of %s (%d in a row)",
            node.address,
            answer.request.deoj,
            node.missed,
        )
        if node.reachable and node.missed >= self.config.unreachable_after:
            node.reachable = False
            log.info("node %s is unreachable", node.address)
            self._events += [ApplianceLost(node.address, eoj) for eoj in node.eojs]

    def _schedule(self, node: ApplianceNode) -> None:
        """Queue a poll of each object when its node's interval comes round."""
        polled = node.polled
        if not polled or node.next_poll > self.now:
            return
        pending = node.lane.pending
        waiting = {request.deoj for request in node.queue}
        if pending is not None:
            waiting.add(pending.request.deoj)
        for eoj in polled:
            if eoj not in waiting:
                power = POWER_ROWS[eoj.class_id]
                node.queue.append(Request.get(eoj, superclass.OPERATION_STATUS.epc, power.epc))
        interval = timedelta(seconds=self.config.interval)
        node.next_poll += interval
        if node.next_poll <= self.now:  # fell behind (a slow node): keep the grid ahead of now
            node.next_poll = self.now + interval

    def _pump(self) -> list[Send]:
        sends: list[Send] = []
        for node in self.nodes.values():
            self._schedule(node)
            if node.lane.busy or not node.queue:
                continue
            request = node.queue.popleft()
            data = node.lane.send(request, node.address, self.now)
            self._count("sent")
            sends.append(Send(data, node.address))
        return sends

    def _count(self, counter: str) -> None:
        self.counters[counter] = self.counters.get(counter, 0) + 1

    def _discard(self, event: FrameDiscarded) -> None:
        """A peer's misbehaviour: counted and reported, never raised."""
        self._count(DISCARD_COUNTERS[event.kind])
        self._events.append(event)


def _decode(eoj: Eoj, row: PropertyDef[T], values: Mapping[int, bytes]) -> T | None:
    """The value of ``row`` among ``values``; ``None`` when absent or invalid."""
    edt = values.get(row.epc)
    if edt is None:
        return None
    try:
        return row.decode(edt)
    except InvalidValue as exc:  # e.g. 0xFFFE/0xFFFF, the under- and overflow codes
        log.info("%s sent no valid 0x%02X: %s", eoj, row.epc, exc)
        return None
