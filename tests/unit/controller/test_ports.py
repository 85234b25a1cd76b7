"""Ports: the controller asks the meter on UDP 3610 whatever port its frames came from, and
takes the paired meter's answers from any port of its address (decision C31); the meter
emulator answers to 3610 unless told to answer to the source port (M20)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hemsnet.aio.udp import ECHONET_PORT, Address, echonet_endpoint, peer_identity
from hemsnet.controller import ControllerConfig, ControllerEngine
from hemsnet.echonet.eoj import CONTROLLER, NODE_PROFILE, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, decode_frame, encode_frame
from hemsnet.echonet.instance_list import encode_instance_list
from hemsnet.echonet.send import Send
from hemsnet.meter.config import MeterConfig
from hemsnet.meter.engine import MeterEngine

NOW = datetime(2026, 11, 21, 10, 0)
METER = Eoj(0x02, 0x8F, 0x01)
THROWAWAY = Address("fe80::1", 50000, 2)


def _announcement() -> bytes:
    edt = encode_instance_list((METER,))
    return encode_frame(Frame(1, NODE_PROFILE, NODE_PROFILE, Esv.INF, (Property(0xD5, edt),)))


def _controller(**options: object) -> ControllerEngine:
    return ControllerEngine(
        ControllerConfig(),
        now=NOW,
        identify=peer_identity,
        endpoint=echonet_endpoint,
        **options,  # type: ignore[arg-type]
    )


def _requests(sends: list[Send]) -> list[Send]:
    return [send for send in sends if send.frame.esv is Esv.GET]


def test_requests_go_to_3610_whatever_port_the_meter_sent_from() -> None:
    engine = _controller()
    engine.announce(NOW)
    sends = engine.receive(_announcement(), THROWAWAY, NOW)
    (request,) = _requests(sends)
    assert request.to == Address("fe80::1", ECHONET_PORT, 2)
    assert engine.meter.address == Address("fe80::1", ECHONET_PORT, 2)


def test_an_answer_from_another_port_of_the_meter_is_taken() -> None:
    engine = _controller()
    engine.announce(NOW)
    (request,) = _requests(engine.receive(_announcement(), THROWAWAY, NOW))
    asked = request.frame
    props = tuple(Property(p.epc, b"\x30") for p in asked.properties)
    answer = Frame(asked.tid, METER, CONTROLLER, Esv.GET_RES, props)
    engine.receive(encode_frame(answer), Address("fe80::1", 40001, 2), NOW)
    assert engine.status.counters.get("answered") == 1
    assert "foreign_dropped" not in engine.status.counters


def test_the_controllers_own_node_answers_to_3610() -> None:
    engine = _controller()
    engine.announce(NOW)
    engine.advance(NOW)
    engine.receive(_announcement(), THROWAWAY, NOW)
    get = Frame(9, METER, NODE_PROFILE, Esv.GET, (Property(0xD6),))
    (answer,) = engine.receive(encode_frame(get), THROWAWAY, NOW)
    assert answer.to == Address("fe80::1", ECHONET_PORT, 2)


def test_a_configured_meter_address_is_kept_with_its_port() -> None:
    configured = Address("::1", 40123)
    engine = _controller(meter=configured)
    engine.announce(NOW)
    sends = engine.advance(NOW)
    assert [send.to for send in _requests(sends)] == [configured]
    engine.receive(_announcement(), configured, NOW)
    assert engine.meter.address == configured


def _meter(**options: object) -> MeterEngine:
    return MeterEngine(
        MeterConfig(),
        now=NOW,
        installed=NOW - timedelta(hours=1),
        identify=peer_identity,
        **options,  # type: ignore[arg-type]
    )


def _get(tid: int) -> bytes:
    return encode_frame(Frame(tid, CONTROLLER, METER, Esv.GET, (Property(0x80),)))


def test_the_meter_answers_a_throwaway_port_on_3610() -> None:
    meter = _meter(answer_to=echonet_endpoint)
    (answer,) = meter.receive(_get(1), THROWAWAY, NOW)
    assert answer.to == Address("fe80::1", ECHONET_PORT, 2)
    (again,) = meter.receive(_get(2), THROWAWAY, NOW)  # the cached answer goes there too
    assert again.to == Address("fe80::1", ECHONET_PORT, 2)
    assert decode_frame(again.data).tid == 2  # type: ignore[union-attr]


def test_the_meter_answers_the_source_port_when_told_to() -> None:
    meter = _meter()
    (answer,) = meter.receive(_get(1), THROWAWAY, NOW)
    assert answer.to == THROWAWAY
