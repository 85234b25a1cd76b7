"""The engine of a general-purpose controller: requests to any node, sans I/O.

What ``hemsnet discover``, ``get`` and ``set`` and the library's
:class:`~hemsnet.aio.client.EchonetClient` talk through. It keeps the engine contract
(:mod:`hemsnet.echonet.engine`) and the same request discipline as the Route B controller, one
:class:`~hemsnet.controller.requests.RequestLane` per peer [AIF 2.4]: one request outstanding
per peer, the response-wait timers, a fresh TID for every attempt, a late answer recognised as
late. The lanes are not strict (:mod:`hemsnet.controller.requests`): a person testing a node
may send it what it must refuse.

* :meth:`ClientEngine.request` sends one request to one peer; its outcome comes back as an
  :class:`Answered` event, with a response or, once the timer has run out, without.
* :meth:`ClientEngine.collect` multicasts a request and opens a window in which every answer
  to it comes back as a :class:`Collected` event, until :meth:`ClientEngine.end_collection`.
* Notifications and requests from other nodes: the controller's own node answers requests to
  its objects; every INF, INFC and other frame the client did not ask for is a
  :class:`Notified` event.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from hemsnet.controller.own_node import OwnNode, decode_datagram
from hemsnet.controller.requests import Answer, Match, Pending, Request, RequestLane
from hemsnet.echonet.engine import Discard, FrameDiscarded
from hemsnet.echonet.eoj import CONTROLLER
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, encode_frame
from hemsnet.echonet.send import Send
from hemsnet.echonet.tid import Draw, TidAllocator

__all__ = ["Answered", "ClientEngine", "ClientEvent", "ClientStats", "Collected", "Notified"]

_IDLE: Final = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Answered:
    """The outcome of request ``tid``: its response, or a timeout (``answer.timed_out``)."""

    tid: int
    answer: Answer


@dataclass(frozen=True, slots=True)
class Collected:
    """One node's answer to the multicast request ``tid``."""

    tid: int
    frame: Frame
    source: Hashable


@dataclass(frozen=True, slots=True)
class Notified:
    """A frame the client did not ask for: an INF, an INFC, an announcement."""

    frame: Frame
    source: Hashable


ClientEvent = Answered | Collected | Notified | FrameDiscarded


@dataclass(slots=True)
class ClientStats:
    sent: int = 0
    answered: int = 0
    refused: int = 0
    timed_out: int = 0
    unmatched: int = 0  # responses to no pending request: late or unsolicited


class ClientEngine:
    """A controller node (0x05FF01 with its node profile) that asks other nodes."""

    def __init__(
        self,
        *,
        draw: Draw,
        identify: Callable[[Hashable], Hashable] = lambda source: source,
        own: OwnNode | None = None,
    ) -> None:
        self.own = own or OwnNode()
        self.stats = ClientStats()
        self.now = datetime.min
        self._identify = identify
        self._tids = TidAllocator(draw)  # unpredictable TIDs [docs/threat-model.md]
        self._lanes: dict[Hashable, RequestLane] = {}
        self._collecting: dict[int, Request] = {}
        self._events: list[ClientEvent] = []

    # --- what the caller asks ----------------------------------------------------------------

    def request(
        self, peer: Hashable, request: Request, now: datetime, *, wait: float | None = None
    ) -> tuple[Pending, list[Send]]:
        """Send ``request`` to ``peer``: its TID and deadline, and the datagram. ``wait``
        (seconds) replaces the spec's response-wait timer. Raises
        :class:`~hemsnet.errors.RequestNotAllowed` while a request to ``peer`` is out."""
        self.now = now
        lane = self._lane(peer)
        data = lane.send(request, peer, now, wait=wait)
        pending = lane.pending
        assert pending is not None
        self.stats.sent += 1
        return pending, [Send(data, peer)]

    def collect(self, request: Request, now: datetime) -> tuple[int, list[Send]]:
        """Multicast ``request``; answers to it are :class:`Collected` until
        :meth:`end_collection`."""
        self.now = now
        tid = self._tids.allocate()
        self._collecting[tid] = request
        frame = Frame(tid, CONTROLLER, request.deoj, request.esv, request.properties)
        self.stats.sent += 1
        return tid, [Send(encode_frame(frame))]

    def end_collection(self, tid: int) -> None:
        if self._collecting.pop(tid, None) is not None:
            self._tids.release(tid)

    def busy(self, peer: Hashable) -> bool:
        """Whether a request to ``peer`` is outstanding."""
        lane = self._lanes.get(self._identify(peer))
        return lane is not None and lane.busy

    # --- the engine contract (hemsnet.echonet.engine) --------------------------------------

    def announce(self, now: datetime) -> list[Send]:
        """The controller's instance list, to every node (0xD5 INF) [AIF 3.1.1]."""
        self.now = now
        return [self.own.announcement()]

    def receive(self, data: bytes, source: Hashable, now: datetime) -> list[Send]:
        self.now = now
        frame = decode_datagram(data, source)
        if isinstance(frame, FrameDiscarded):
            self._discard(frame)
            return []
        if frame is None:
            return []
        if frame.esv.is_request:
            return self.own.serve(frame, source)
        if frame.esv.answers is not None:
            self._on_response(frame, source, data)
            return []
        if frame.esv is Esv.INFC:
            self._events.append(Notified(frame, source))
            return self.own.serve(frame, source)  # INFC_Res: the sender waits for it
        self._events.append(Notified(frame, source))
        return []

    def advance(self, now: datetime) -> list[Send]:
        self.now = now
        for lane in self._lanes.values():
            pending = lane.pending
            if pending is not None and lane.expired(now):
                self.stats.timed_out += 1
                self._events.append(Answered(pending.tid, lane.settle(None)))
        return []

    def next_wakeup(self) -> datetime:
        deadlines = [lane.pending.deadline for lane in self._lanes.values() if lane.pending]
        return min(deadlines, default=self.now + _IDLE)

    def take_events(self) -> list[ClientEvent]:
        events, self._events = self._events, []
        return events

    # --- inside ------------------------------------------------------------------------------

    def _lane(self, peer: Hashable) -> RequestLane:
        key = self._identify(peer)
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = RequestLane(
                strict=False, tids=self._tids, identify=self._identify
            )
        return lane

    def _on_response(self, frame: Frame, source: Hashable, data: bytes) -> None:
        collecting = self._collecting.get(frame.tid)
        if collecting is not None and frame.esv.answers is collecting.esv:
            self._events.append(Collected(frame.tid, frame, source))
            return
        lane = self._lanes.get(self._identify(source))
        match = lane.match(frame, source) if lane is not None else Match.UNSOLICITED
        if lane is not None and match is Match.ANSWER:
            if frame.esv.is_sna:
                self.stats.refused += 1
            else:
                self.stats.answered += 1
            self._events.append(Answered(frame.tid, lane.settle(frame, source)))
            return
        kind = Discard.LATE if match is Match.LATE else Discard.UNSOLICITED
        reason = f"{frame.esv.symbol} TID {frame.tid} answers nothing pending"
        self._discard(FrameDiscarded(source, kind, reason, data))

    def _discard(self, event: FrameDiscarded) -> None:
        if event.kind is not Discard.MALFORMED:
            self.stats.unmatched += 1
        self._events.append(event)
