"""Node responder: every service answered as the reference §4 says."""

from __future__ import annotations

from dataclasses import dataclass, field

from hemsnet.echonet.eoj import CONTROLLER, NODE_PROFILE, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, decode_frame, encode_frame
from hemsnet.echonet.responder import (
    FrameIgnored,
    Node,
    PropertiesWritten,
    Reaction,
    Received,
)

METER = Eoj(0x02, 0x8F, 0x01)
METER_2 = Eoj(0x02, 0x8F, 0x02)


@dataclass
class DictObject:
    """A minimal LocalObject: values in a dict, E1 settable 0..99, 0x81 settable and announced."""

    eoj: Eoj
    values: dict[int, bytes] = field(default_factory=dict)
    get_map: frozenset[int] = frozenset({0x80, 0x81, 0x88, 0xE1, 0xE5, 0xE7})
    set_map: frozenset[int] = frozenset({0x81, 0xE1})
    anno_map: frozenset[int] = frozenset({0x80, 0x81, 0x88})
    unreadable: set[int] = field(default_factory=set)

    def read(self, epc: int) -> bytes | None:
        return None if epc in self.unreadable else self.values.get(epc)

    def write(self, epc: int, edt: bytes) -> bool:
        if epc == 0xE1 and (len(edt) != 1 or edt[0] > 99):
            return False
        self.values[epc] = edt
        return True


def _meter(eoj: Eoj = METER) -> DictObject:
    return DictObject(
        eoj, {0x80: b"\x30", 0x81: b"\x00", 0x88: b"\x42", 0xE1: b"\x00", 0xE5: b"\x08"}
    )


def _node(*objects: DictObject) -> Node:
    profile = DictObject(
        NODE_PROFILE,
        {0x80: b"\x30", 0xD6: b"\x01\x02\x8f\x01"},
        get_map=frozenset({0x80, 0xD6}),
        set_map=frozenset(),
        anno_map=frozenset({0x80, 0xD5}),
    )
    return Node(profile, objects or (_meter(),))


def _request(esv: Esv, props: list[Property], deoj: Eoj = METER, tid: int = 7) -> bytes:
    return encode_frame(Frame(tid, CONTROLLER, deoj, esv, tuple(props)))


def _handle(node: Node, data: bytes) -> Reaction:
    frame = decode_frame(data)
    return node.handle(frame)


def _only_reply(node: Node, data: bytes) -> Frame:
    reaction = _handle(node, data)
    assert len(reaction.outgoing) == 1, reaction
    return reaction.outgoing[0].frame


def test_get_answers_in_request_order_with_swapped_eojs() -> None:
    node = _node()
    reply = _only_reply(node, _request(Esv.GET, [Property(0xE5), Property(0x80)], tid=0))
    assert reply == Frame(
        0, METER, CONTROLLER, Esv.GET_RES, (Property(0xE5, b"\x08"), Property(0x80, b"\x30"))
    )


def test_get_of_an_unmapped_epc_is_a_get_sna_with_pdc_zero_for_it_only() -> None:
    reply = _only_reply(_node(), _request(Esv.GET, [Property(0xC2), Property(0xE5)]))
    assert reply.esv is Esv.GET_SNA
    assert reply.properties == (Property(0xC2), Property(0xE5, b"\x08"))


def test_unreadable_value_is_refused() -> None:
    meter = _meter()
    meter.unreadable.add(0xE5)
    reply = _only_reply(_node(meter), _request(Esv.GET, [Property(0xE5)]))
    assert reply.esv is Esv.GET_SNA


def test_twelve_properties_in_one_get() -> None:
    props = [Property(epc) for epc in [0x80, 0x81, 0x88, 0xE1, 0xE5] * 2 + [0x80, 0x81]]
    reply = _only_reply(_node(), _request(Esv.GET, props))
    assert reply.esv is Esv.GET_RES
    assert [p.epc for p in reply.properties] == [p.epc for p in props]


def test_setc_stores_then_answers_set_res_and_reports_the_write() -> None:
    meter = _meter()
    node = _node(meter)
    reaction = _handle(node, _request(Esv.SETC, [Property(0xE1, b"\x01")]))
    assert [o.frame for o in reaction.outgoing] == [
        Frame(7, METER, CONTROLLER, Esv.SET_RES, (Property(0xE1),))
    ]
    assert meter.values[0xE1] == b"\x01"
    assert reaction.events == [PropertiesWritten(METER, (Property(0xE1, b"\x01"),))]


def test_setc_out_of_range_is_setc_sna_echoing_the_request_edt() -> None:
    meter = _meter()
    reply = _only_reply(_node(meter), _request(Esv.SETC, [Property(0xE1, b"\x64")]))
    assert reply == Frame(7, METER, CONTROLLER, Esv.SETC_SNA, (Property(0xE1, b"\x64"),))
    assert meter.values[0xE1] == b"\x00"


def test_setc_of_a_get_only_property_is_refused() -> None:
    reply = _only_reply(_node(), _request(Esv.SETC, [Property(0x80, b"\x31")]))
    assert reply.esv is Esv.SETC_SNA


def test_seti_success_is_silent_and_failure_is_seti_sna() -> None:
    node = _node()
    assert _handle(node, _request(Esv.SETI, [Property(0xE1, b"\x02")])).outgoing == []
    reply = _only_reply(node, _request(Esv.SETI, [Property(0xE1, b"\xff")]))
    assert reply.esv is Esv.SETI_SNA
    assert reply.properties == (Property(0xE1, b"\xff"),)


def test_set_of_an_announced_property_emits_a_multicast_inf() -> None:
    node = _node()
    reaction = _handle(node, _request(Esv.SETC, [Property(0x81, b"\x08")]))
    assert [o.frame.esv for o in reaction.outgoing] == [Esv.SET_RES, Esv.INF]
    notice = reaction.outgoing[1]
    assert notice.multicast
    assert notice.frame.seoj == METER
    assert notice.frame.properties == (Property(0x81, b"\x08"),)


def test_set_to_the_same_value_announces_nothing() -> None:
    reaction = _handle(_node(), _request(Esv.SETC, [Property(0x81, b"\x00")]))
    assert [o.frame.esv for o in reaction.outgoing] == [Esv.SET_RES]


def test_inf_req_is_answered_by_multicast_inf() -> None:
    reaction = _handle(_node(), _request(Esv.INF_REQ, [Property(0x80)]))
    (out,) = reaction.outgoing
    assert out.multicast
    assert out.frame.esv is Esv.INF
    assert out.frame.deoj == NODE_PROFILE
    assert out.frame.properties == (Property(0x80, b"\x30"),)


def test_inf_req_failure_is_unicast_inf_sna() -> None:
    (out,) = _handle(_node(), _request(Esv.INF_REQ, [Property(0xC2)])).outgoing
    assert not out.multicast
    assert out.frame.esv is Esv.INF_SNA


def test_setget_applies_set_then_get() -> None:
    data = encode_frame(
        Frame(9, CONTROLLER, METER, Esv.SETGET, (Property(0xE1, b"\x02"),), (Property(0xE1),))
    )
    reply = _only_reply(_node(), data)
    assert reply.esv is Esv.SETGET_RES
    assert reply.properties == (Property(0xE1),)
    assert reply.get_properties == (Property(0xE1, b"\x02"),)


def test_setget_sna_marks_each_failing_part() -> None:
    data = encode_frame(
        Frame(9, CONTROLLER, METER, Esv.SETGET, (Property(0xE1, b"\x65"),), (Property(0xC2),))
    )
    reply = _only_reply(_node(), data)
    assert reply.esv is Esv.SETGET_SNA
    assert reply.properties == (Property(0xE1, b"\x65"),)
    assert reply.get_properties == (Property(0xC2),)


def test_infc_is_acknowledged_and_passed_on() -> None:
    data = encode_frame(Frame(3, CONTROLLER, METER, Esv.INFC, (Property(0x80, b"\x30"),)))
    reaction = _handle(_node(), data)
    assert [o.frame for o in reaction.outgoing] == [
        Frame(3, METER, CONTROLLER, Esv.INFC_RES, (Property(0x80),))
    ]
    assert isinstance(reaction.events[0], Received)


def test_instance_zero_fans_out_to_every_instance() -> None:
    node = _node(_meter(METER), _meter(METER_2))
    reaction = _handle(node, _request(Esv.GET, [Property(0x80)], deoj=Eoj(0x02, 0x8F, 0x00)))
    assert [o.frame.seoj for o in reaction.outgoing] == [METER, METER_2]
    assert all(not o.multicast for o in reaction.outgoing)


def test_node_profile_matches_any_instance_code() -> None:
    for instance in (0x00, 0x01, 0x02):
        deoj = Eoj(0x0E, 0xF0, instance)
        reply = _only_reply(_node(), _request(Esv.GET, [Property(0xD6)], deoj=deoj))
        assert reply.seoj == NODE_PROFILE
        assert reply.esv is Esv.GET_RES


def test_request_for_an_absent_object_is_discarded_silently() -> None:
    node = _node()
    reaction = _handle(node, _request(Esv.GET, [Property(0x80)], deoj=Eoj(0x02, 0x88, 0x01)))
    assert reaction.outgoing == []
    assert isinstance(reaction.events[0], FrameIgnored)
    assert node.stats.ignored == 1


def test_responses_and_notifications_go_to_the_application() -> None:
    node = _node()
    for esv in (Esv.GET_RES, Esv.GET_SNA, Esv.INF, Esv.SET_RES):
        frame = Frame(5, METER, Eoj(0x05, 0xFF, 0x07), esv, (Property(0x80, b"\x30"),))
        reaction = _handle(node, encode_frame(frame))
        assert reaction.outgoing == []
        assert reaction.events == [Received(frame)]


def test_notification_builds_a_multicast_inf_with_fresh_tids() -> None:
    node = _node()
    first = node.notification(METER, [0x88])
    second = node.notification(METER, [0x88], deoj=CONTROLLER)
    assert first is not None and second is not None
    assert first.multicast
    assert first.frame.deoj == NODE_PROFILE and second.frame.deoj == CONTROLLER
    assert second.frame.tid == first.frame.tid + 1
    assert decode_frame(first.encode()) == first.frame


def test_notification_of_nothing_readable_is_none() -> None:
    assert _node().notification(METER, [0xC2]) is None
