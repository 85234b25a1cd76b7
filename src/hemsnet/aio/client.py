"""A client facade for library users: discover nodes, Get and Set their properties.

The client is itself an ECHONET Lite node (a controller, 0x05FF01, with its node profile) that
answers Gets of its own objects. Requests follow the Route B request discipline:

* one request outstanding per peer; the next goes as soon as the response arrives [AIF 2.4.1];
* the response-wait timer is timer 1 (40 s) or timer 2 (180 s) by default [AIF 2.4.2]; a
  caller may pass another ``timeout`` for nodes that are not bound by the AIF;
* every attempt gets a fresh TID, and a response to a retired TID is discarded [AIF 2.4.3];
* a response matches only if it comes from the peer asked, carries the request's TID, an ESV
  that answers the request's ESV and an SEOJ the request's DEOJ addresses.

Failures raise: :class:`~hemsnet.errors.ResponseTimeout` (a ``TimeoutError``) when the timer
runs out, :class:`~hemsnet.errors.RequestRefused` carrying the refused EPCs on an SNA.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from hemsnet.aio.node import NodeRunner
from hemsnet.aio.udp import ECHONET_PORT, Address, Interface, UdpTransport
from hemsnet.devices.nodes import controller_node
from hemsnet.devices.registry import class_def
from hemsnet.echonet.eoj import CONTROLLER, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property
from hemsnet.echonet.instance_list import decode_instance_list
from hemsnet.echonet.responder import Node, Outgoing
from hemsnet.echonet.tid import TidAllocator
from hemsnet.echonet.timers import response_wait
from hemsnet.errors import RequestRefused, ResponseTimeout

__all__ = ["ClientStats", "DiscoveredNode", "EchonetClient", "SearchHit"]

log = logging.getLogger(__name__)

ALL_NODE_PROFILES: Final = Eoj(0x0E, 0xF0, 0x00)
_SELF_NODE_INSTANCE_LIST: Final = 0xD6
_INSTANCE_LIST_NOTIFICATION: Final = 0xD5
_OPERATION_STATUS: Final = 0x80

NotificationListener = Callable[[Frame, Address], None]


@dataclass(frozen=True, slots=True)
class DiscoveredNode:
    """A node that answered discovery (or announced itself): where it is, what it hosts."""

    address: Address
    instances: tuple[Eoj, ...]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """An object that answered a class search (multicast Get 0x80) [AIF 3.1.2]."""

    address: Address
    eoj: Eoj
    operation_status: bytes


@dataclass(slots=True)
class ClientStats:
    sent: int = 0
    answered: int = 0
    refused: int = 0
    timed_out: int = 0
    unmatched: int = 0  # responses to no pending request: late, foreign or malformed


@dataclass(slots=True)
class _Pending:
    peer: Address | None  # None: a multicast request, answered by many
    request: Frame
    future: asyncio.Future[Frame] | None = None
    on_answer: NotificationListener | None = None  # for multicast requests


class EchonetClient:
    """A controller node on one interface that sends requests and collects answers."""

    def __init__(self, runner: NodeRunner, *, eoj: Eoj = CONTROLLER) -> None:
        self._runner = runner
        self.eoj = eoj
        self.stats = ClientStats()
        self._tids = TidAllocator()
        self._pending: dict[int, _Pending] = {}
        self._peer_locks: dict[Address, asyncio.Lock] = {}
        self._listeners: list[NotificationListener] = []
        runner.on_frame = self._on_frame

    @classmethod
    def open(
        cls,
        iface: str | None,
        *,
        port: int = ECHONET_PORT,
        ipv4: bool = False,
        node: Node | None = None,
    ) -> EchonetClient:
        """Bind to ``iface`` (None: every interface) and start serving; call from a loop."""
        interface = Interface.lookup(iface) if iface is not None else None
        transport = UdpTransport(interface, port=port, ipv4=ipv4)
        runner = NodeRunner(node or controller_node(), transport)
        runner.start()
        return cls(runner)

    @property
    def transport(self) -> UdpTransport:
        return self._runner.transport

    @property
    def node(self) -> Node:
        return self._runner.node

    def close(self) -> None:
        for pending in self._pending.values():
            if pending.future is not None and not pending.future.done():
                pending.future.cancel()
        self._runner.close()

    async def __aenter__(self) -> EchonetClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def add_notification_listener(self, listener: NotificationListener) -> None:
        """Call ``listener`` for every INF/INFC and unsolicited frame from any node."""
        self._listeners.append(listener)

    def announce(self) -> None:
        """Multicast this node's instance list (INF 0xD5), as a node does at start-up."""
        notice = self.node.notification(self.node.node_profile.eoj, [_INSTANCE_LIST_NOTIFICATION])
        if notice is not None:
            self._runner.send(notice)

    async def get(
        self, peer: Address, eoj: Eoj, epcs: Iterable[int], *, timeout: float | None = None
    ) -> dict[int, bytes]:
        """Get the EDT of each EPC, in request order; RequestRefused on Get_SNA."""
        props = tuple(Property(epc) for epc in epcs)
        reply = await self.request(peer, eoj, Esv.GET, props, timeout=timeout)
        values = {p.epc: p.edt for p in reply.properties}
        if reply.esv is Esv.GET_SNA:
            refused = [p.epc for p in reply.properties if not p.edt]
            raise RequestRefused(reply.esv.symbol, refused, values)
        return values

    async def set(
        self,
        peer: Address,
        eoj: Eoj,
        values: Mapping[int, bytes],
        *,
        timeout: float | None = None,
    ) -> None:
        """SetC each EPC; returns once the node confirmed it stored them (Set_Res)."""
        props = tuple(Property(epc, edt) for epc, edt in values.items())
        reply = await self.request(peer, eoj, Esv.SETC, props, timeout=timeout)
        if reply.esv is Esv.SETC_SNA:
            refused = [p.epc for p in reply.properties if p.edt]
            accepted = {p.epc: p.edt for p in reply.properties if not p.edt}
            raise RequestRefused(reply.esv.symbol, refused, accepted)

    async def request(
        self,
        peer: Address,
        deoj: Eoj,
        esv: Esv,
        properties: tuple[Property, ...],
        get_properties: tuple[Property, ...] = (),
        *,
        timeout: float | None = None,
    ) -> Frame:
        """Send one request to one peer and return its response (Res or SNA)."""
        if esv.success_response is None and esv.sna_response is None:
            raise ValueError(f"{esv.symbol} is not a request that expects an answer")
        wait = timeout if timeout is not None else self._default_wait(deoj, properties)
        lock = self._peer_locks.setdefault(peer, asyncio.Lock())
        async with lock:
            loop = asyncio.get_running_loop()
            tid = self._tids.allocate()
            frame = Frame(tid, self.eoj, deoj, esv, properties, get_properties)
            pending = _Pending(peer, frame, loop.create_future())
            self._pending[tid] = pending
            try:
                self._runner.send(Outgoing(frame), peer)
                self.stats.sent += 1
                assert pending.future is not None
                reply = await asyncio.wait_for(pending.future, wait)
            except TimeoutError:
                self.stats.timed_out += 1
                raise ResponseTimeout(wait, tid) from None
            finally:
                del self._pending[tid]
                self._tids.release(tid)
        if reply.esv.is_sna:
            self.stats.refused += 1
        else:
            self.stats.answered += 1
        return reply

    async def discover(
        self, *, window: float = 3.0, expect: int | None = None
    ) -> list[DiscoveredNode]:
        """Find the nodes on the link: multicast Get 0xD6 to every node profile.

        Collects answers (and 0xD5 announcements heard meanwhile) for ``window`` seconds, or
        until ``expect`` nodes have answered.
        """
        found: dict[Address, DiscoveredNode] = {}

        def accept(frame: Frame, source: Address) -> bool:
            edt = frame.edt_of(_SELF_NODE_INSTANCE_LIST) or frame.edt_of(
                _INSTANCE_LIST_NOTIFICATION
            )
            if not frame.seoj.is_node_profile or edt is None:
                return False
            try:
                instances = decode_instance_list(edt).instances
            except ValueError:
                log.info("ignoring malformed instance list from %s", source)
                return False
            found[source] = DiscoveredNode(source, instances)
            return True

        await self._multicast_collect(
            ALL_NODE_PROFILES, Esv.GET, _SELF_NODE_INSTANCE_LIST, accept, window, expect
        )
        return sorted(found.values(), key=lambda n: (n.address.host, n.address.port))

    async def search(
        self, class_id: int, *, window: float = 3.0, expect: int | None = None
    ) -> list[SearchHit]:
        """Search for the objects of one class: multicast Get 0x80 to instance 0 [AIF 3.1.2]."""
        hits: list[SearchHit] = []
        target = Eoj.of(class_id, 0)

        def accept(frame: Frame, source: Address) -> bool:
            edt = frame.edt_of(_OPERATION_STATUS)
            if frame.esv is not Esv.GET_RES or edt is None or not target.addresses(frame.seoj):
                return False
            hits.append(SearchHit(source, frame.seoj, edt))
            return True

        await self._multicast_collect(target, Esv.GET, _OPERATION_STATUS, accept, window, expect)
        return hits

    async def _multicast_collect(
        self,
        deoj: Eoj,
        esv: Esv,
        epc: int,
        accept: Callable[[Frame, Address], bool],
        window: float,
        expect: int | None,
    ) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        count = 0

        def on_answer(frame: Frame, source: Address) -> None:
            nonlocal count
            if accept(frame, source):
                count += 1
                if expect is not None and count >= expect and not done.done():
                    done.set_result(None)

        tid = self._tids.allocate()
        frame = Frame(tid, self.eoj, deoj, esv, (Property(epc),))
        self._pending[tid] = _Pending(None, frame, on_answer=on_answer)
        self._listeners.append(on_answer)  # announcements heard meanwhile count too
        try:
            self._runner.send(Outgoing(frame, multicast=True))
            self.stats.sent += 1
            await asyncio.wait_for(done, window)
        except TimeoutError:
            pass  # the window closed: what answered is what there is
        finally:
            self._listeners.remove(on_answer)
            del self._pending[tid]
            self._tids.release(tid)

    def _default_wait(self, deoj: Eoj, properties: tuple[Property, ...]) -> float:
        table = class_def(deoj.class_id)
        history = table.history_epcs if table is not None else frozenset()
        return response_wait([p.epc for p in properties], history)

    def _on_frame(self, frame: Frame, source: Address) -> None:
        pending = self._pending.get(frame.tid)
        if pending is not None and frame.esv.answers is pending.request.esv:
            if pending.on_answer is not None:
                pending.on_answer(frame, source)
                return
            peer = pending.peer
            if peer and _same_peer(peer, source) and pending.request.deoj.addresses(frame.seoj):
                if pending.future is not None and not pending.future.done():
                    pending.future.set_result(frame)
                return
        if frame.esv.answers is not None:
            self.stats.unmatched += 1
            log.info("discarded unmatched %s TID %d from %s", frame.esv.symbol, frame.tid, source)
            return
        for listener in list(self._listeners):
            listener(frame, source)


def _same_peer(expected: Address, source: Address) -> bool:
    if expected.host != source.host:
        return False
    return not expected.scope_id or not source.scope_id or expected.scope_id == source.scope_id
