"""The request discipline of a controller [AIF 2.4], for any node of any class.

One :class:`RequestLane` per peer carries every request to it, for the Route B controller
(the meter), the appliance monitor (each appliance node) and the client behind the command
line alike:

* one request outstanding at a time; the next goes as soon as the response arrives, or after
  the response-wait timer runs out [AIF 2.4.1, 2.4.2];
* timer 1 for OPC 1 without a history EPC, timer 2 for OPC >= 2 or any history EPC [Table 2-5];
  which EPCs are history EPCs is the class table's ([hemsnet.devices.registry]);
* a fresh TID for every request: a timed-out one is never sent again under its TID, and a
  response to a retired TID is recognised as late and discarded [AIF 2.4.3];
* at most ``max_opc`` properties per request;
* when ``strict``: a history EPC alone [AIF 2.4.4], and a Set value the class table refuses
  is refused before it is sent [AIF 2.4.5] (the client, a tool for testing nodes, may send
  what a node must refuse, to see that it does);
* a response matches only by source (``identify``: its address, whatever the port), TID, ESV
  pairing and SEOJ.

A request the discipline does not allow raises
:class:`~hemsnet.errors.RequestNotAllowed`: the caller's mistake, not the peer's.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Final

from hemsnet.devices.registry import class_def, lookup
from hemsnet.echonet.eoj import CONTROLLER, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, encode_frame
from hemsnet.echonet.tid import TidAllocator
from hemsnet.echonet.timers import TIMER_1_MIN, TIMER_2_MIN, response_wait
from hemsnet.errors import InvalidValue, RequestNotAllowed

__all__ = ["Answer", "Match", "Pending", "Request", "RequestLane", "history_epcs"]

_RETIRED_KEPT: Final = 64  # retired TIDs remembered to recognise late responses
_OPC_MAX: Final = 255  # one byte [EL spec §3.2.5]
_NO_EPCS: Final[frozenset[int]] = frozenset()


def history_epcs(eoj: Eoj) -> frozenset[int]:
    """The history EPCs of ``eoj``'s class: timer 2, alone in a request [AIF 2.4.2, 2.4.4]."""
    table = class_def(eoj.class_id)
    return table.history_epcs if table is not None else _NO_EPCS


@dataclass(frozen=True, slots=True)
class Request:
    """A request to one node's object (or, for a search, to every node)."""

    esv: Esv
    properties: tuple[Property, ...]
    deoj: Eoj
    multicast: bool = False
    get_properties: tuple[Property, ...] = ()  # the Get part of a SetGet

    @classmethod
    def get(cls, deoj: Eoj, *epcs: int, multicast: bool = False) -> Request:
        return cls(Esv.GET, tuple(Property(epc) for epc in epcs), deoj, multicast)

    @classmethod
    def setc(cls, deoj: Eoj, epc: int, edt: bytes) -> Request:
        return cls(Esv.SETC, (Property(epc, edt),), deoj)

    @property
    def epcs(self) -> tuple[int, ...]:
        return tuple(p.epc for p in self.properties + self.get_properties)


@dataclass(frozen=True, slots=True)
class Pending:
    """The request in flight: its TID, where it went and when the timer runs out."""

    request: Request
    tid: int
    to: Hashable | None
    deadline: datetime


@dataclass(frozen=True, slots=True)
class Answer:
    """The outcome of a request: the response and who sent it, or ``None`` on a timeout."""

    request: Request
    frame: Frame | None
    source: Hashable | None = None

    @property
    def timed_out(self) -> bool:
        return self.frame is None

    @property
    def accepted(self) -> bool:
        """Get_Res or Set_Res with every property served."""
        return self.frame is not None and not self.frame.esv.is_sna and not self.refused()

    def values(self) -> dict[int, bytes]:
        """The EDTs a Get served, by EPC (a Get_SNA serves some, with PDC 0 for the rest)."""
        if self.frame is None or self.request.esv is not Esv.GET:
            return {}
        return {p.epc: p.edt for p in self.frame.properties if p.edt}

    def declined(self) -> set[int]:
        """The EPCs the answer lists without a value (PDC 0): refused, not merely missing."""
        if self.frame is None:
            return set()
        return {p.epc for p in self.frame.properties if not p.edt} & set(self.request.epcs)

    def refused(self) -> set[int]:
        """The EPCs the meter did not serve."""
        if self.frame is None:
            return set(self.request.epcs)
        if self.request.esv is Esv.GET:
            return set(self.request.epcs) - set(self.values())
        return {p.epc for p in self.frame.properties if p.edt} if self.frame.esv.is_sna else set()


class Match(Enum):
    ANSWER = "answer"  # the response to the request in flight
    LATE = "late"  # a response to a request that already timed out
    UNSOLICITED = "unsolicited"  # a response to nothing this controller asked


class RequestLane:
    """Issues requests to one peer one at a time and matches their responses."""

    def __init__(
        self,
        *,
        timer_1: float = TIMER_1_MIN,
        timer_2: float = TIMER_2_MIN,
        max_opc: int | None = None,
        strict: bool = True,
        tids: TidAllocator,
        identify: Callable[[Hashable], Hashable] = lambda source: source,
    ) -> None:
        self.timer_1 = timer_1
        self.timer_2 = timer_2
        self.max_opc = max_opc or _OPC_MAX
        self.strict = strict
        self._tids = tids
        self._identify = identify
        self._pending: Pending | None = None
        self._retired: deque[int] = deque(maxlen=_RETIRED_KEPT)

    @property
    def pending(self) -> Pending | None:
        return self._pending

    @property
    def busy(self) -> bool:
        return self._pending is not None

    def check(self, request: Request) -> None:
        """Raise :class:`RequestNotAllowed` if ``request`` breaks the discipline."""
        epcs = request.epcs
        if not 1 <= len(epcs) <= self.max_opc:
            raise RequestNotAllowed(f"{len(epcs)} properties; a request carries 1..{self.max_opc}")
        esv = request.esv
        if not self.strict:
            if esv.success_response is None and esv.sna_response is None:
                raise RequestNotAllowed(f"{esv.symbol} is not a request that is answered")
            return
        if esv not in (Esv.GET, Esv.SETC):
            raise RequestNotAllowed(f"a controller sends Get or SetC, not {esv.symbol}")
        if len(epcs) > 1 and any(epc in history_epcs(request.deoj) for epc in epcs):
            raise RequestNotAllowed("a history EPC goes alone in its request [AIF 2.4.4]")
        for prop in request.properties if esv is Esv.SETC else ():
            _check_set(request.deoj, prop)

    def send(
        self, request: Request, to: Hashable | None, now: datetime, *, wait: float | None = None
    ) -> bytes:
        """The datagram of ``request``, now in flight under a fresh TID; its response-wait
        timer is the spec's [AIF Table 2-5] unless ``wait`` (seconds) is given."""
        if self._pending is not None:
            raise RequestNotAllowed("a request is already outstanding [AIF 2.4.1]")
        self.check(request)
        if wait is None:
            wait = response_wait(
                request.epcs,
                history_epcs(request.deoj),
                timer_1=self.timer_1,
                timer_2=self.timer_2,
            )
        tid = self._tids.allocate()
        self._pending = Pending(request, tid, to, now + timedelta(seconds=wait))
        frame = Frame(
            tid, CONTROLLER, request.deoj, request.esv, request.properties, request.get_properties
        )
        return encode_frame(frame)

    def match(self, frame: Frame, source: Hashable) -> Match:
        """Whether ``frame`` (a response) answers the request in flight."""
        pending = self._pending
        if (
            pending is not None
            and frame.tid == pending.tid
            and self._pairs(pending, frame)
            and (pending.to is None or self._identify(source) == self._identify(pending.to))
        ):
            return Match.ANSWER
        if frame.tid in self._retired:
            return Match.LATE
        return Match.UNSOLICITED

    def settle(self, frame: Frame | None, source: Hashable | None = None) -> Answer:
        """Retire the request in flight: answered by ``frame``, or timed out (``None``)."""
        pending = self._pending
        if pending is None:
            raise RequestNotAllowed("no request is outstanding")
        self._pending = None
        self._tids.release(pending.tid)
        self._retired.append(pending.tid)
        return Answer(pending.request, frame, source)

    def expired(self, now: datetime) -> bool:
        return self._pending is not None and now >= self._pending.deadline

    @staticmethod
    def _pairs(pending: Pending, frame: Frame) -> bool:
        request = pending.request
        if frame.esv not in (request.esv.success_response, request.esv.sna_response):
            return False
        return request.deoj.addresses(frame.seoj)


def _check_set(deoj: Eoj, prop: Property) -> None:
    """A Set the class table allows, with a value it may write [AIF 2.4.5]."""
    definition = lookup(deoj.class_id, prop.epc)
    if definition is None:
        raise RequestNotAllowed(f"0x{prop.epc:02X} is no 0x{deoj.class_id:04X} property")
    if not definition.set.allowed:
        raise RequestNotAllowed(f"0x{prop.epc:02X} cannot be set")
    try:
        definition.validate_set(prop.edt)
    except InvalidValue as exc:
        raise RequestNotAllowed(f"0x{prop.epc:02X}: {exc} [AIF 2.4.5]") from None
