"""The request discipline of a Route B controller [AIF 2.4].

One :class:`RequestLane` carries every request to the meter:

* one request outstanding at a time; the next goes as soon as the response arrives, or after
  the response-wait timer runs out [AIF 2.4.1, 2.4.2];
* timer 1 for OPC 1 without a history EPC, timer 2 for OPC >= 2 or any history EPC [Table 2-5];
* a fresh TID for every request: a timed-out one is never sent again under its TID, and a
  response to a retired TID is recognised as late and discarded [AIF 2.4.3];
* at most ``max_opc`` properties per request, a history EPC alone [AIF 2.4.4];
* a SetC value outside the property's range is refused before it is sent [AIF 2.4.5];
* a response matches only by source, TID, ESV pairing and SEOJ.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Final

from hemsnet.devices.hv_meter_bidir import HV_METER_BIDIR
from hemsnet.echonet.eoj import CONTROLLER, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, encode_frame
from hemsnet.echonet.tid import TidAllocator
from hemsnet.echonet.timers import response_wait
from hemsnet.errors import InvalidValue

__all__ = ["Answer", "Match", "Pending", "Request", "RequestLane", "RequestRefused"]

_HISTORY_EPCS: Final = HV_METER_BIDIR.history_epcs
_RETIRED_KEPT: Final = 64  # retired TIDs remembered to recognise late responses


class RequestRefused(ValueError):
    """A request the discipline does not allow (a programming error, not a network event)."""


@dataclass(frozen=True, slots=True)
class Request:
    """A Get or SetC to the meter (or, for the search, to every node)."""

    esv: Esv
    properties: tuple[Property, ...]
    deoj: Eoj
    multicast: bool = False

    @classmethod
    def get(cls, deoj: Eoj, *epcs: int, multicast: bool = False) -> Request:
        return cls(Esv.GET, tuple(Property(epc) for epc in epcs), deoj, multicast)

    @classmethod
    def setc(cls, deoj: Eoj, epc: int, edt: bytes) -> Request:
        return cls(Esv.SETC, (Property(epc, edt),), deoj)

    @property
    def epcs(self) -> tuple[int, ...]:
        return tuple(p.epc for p in self.properties)


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
        """The EDTs served, by EPC (a Get_SNA serves some, with PDC 0 for the rest)."""
        if self.frame is None or self.request.esv is not Esv.GET:
            return {}
        return {p.epc: p.edt for p in self.frame.properties if p.edt}

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
    """Issues requests one at a time and matches their responses."""

    def __init__(
        self, *, timer_1: float, timer_2: float, max_opc: int, tids: TidAllocator | None = None
    ) -> None:
        self.timer_1 = timer_1
        self.timer_2 = timer_2
        self.max_opc = max_opc
        self._tids = tids or TidAllocator()
        self._pending: Pending | None = None
        self._retired: deque[int] = deque(maxlen=_RETIRED_KEPT)

    @property
    def pending(self) -> Pending | None:
        return self._pending

    @property
    def busy(self) -> bool:
        return self._pending is not None

    def check(self, request: Request) -> None:
        """Raise :class:`RequestRefused` if ``request`` breaks AIF 2.4.4 or 2.4.5."""
        epcs = request.epcs
        if not 1 <= len(epcs) <= self.max_opc:
            raise RequestRefused(f"{len(epcs)} properties; a request carries 1..{self.max_opc}")
        if len(epcs) > 1 and any(epc in _HISTORY_EPCS for epc in epcs):
            raise RequestRefused("a history EPC goes alone in its request [AIF 2.4.4]")
        if request.esv is Esv.SETC:
            for prop in request.properties:
                definition = HV_METER_BIDIR.get(prop.epc)
                if definition is None:
                    raise RequestRefused(f"0x{prop.epc:02X} is no 0x028F property")
                if not definition.set.allowed:
                    raise RequestRefused(f"0x{prop.epc:02X} cannot be set")
                try:
                    definition.validate_set(prop.edt)
                except InvalidValue as exc:
                    raise RequestRefused(f"0x{prop.epc:02X}: {exc} [AIF 2.4.5]") from None
        elif request.esv is not Esv.GET:
            raise RequestRefused(f"a controller sends Get or SetC, not {request.esv.symbol}")

    def send(self, request: Request, to: Hashable | None, now: datetime) -> bytes:
        """The datagram of ``request``, now in flight under a fresh TID."""
        if self._pending is not None:
            raise RequestRefused("a request is already outstanding [AIF 2.4.1]")
        self.check(request)
        tid = self._tids.allocate()
        wait = response_wait(
            request.epcs, _HISTORY_EPCS, timer_1=self.timer_1, timer_2=self.timer_2
        )
        self._pending = Pending(request, tid, to, now + timedelta(seconds=wait))
        frame = Frame(tid, CONTROLLER, request.deoj, request.esv, request.properties)
        return encode_frame(frame)

    def match(self, frame: Frame, source: Hashable) -> Match:
        """Whether ``frame`` (a response) answers the request in flight."""
        pending = self._pending
        if (
            pending is not None
            and frame.tid == pending.tid
            and self._pairs(pending, frame)
            and (pending.to is None or source == pending.to)
        ):
            return Match.ANSWER
        if frame.tid in self._retired:
            return Match.LATE
        return Match.UNSOLICITED

    def settle(self, frame: Frame | None, source: Hashable | None = None) -> Answer:
        """Retire the request in flight: answered by ``frame``, or timed out (``None``)."""
        pending = self._pending
        if pending is None:
            raise RequestRefused("no request is outstanding")
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
        if request.deoj.instance == 0:  # to every instance of a class: any of them answers
            return frame.seoj.class_id == request.deoj.class_id
        return frame.seoj == request.deoj
