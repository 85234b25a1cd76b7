"""A client facade for library users: discover nodes, Get and Set their properties.

The client is itself an ECHONET Lite node (a controller, 0x05FF01, with its node profile) that
answers Gets of its own objects: a :class:`~hemsnet.controller.client.ClientEngine` pumped by
the one runner (:class:`~hemsnet.aio.runner.EngineRunner`). Requests follow the request
discipline of the Route B controller, the same :class:`~hemsnet.controller.requests.RequestLane`:

* one request outstanding per peer; the next goes as soon as the response arrives [AIF 2.4.1];
* the response-wait timer is timer 1 (40 s) or timer 2 (180 s) by default [AIF 2.4.2]; a
  caller may pass another ``timeout`` for nodes that are not bound by the AIF;
* every attempt gets a fresh TID, and a response to a retired TID is discarded [AIF 2.4.3];
* a response matches only if it comes from the peer asked (any port of its address), carries
  the request's TID, an ESV that answers the request's ESV and an SEOJ the request's DEOJ
  addresses.

Failures raise: :class:`~hemsnet.errors.ResponseTimeout` (a ``TimeoutError``) when the timer
runs out, :class:`~hemsnet.errors.RequestRefused` carrying the refused EPCs on an SNA.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.runner import EngineRunner
from hemsnet.aio.udp import (
    ECHONET_PORT,
    Address,
    DatagramLink,
    Interface,
    UdpTransport,
    peer_identity,
)
from hemsnet.controller.client import (
    Answered,
    ClientEngine,
    ClientEvent,
    ClientStats,
    Collected,
    Notified,
)
from hemsnet.controller.requests import Request
from hemsnet.echonet.eoj import Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property
from hemsnet.echonet.instance_list import decode_instance_list
from hemsnet.errors import RequestRefused, ResponseTimeout

__all__ = ["DiscoveredNode", "EchonetClient", "SearchHit"]

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


class EchonetClient:
    """A controller node on one interface that sends requests and collects answers."""

    def __init__(self, transport: DatagramLink) -> None:
        self.transport = transport
        self.engine = ClientEngine(draw=secrets.randbelow, identify=peer_identity)
        self._runner = EngineRunner(
            self.engine, transport, ScaledClock(datetime.now()), on_events=self._on_events
        )
        self._answers: dict[int, asyncio.Future[Frame | None]] = {}
        self._collectors: dict[int, Callable[[Frame, Address], None]] = {}
        self._peer_locks: dict[object, asyncio.Lock] = {}
        self._listeners: list[NotificationListener] = []

    @classmethod
    def open(
        cls, iface: str | None, *, port: int = ECHONET_PORT, ipv4: bool = False
    ) -> EchonetClient:
        """Bind to ``iface`` (None: every interface) and start serving; call from a loop."""
        interface = Interface.lookup(iface) if iface is not None else None
        client = cls(UdpTransport(interface, port=port, ipv4=ipv4))
        client.start()
        return client

    def start(self) -> None:
        """Start serving the link (``open`` does); call from a running event loop."""
        self._runner.start()

    @property
    def stats(self) -> ClientStats:
        return self.engine.stats

    def close(self) -> None:
        for future in self._answers.values():
            if not future.done():
                future.cancel()
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
        self._runner.dispatch(self.engine.announce(self._now()))

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
        """Send one request to one peer and return its response (Res or SNA).

        Raises :class:`~hemsnet.errors.RequestNotAllowed` for a request that cannot be sent
        (an ESV that is not answered, no property or more than 255)."""
        request = Request(esv, properties, deoj, get_properties=get_properties)
        lock = self._peer_locks.setdefault(peer_identity(peer), asyncio.Lock())
        async with lock:  # one request outstanding per peer [AIF 2.4.1]
            now = self._now()
            pending, sends = self.engine.request(peer, request, now, wait=timeout)
            future: asyncio.Future[Frame | None] = asyncio.get_running_loop().create_future()
            self._answers[pending.tid] = future
            try:
                self._runner.dispatch(sends)
                reply = await future
            finally:
                del self._answers[pending.tid]
        if reply is None:
            raise ResponseTimeout((pending.deadline - now).total_seconds(), pending.tid)
        return reply

    async def discover(
        self, *, window: float = 3.0, expect: int | None = None
    ) -> list[DiscoveredNode]:
        """Find the nodes on the link: multicast Get 0xD6 to every node profile.

        Collects answers (and 0xD5 announcements heard meanwhile) for ``window`` seconds, or
        until ``expect`` nodes have answered.
        """
        found: dict[Hashable, DiscoveredNode] = {}  # by address: a node answering from
        # another port than the one it announces from is still one node

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
            found[peer_identity(source)] = DiscoveredNode(source, instances)
            return True

        await self._collect(
            Request.get(ALL_NODE_PROFILES, _SELF_NODE_INSTANCE_LIST, multicast=True),
            accept,
            window,
            expect,
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

        await self._collect(
            Request.get(target, _OPERATION_STATUS, multicast=True), accept, window, expect
        )
        return hits

    async def _collect(
        self,
        request: Request,
        accept: Callable[[Frame, Address], bool],
        window: float,
        expect: int | None,
    ) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        count = 0

        def on_answer(frame: Frame, source: Address) -> None:
            nonlocal count
            if accept(frame, source):
                count += 1
                if expect is not None and count >= expect and not done.done():
                    done.set_result(None)

        tid, sends = self.engine.collect(request, self._now())
        self._collectors[tid] = on_answer
        self._listeners.append(on_answer)  # announcements heard meanwhile count too
        try:
            self._runner.dispatch(sends)
            await asyncio.wait_for(done, window)
        except TimeoutError:
            pass  # the window closed: what answered is what there is
        finally:
            self._listeners.remove(on_answer)
            del self._collectors[tid]
            self.engine.end_collection(tid)

    def _on_events(self, events: Sequence[ClientEvent], now: datetime) -> None:
        for event in events:
            if isinstance(event, Answered):
                future = self._answers.get(event.tid)
                if future is not None and not future.done():
                    future.set_result(event.answer.frame)
            elif isinstance(event, Collected):
                collector = self._collectors.get(event.tid)
                if collector is not None and isinstance(event.source, Address):
                    collector(event.frame, event.source)
            elif isinstance(event, Notified) and isinstance(event.source, Address):
                for listener in list(self._listeners):
                    listener(event.frame, event.source)

    def _now(self) -> datetime:
        return self._runner.clock.now()
