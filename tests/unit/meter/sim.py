"""Driving a meter engine in virtual time: requests from a controller, time moving on."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hemsnet.devices.registry import decode_property
from hemsnet.echonet.eoj import CONTROLLER, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, decode_frame, encode_frame
from hemsnet.echonet.send import Send
from hemsnet.meter.config import MeterConfig
from hemsnet.meter.engine import MeterEngine
from hemsnet.meter.faults import FaultPlan

METER = Eoj(0x02, 0x8F, 0x01)
CLASS_SEARCH = Eoj(0x02, 0x8F, 0x00)
PEER = "controller"
START = datetime(2026, 11, 16, 9, 7, 30)  # a Monday


def meter(
    *,
    now: datetime = START,
    installed: datetime | None = None,
    seed: int = 7,
    faults: FaultPlan | None = None,
    controllers: tuple[str, ...] = (),
    **config: Any,
) -> MeterEngine:
    return MeterEngine(
        dataclasses.replace(MeterConfig(), **config),
        now=now,
        seed=seed,
        installed=installed,
        faults=faults,
        controllers=controllers,
    )


@dataclass
class Exchange:
    """The answer to one request, decoded, plus anything else sent meanwhile."""

    sends: list[Send]

    @property
    def reply(self) -> Frame:
        replies = [s.frame for s in self.sends if s.to is not None]
        assert len(replies) == 1, f"expected one reply, got {replies}"
        return replies[0]

    @property
    def multicasts(self) -> list[Frame]:
        return [s.frame for s in self.sends if s.to is None]

    def value(self, epc: int, class_id: int = 0x028F) -> Any:
        for prop in self.reply.properties:
            if prop.epc == epc:
                return decode_property(class_id, epc, prop.edt).value
        raise KeyError(f"0x{epc:02X} not in {self.reply}")


_tid = iter(range(1, 1 << 30))


def request(
    engine: MeterEngine,
    esv: Esv,
    props: Iterable[int | tuple[int, bytes]],
    *,
    deoj: Eoj = METER,
    peer: str = PEER,
    at: datetime | None = None,
) -> Exchange:
    properties = tuple(Property(p[0], p[1]) if isinstance(p, tuple) else Property(p) for p in props)
    frame = Frame(next(_tid) & 0xFFFF, CONTROLLER, deoj, esv, properties)
    sends = engine.receive(encode_frame(frame), peer, at or engine.now)
    for send in sends:  # every frame the engine makes must survive the codec
        assert decode_frame(send.data) == send.frame
    return Exchange(sends)


def get(engine: MeterEngine, *epcs: int, **kwargs: Any) -> Exchange:
    return request(engine, Esv.GET, epcs, **kwargs)


def setc(engine: MeterEngine, epc: int, edt: bytes, **kwargs: Any) -> Exchange:
    return request(engine, Esv.SETC, [(epc, edt)], **kwargs)


def run(engine: MeterEngine, until: datetime) -> list[tuple[datetime, Send]]:
    """Advance from wake-up to wake-up until ``until``; every send with its time."""
    sent = []
    while True:
        wake = engine.next_wakeup()
        if wake > until:
            sent += [(until, s) for s in engine.advance(until)]
            return sent
        sent += [(wake, s) for s in engine.advance(wake)]


def later(engine: MeterEngine, **delta: float) -> list[tuple[datetime, Send]]:
    return run(engine, engine.now + timedelta(**delta))


def decoded(frame: Frame, class_id: int = 0x028F) -> dict[int, Any]:
    return {p.epc: decode_property(class_id, p.epc, p.edt).value for p in frame.properties}
