"""Appliance nodes at engine level: Gets of the mandatory properties, Sets, announcements."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hemsnet.appliances.catalogue import KINDS, Kind, parse_kind
from hemsnet.appliances.engine import ApplianceEngine
from hemsnet.devices.registry import class_def
from hemsnet.echonet.engine import Discard, FrameDiscarded
from hemsnet.echonet.eoj import CONTROLLER, NODE_PROFILE, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, encode_frame
from hemsnet.echonet.instance_list import decode_instance_list
from hemsnet.echonet.propmap import decode_property_map
from hemsnet.echonet.send import Send
from hemsnet.errors import ConfigError

NOON = datetime(2026, 7, 15, 12, 0)
PEER = ("fe80::1", 3610)
POWER_EPC = {0x0130: 0x84, 0x0290: 0x84, 0x026B: 0x84, 0x0279: 0xE0, 0x027D: 0xD3, 0x027E: 0xD3}
BELIEVABLE_W = {
    0x027D: range(-3000, 3001),
    0x0279: range(1, 4501),  # noon in July
    0x027E: range(-6000, 6001),
    0x0130: range(0, 2201),
    0x0290: range(1, 41),
    0x026B: range(0, 1201),
}


def _engine(kind: Kind, now: datetime = NOON, seed: int = 0) -> ApplianceEngine:
    return ApplianceEngine([kind.build(now, seed)], now=now)


def _request(eoj: Eoj, esv: Esv, *props: Property, tid: int = 7) -> bytes:
    return encode_frame(Frame(tid, CONTROLLER, eoj, esv, props))


def _get(engine: ApplianceEngine, eoj: Eoj, *epcs: int) -> Frame:
    sends = engine.receive(_request(eoj, Esv.GET, *map(Property, epcs)), PEER, engine.now)
    (reply,) = [s.frame for s in sends if s.to == PEER]
    return reply


def _value(engine: ApplianceEngine, eoj: Eoj, epc: int) -> object:
    reply = _get(engine, eoj, epc)
    assert reply.esv is Esv.GET_RES, reply
    table = class_def(eoj.class_id)
    assert table is not None
    return table[epc].decode(reply.properties[0].edt)


def _infs(sends: list[Send]) -> list[Frame]:
    return [s.frame for s in sends if s.to is None and s.frame.esv is Esv.INF]


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_every_mandatory_get_is_answered(kind: Kind) -> None:
    engine = _engine(kind)
    eoj = engine.objects[0].eoj
    table = class_def(kind.class_id)
    assert table is not None
    get_map = decode_property_map(_get(engine, eoj, 0x9F).properties[0].edt)
    served = set(get_map)
    mandatory = table.epcs("get", optional=False)
    assert mandatory <= served
    reply = _get(engine, eoj, *sorted(served))
    assert reply.esv is Esv.GET_RES
    for prop in reply.properties:
        table[prop.epc].decode(prop.edt)  # every answer decodes by its row


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_the_power_reading_is_believable_and_in_the_get_map(kind: Kind) -> None:
    engine = _engine(kind)
    eoj = engine.objects[0].eoj
    epc = POWER_EPC[kind.class_id]
    assert epc in engine.objects[0].get_map
    assert _value(engine, eoj, epc) in BELIEVABLE_W[kind.class_id]


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_off_draws_nothing_and_is_announced(kind: Kind) -> None:
    engine = _engine(kind)
    eoj = engine.objects[0].eoj
    sends = engine.receive(_request(eoj, Esv.SETC, Property(0x80, b"\x31")), PEER, NOON)
    assert [s.frame.esv for s in sends if s.to == PEER] == [Esv.SET_RES]
    assert any(p.epc == 0x80 and p.edt == b"\x31" for f in _infs(sends) for p in f.properties)
    assert _value(engine, eoj, POWER_EPC[kind.class_id]) == 0
    engine.advance(NOON + timedelta(hours=2))
    assert _value(engine, eoj, POWER_EPC[kind.class_id]) == 0


def test_start_announces_the_instance_list() -> None:
    engine = ApplianceEngine(
        [KINDS["battery"].build(NOON, 0), KINDS["pv"].build(NOON, 1)], now=NOON
    )
    (inf,) = _infs(engine.announce(NOON))
    assert (inf.seoj, inf.properties[0].epc) == (NODE_PROFILE, 0xD5)
    listed = decode_instance_list(inf.properties[0].edt)
    assert [str(e) for e in listed.instances] == ["027D01", "027901"]


def test_battery_mode_set_flips_the_power_sign_and_announces_the_mode() -> None:
    engine = _engine(KINDS["battery"])
    eoj = engine.objects[0].eoj
    sends = engine.receive(_request(eoj, Esv.SETC, Property(0xDA, b"\x42")), PEER, NOON)
    announced = {p.epc: p.edt for f in _infs(sends) for p in f.properties}
    assert announced[0xDA] == b"\x42"
    assert announced[0xCF] == b"\x42"  # the working status follows, announced by the engine
    assert _value(engine, eoj, 0xD3) > 0
    engine.receive(_request(eoj, Esv.SETC, Property(0xDA, b"\x43")), PEER, NOON)
    assert _value(engine, eoj, 0xD3) < 0


def test_a_mode_the_emulator_does_not_run_is_refused() -> None:
    engine = _engine(KINDS["battery"])
    eoj = engine.objects[0].eoj
    sends = engine.receive(_request(eoj, Esv.SETC, Property(0xDA, b"\x45")), PEER, NOON)
    assert [s.frame.esv for s in sends] == [Esv.SETC_SNA]
    assert _value(engine, eoj, 0xDA) == 0x46  # still auto


def test_a_read_only_property_cannot_be_set() -> None:
    engine = _engine(KINDS["pv"])
    eoj = engine.objects[0].eoj
    sends = engine.receive(_request(eoj, Esv.SETC, Property(0xE0, b"\x00\x10")), PEER, NOON)
    assert [s.frame.esv for s in sends] == [Esv.SETC_SNA]


def test_aircon_set_temperature_range() -> None:
    engine = _engine(KINDS["aircon"])
    eoj = engine.objects[0].eoj
    ok = engine.receive(_request(eoj, Esv.SETC, Property(0xB3, b"\x1a")), PEER, NOON)
    assert [s.frame.esv for s in ok if s.to == PEER] == [Esv.SET_RES]
    refused = engine.receive(_request(eoj, Esv.SETC, Property(0xB3, b"\x05")), PEER, NOON)
    assert [s.frame.esv for s in refused] == [Esv.SETC_SNA]
    assert _value(engine, eoj, 0xB3) == 26


def test_lighting_power_follows_the_light_level() -> None:
    engine = _engine(KINDS["lighting"])
    eoj = engine.objects[0].eoj
    powers = []
    for level in (100, 50, 0):
        engine.receive(_request(eoj, Esv.SETC, Property(0xB0, bytes([level]))), PEER, NOON)
        powers.append(_value(engine, eoj, 0x84))
    assert powers == [40, 20, 0]
    engine.receive(_request(eoj, Esv.SETC, Property(0xB6, b"\x43")), PEER, NOON)  # night
    assert _value(engine, eoj, 0x84) == 2


def test_inf_req_is_answered_by_a_multicast_inf() -> None:
    engine = _engine(KINDS["ev"])
    eoj = engine.objects[0].eoj
    sends = engine.receive(_request(eoj, Esv.INF_REQ, Property(0xC7), tid=9), PEER, NOON)
    (inf,) = _infs(sends)
    assert inf.tid == 9 and inf.properties[0].epc == 0xC7


def test_instances_count_per_class_from_the_first() -> None:
    engine = ApplianceEngine(
        [KINDS["lighting"].build(NOON, n) for n in range(3)], now=NOON, instance=4
    )
    assert [str(obj.eoj) for obj in engine.objects] == ["029004", "029005", "029006"]


@pytest.mark.parametrize("text", ["0x027D", "027d", "battery", " Battery "])
def test_class_names(text: str) -> None:
    assert parse_kind(text).class_id == 0x027D


def test_an_unknown_class_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown appliance class 'fridge'; known: battery"):
        parse_kind("fridge")


def test_a_change_by_the_behaviour_is_announced_when_time_moves_on() -> None:
    engine = _engine(KINDS["battery"])
    battery = engine.appliances[0]
    eoj = engine.objects[0].eoj
    engine.receive(_request(eoj, Esv.SETC, Property(0xDA, b"\x42")), PEER, NOON)
    sends: list[Send] = []
    at = NOON
    while not _infs(sends):
        at += timedelta(minutes=1)
        assert at < NOON + timedelta(hours=6), "the battery never filled up"
        sends = engine.advance(at)
    (inf,) = _infs(sends)
    assert [(p.epc, p.edt) for p in inf.properties] == [(0xCF, b"\x44")]  # full: standby
    assert battery.power() == 0


def test_a_malformed_datagram_is_an_event_with_its_reason() -> None:
    engine = _engine(parse_kind("battery"))
    assert engine.receive(b"\x10\x81\x00", PEER, NOON) == []
    (discarded,) = engine.take_events()
    assert isinstance(discarded, FrameDiscarded)
    assert (discarded.kind, discarded.source) == (Discard.MALFORMED, PEER)
    assert engine.stats.malformed == 1
