"""hemsnet's controller broken on purpose, one rule at a time: a test-only fault plan.

:class:`BrokenController` wraps a controller engine and rewrites what it sends or receives, so
that each clause of the controller watch is shown to fail on a controller that breaks it alone.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hemsnet.echonet.eoj import CONTROLLER, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, decode_frame, encode_frame
from hemsnet.echonet.send import Send
from hemsnet.errors import FrameError
from tests.unit.conformance.pair import AnyEngine

HISTORY = frozenset({0xE7, 0xE8, 0xC6, 0xC8, 0xCE, 0xCF, 0xED, 0xEE, 0xE2, 0xE4, 0xEC})


@dataclass
class BrokenController:
    """A controller engine whose frames pass through ``out`` and ``into``.

    ``out(frame)`` gives the frames to send instead of one the controller sends; ``into(frame)``
    the frame the controller receives instead (``None``: dropped). ``retry_after`` re-sends a
    request (under a new TID) that has had no answer for that long, before the timer.
    """

    engine: AnyEngine
    out: Callable[[Frame], list[Frame]] = lambda f: [f]
    into: Callable[[Frame], Frame | None] = lambda f: f
    retry_after: Callable[[Frame], timedelta | None] = lambda f: None
    _waiting: dict[int, tuple[Frame, Hashable, datetime]] = field(default_factory=dict)
    _now: datetime = datetime.min

    def announce(self, now: datetime) -> list[Send]:
        self._now = now
        return self._send(self.engine.announce(now))

    def receive(self, data: bytes, source: Hashable, now: datetime) -> list[Send]:
        self._now = now
        frame = _decode(data)
        if frame is not None:
            self._waiting.pop(frame.tid, None)
            changed = self.into(frame)
            if changed is None:
                return []
            data = encode_frame(changed)
        return self._send(self.engine.receive(data, source, now))

    def advance(self, now: datetime) -> list[Send]:
        self._now = now
        sends = self._send(self.engine.advance(now))
        for tid, (frame, to, due) in list(self._waiting.items()):
            if due <= now:
                del self._waiting[tid]
                again = frame._replace(tid=(frame.tid + 0x4000) & 0xFFFF)
                sends.append(Send(encode_frame(again), to))
        return sends

    def next_wakeup(self) -> datetime:
        dues = [due for _, _, due in self._waiting.values()]
        return min([self.engine.next_wakeup(), *dues])

    def take_events(self) -> Sequence[Any]:
        return self.engine.take_events()

    def _send(self, sends: list[Send]) -> list[Send]:
        out: list[Send] = []
        for send in sends:
            frame = _decode(send.data)
            if frame is None or not frame.esv.is_request:
                out.append(send)
                continue
            for changed in self.out(frame):
                out.append(Send(encode_frame(changed), send.to, send.at))
                wait = self.retry_after(changed)
                if wait is not None and send.to is not None:
                    self._waiting[changed.tid] = (changed, send.to, self._now + wait)
        return out


def _decode(data: bytes) -> Frame | None:
    try:
        frame = decode_frame(data)
    except FrameError:
        return None
    return frame if isinstance(frame, Frame) else None


def is_history(frame: Frame) -> bool:
    return any(p.epc in HISTORY for p in frame.properties)


def to_meter(frame: Frame) -> bool:
    return frame.deoj.class_id in (0x028F, 0x0288) and frame.deoj.instance == 1


def also_a_second(frame: Frame) -> list[Frame]:
    """Every Get to the meter followed at once by another: two outstanding."""
    if frame.esv is Esv.GET and to_meter(frame) and not is_history(frame):
        return [frame, frame._replace(tid=(frame.tid + 0x2000) & 0xFFFF)]
    return [frame]


def early(seconds: float, *, history: bool) -> Callable[[Frame], timedelta | None]:
    def retry_after(frame: Frame) -> timedelta | None:
        if frame.esv is not Esv.GET or not to_meter(frame) or is_history(frame) != history:
            return None
        if not history and len(frame.properties) != 1:
            return None
        return timedelta(seconds=seconds)

    return retry_after


class TidMod16:
    """TIDs reused within 16 requests; answers mapped back to the controller's own."""

    def __init__(self) -> None:
        self.original: dict[int, int] = {}

    def out(self, frame: Frame) -> list[Frame]:
        self.original[frame.tid & 0x0F] = frame.tid
        return [frame._replace(tid=frame.tid & 0x0F)]

    def into(self, frame: Frame) -> Frame:
        return frame._replace(tid=self.original.get(frame.tid, frame.tid))


def padded_to_13(frame: Frame) -> list[Frame]:
    if frame.esv is Esv.GET and to_meter(frame) and len(frame.properties) >= 2:
        extra = tuple(Property(0x80) for _ in range(13 - len(frame.properties)))
        return [frame._replace(properties=frame.properties + extra)]
    return [frame]


def with_operation_status(frame: Frame) -> list[Frame]:
    if frame.esv is Esv.GET and to_meter(frame) and is_history(frame):
        return [frame._replace(properties=(*frame.properties, Property(0x80)))]
    return [frame]


class DayOutOfRangeOnce:
    def __init__(self) -> None:
        self.done = False

    def out(self, frame: Frame) -> list[Frame]:
        if not self.done and frame.esv is Esv.SETC and frame.edt_of(0xE1) is not None:
            self.done = True
            return [frame._replace(properties=(Property(0xE1, b"\x64"),))]
        return [frame]


class TrustsAnyDay:
    """The day field of every history made the one set: the watch's wrong day goes unseen by
    the controller, which trusts it, as a controller without the day check does."""

    def __init__(self) -> None:
        self.day: bytes | None = None

    def out(self, frame: Frame) -> list[Frame]:
        edt = frame.edt_of(0xE1) if frame.esv is Esv.SETC else None
        if edt is not None:
            self.day = edt
        return [frame]

    def into(self, frame: Frame) -> Frame:
        if self.day is None or frame.esv is not Esv.GET_RES or len(frame.properties) != 1:
            return frame
        prop = frame.properties[0]
        if prop.epc not in (0xE7, 0xE8, 0xC6, 0xC8) or len(prop.edt) != 194:
            return frame
        fixed = prop._replace(edt=b"\x00" + self.day + prop.edt[2:])
        return frame._replace(properties=(fixed,))


def fault_status_as(code: bytes, *, only: bytes | None = None) -> Callable[[Frame], Frame | None]:
    """0x88 as the controller sees it: ``only`` that value rewritten, or every one."""

    def into(frame: Frame) -> Frame | None:
        edt = frame.edt_of(0x88)
        if edt is None or (only is not None and edt != only):
            return frame
        return frame._replace(
            properties=tuple(p._replace(edt=code) if p.epc == 0x88 else p for p in frame.properties)
        )

    return into


def drop_fault_notice(frame: Frame) -> Frame | None:
    return None if frame.esv is Esv.INF and frame.edt_of(0x88) == b"\x41" else frame


def and_a_battery(frame: Frame) -> list[Frame]:
    """A Get of a battery's power too, on Route B, where there is none."""
    if frame.esv is Esv.GET and to_meter(frame) and 0x82 in {p.epc for p in frame.properties}:
        battery = Frame(frame.tid ^ 0x1000, CONTROLLER, Eoj(0x02, 0x7D, 0x01), Esv.GET,
                        (Property(0xD3),))  # fmt: skip
        return [frame, battery]
    return [frame]


class MeasuresFirst:
    """Asks the present energy before anything else."""

    def __init__(self) -> None:
        self.done = False

    def out(self, frame: Frame) -> list[Frame]:
        if self.done or not to_meter(frame):
            return [frame]
        self.done = True
        return [frame._replace(properties=(Property(0xE2),))]
