"""hemsnet's meter broken on purpose, one rule at a time: a test-only fault plan.

:class:`BrokenMeter` wraps a :class:`~hemsnet.meter.engine.MeterEngine` and rewrites what it
sends (or what it receives) by a :class:`Break`, so each clause of the meter tester is shown to
fail on a meter that breaks that clause alone. The emulator itself stays a well-behaved meter;
its production fault plan (drops, delays, faults) is another matter.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, decode_frame, encode_frame
from hemsnet.echonet.propmap import decode_property_map, encode_property_map
from hemsnet.echonet.send import Send
from hemsnet.errors import FrameError
from hemsnet.meter.engine import MeterEngine

Rewrite = Callable[[Frame, Frame | None], Frame | None]  # (answer, request) -> answer or drop


@dataclass(frozen=True)
class Break:
    """One rule broken: how answers are rewritten, how late some leave, what comes in."""

    rewrite: Rewrite | None = None
    delay: Callable[[Frame], timedelta] | None = None
    incoming: Callable[[bytes], bytes | None] | None = None


def _props(frame: Frame, edit: Callable[[Property], Property | None]) -> Frame:
    kept = [p2 for p in frame.properties if (p2 := edit(p)) is not None]
    return frame._replace(properties=tuple(kept))


def edt_of(
    epc: int, change: Callable[[bytes], bytes], *, node: bool = False, esv: Esv = Esv.GET_RES
) -> Rewrite:
    """Change the EDT of ``epc`` in every ``esv`` of the meter object (or the node profile)."""

    def rewrite(frame: Frame, _: Frame | None) -> Frame:
        if frame.esv is not esv or frame.seoj.is_node_profile != node:
            return frame
        return _props(frame, lambda p: p._replace(edt=change(p.edt)) if p.epc == epc else p)

    return rewrite


def map_edit(
    epc: int,
    *,
    add: frozenset[int] = frozenset(),
    remove: frozenset[int] = frozenset(),
    node: bool = False,
) -> Rewrite:
    """Add EPCs to, or remove them from, a property map the meter (or its node) answers."""

    def change(edt: bytes) -> bytes:
        return encode_property_map((decode_property_map(edt) | add) - remove)

    return edt_of(epc, change, node=node)


def answer_as(esv: Esv, when: Callable[[Frame], bool]) -> Rewrite:
    """Answer the requests ``when`` picks with ``esv``: a refusal, or an acceptance."""

    def rewrite(frame: Frame, request: Frame | None) -> Frame:
        if request is None or not when(request) or frame.esv.is_request:
            return frame
        if esv is Esv.GET_RES:  # a value where there is none
            props = tuple(Property(p.epc, b"\x00") for p in request.properties)
        elif esv in (Esv.SET_RES, Esv.GET_SNA):
            props = tuple(Property(p.epc) for p in request.properties)
        else:
            props = request.properties
        return frame._replace(esv=esv, properties=props)

    return rewrite


def asks(
    esv: Esv, epc: int | None = None, *, instance: int | None = None
) -> Callable[[Frame], bool]:
    """Requests of ``esv`` (for ``epc``, to an object of ``instance``)."""

    def when(request: Frame) -> bool:
        if instance is not None and request.deoj.instance != instance:
            return False
        if request.esv is not esv:
            return False
        return epc is None or any(p.epc == epc for p in request.properties)

    return when


@dataclass
class BrokenMeter:
    """A meter engine whose datagrams pass through one :class:`Break`."""

    meter: MeterEngine
    broken: Break
    _request: Frame | None = None
    _events: list[Any] = field(default_factory=list)

    def announce(self, now: datetime) -> list[Send]:
        return self._out(self.meter.announce(now), now)

    def receive(self, data: bytes, source: Hashable, now: datetime) -> list[Send]:
        if self.broken.incoming is not None:
            changed = self.broken.incoming(data)
            if changed is None:
                return []
            data = changed
        self._request = _decode(data)
        return self._out(self.meter.receive(data, source, now), now)

    def advance(self, now: datetime) -> list[Send]:
        self._request = None
        return self._out(self.meter.advance(now), now)

    def next_wakeup(self) -> datetime:
        return self.meter.next_wakeup()

    def take_events(self) -> Sequence[Any]:
        return self.meter.take_events()

    def _out(self, sends: list[Send], now: datetime) -> list[Send]:
        out: list[Send] = []
        for send in sends:
            frame = _decode(send.data)
            if frame is None:
                out.append(send)
                continue
            if self.broken.rewrite is not None:
                changed = self.broken.rewrite(frame, self._request)
                if changed is None:
                    continue
                frame = changed
            at = send.at
            if self.broken.delay is not None:
                at = max(at or now, now) + self.broken.delay(frame)
            out.append(Send(encode_frame(frame), send.to, at))
        return out


def _decode(data: bytes) -> Frame | None:
    try:
        frame = decode_frame(data)
    except FrameError:
        return None
    return frame if isinstance(frame, Frame) else None
