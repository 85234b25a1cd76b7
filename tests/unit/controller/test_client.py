"""The client engine (hemsnet.controller.client): the request discipline for any node, sans I/O."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hemsnet.controller.client import Answered, ClientEngine, Collected, Notified
from hemsnet.controller.requests import Request
from hemsnet.echonet.engine import Discard, FrameDiscarded
from hemsnet.echonet.eoj import CONTROLLER, NODE_PROFILE, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, decode_frame, encode_frame
from hemsnet.errors import RequestNotAllowed
from tests.conftest import counting

NOW = datetime(2026, 11, 21, 10, 0)
METER = Eoj(0x02, 0x8F, 0x01)
PEER = ("fe80::1", 3610)
SAME_HOST_OTHER_PORT = ("fe80::1", 50000)
OTHER = ("fe80::9", 3610)


def by_host(source: object) -> object:
    return source[0] if isinstance(source, tuple) else source


def sent_frame(data: bytes) -> Frame:
    frame = decode_frame(data)
    assert isinstance(frame, Frame)
    return frame


def reply(to: Frame, esv: Esv = Esv.GET_RES, edt: bytes = b"\x30") -> bytes:
    props = tuple(Property(p.epc, edt) for p in to.properties)
    return encode_frame(Frame(to.tid, to.deoj, to.seoj, esv, props))


def test_an_answer_from_any_port_of_the_peer_settles_its_request() -> None:
    engine = ClientEngine(draw=counting(), identify=by_host)
    pending, (send,) = engine.request(PEER, Request.get(METER, 0x80), NOW)
    assert send.to == PEER and pending.deadline == NOW + timedelta(seconds=40)  # timer 1
    frame = sent_frame(send.data)
    assert engine.receive(reply(frame), OTHER, NOW) == []  # another node: not the answer
    engine.receive(reply(frame), SAME_HOST_OTHER_PORT, NOW)
    events = engine.take_events()
    assert isinstance(events[0], FrameDiscarded) and events[0].kind is Discard.UNSOLICITED
    (answered,) = events[1:]
    assert isinstance(answered, Answered) and answered.tid == frame.tid
    assert answered.answer.values() == {0x80: b"\x30"}
    assert (engine.stats.sent, engine.stats.answered, engine.stats.unmatched) == (1, 1, 1)


def test_one_request_per_peer_and_a_timeout_then_a_late_answer() -> None:
    engine = ClientEngine(draw=counting())
    pending, (send,) = engine.request(PEER, Request.get(METER, 0xE7), NOW, wait=2.0)
    assert pending.deadline == NOW + timedelta(seconds=2)
    with pytest.raises(RequestNotAllowed, match="already outstanding"):
        engine.request(PEER, Request.get(METER, 0x80), NOW)
    engine.request(OTHER, Request.get(METER, 0x80), NOW)  # another peer: its own lane
    assert engine.next_wakeup() == pending.deadline
    engine.advance(pending.deadline)
    (timed_out,) = engine.take_events()
    assert isinstance(timed_out, Answered) and timed_out.answer.timed_out
    assert not engine.busy(PEER)
    engine.receive(reply(sent_frame(send.data)), PEER, pending.deadline)
    (late,) = engine.take_events()
    assert isinstance(late, FrameDiscarded) and late.kind is Discard.LATE
    next_pending, _ = engine.request(PEER, Request.get(METER, 0x80), NOW)
    assert next_pending.tid != pending.tid  # a fresh TID [AIF 2.4.3]


def test_the_client_may_send_what_a_node_must_refuse() -> None:
    engine = ClientEngine(draw=counting())
    mixed = Request.get(METER, 0xE7, 0x80)  # a history EPC among others [AIF 2.4.4]
    engine.request(PEER, mixed, NOW)
    out_of_range = Request.setc(METER, 0xE1, b"\x64")  # day 100 [AIF 2.4.5]
    engine.request(OTHER, out_of_range, NOW)
    with pytest.raises(RequestNotAllowed, match="not a request that is answered"):
        engine.request(("fe80::3", 3610), Request(Esv.INF, (Property(0x80),), METER), NOW)


def test_a_collection_takes_every_answer_until_it_ends() -> None:
    engine = ClientEngine(draw=counting())
    tid, (send,) = engine.collect(Request.get(NODE_PROFILE, 0xD6, multicast=True), NOW)
    assert send.to is None
    frame = sent_frame(send.data)
    engine.receive(reply(frame, edt=b"\x01\x02\x8f\x01"), PEER, NOW)
    engine.receive(reply(frame, edt=b"\x01\x02\x7d\x01"), OTHER, NOW)
    assert [type(e) for e in engine.take_events()] == [Collected, Collected]
    engine.end_collection(tid)
    engine.receive(reply(frame), PEER, NOW)
    (after,) = engine.take_events()
    assert isinstance(after, FrameDiscarded) and after.kind is Discard.UNSOLICITED


def test_notifications_are_handed_on_and_requests_to_its_objects_answered() -> None:
    engine = ClientEngine(draw=counting())
    inf = Frame(1, METER, NODE_PROFILE, Esv.INF, (Property(0x80, b"\x30"),))
    assert engine.receive(encode_frame(inf), PEER, NOW) == []
    infc = inf._replace(esv=Esv.INFC, deoj=CONTROLLER)
    (ack,) = engine.receive(encode_frame(infc), PEER, NOW)
    assert ack.frame.esv is Esv.INFC_RES
    get = Frame(2, METER, NODE_PROFILE, Esv.GET, (Property(0xD6),))
    (answer,) = engine.receive(encode_frame(get), PEER, NOW)
    assert answer.to == PEER and answer.frame.edt_of(0xD6) == b"\x01\x05\xff\x01"
    assert [type(e) for e in engine.take_events()] == [Notified, Notified]
    engine.receive(b"\x10\x81\x00", PEER, NOW)
    (malformed,) = engine.take_events()
    assert isinstance(malformed, FrameDiscarded) and malformed.kind is Discard.MALFORMED
    assert engine.stats.unmatched == 0  # malformed is not an unmatched answer
