"""One socket for the Route B engine and an appliance monitor [G.9958 6.3.2, 6.4.1]: which
share each datagram goes to, and the socket's start, close and multicast."""

from __future__ import annotations

import asyncio
from datetime import datetime

from hemsnet.aio.shared_link import SharedLink
from hemsnet.aio.udp import Address, peer_identity
from hemsnet.controller import ControllerConfig, ControllerEngine
from hemsnet.echonet.eoj import CONTROLLER, NODE_PROFILE, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, encode_frame
from hemsnet.echonet.instance_list import encode_instance_list
from tests.unit.aio.memory_link import IFACE, Endpoint, Segment

NOW = datetime(2026, 11, 21, 10, 0)
METER_EOJ = Eoj(0x02, 0x8F, 0x01)
BATTERY_EOJ = Eoj(0x02, 0x7D, 0x01)
METER = Address("fe80::1", 3610, IFACE.index)
BATTERY = Address("fe80::5", 3610, IFACE.index)


def node_list(esv: Esv, epc: int, *eojs: Eoj, tid: int = 7) -> bytes:
    edt = encode_instance_list(eojs)
    return encode_frame(Frame(tid, NODE_PROFILE, CONTROLLER, esv, (Property(epc, edt),)))


def from_object(eoj: Eoj, esv: Esv, epc: int = 0x80, edt: bytes = b"\x30") -> bytes:
    return encode_frame(Frame(3, eoj, CONTROLLER, esv, (Property(epc, edt),)))


GET_OUR_NODE = encode_frame(Frame(9, NODE_PROFILE, NODE_PROFILE, Esv.GET, (Property(0xD6),)))


def link_with(meter: Address | None = None) -> tuple[SharedLink, Endpoint, list[str]]:
    """A shared link over an endpoint, whose shares log ``route_b`` or ``appliances``."""
    endpoint = Segment().endpoint("fe80::2")
    engine = ControllerEngine(ControllerConfig(), now=NOW, meter=meter, identify=peer_identity)
    link = SharedLink(endpoint, engine)
    got: list[str] = []
    link.route_b.set_handler(lambda data, source: got.append("route_b"))
    link.appliances.set_handler(lambda data, source: got.append("appliances"))
    return link, endpoint, got


def deliver(endpoint: Endpoint, data: bytes, source: Address) -> None:
    assert endpoint.handler is not None
    endpoint.handler(data, source)


def test_before_the_meter_is_known_only_a_meters_frames_go_to_route_b() -> None:
    _, endpoint, got = link_with()
    deliver(endpoint, node_list(Esv.INF, 0xD5, METER_EOJ), METER)  # its announcement
    deliver(endpoint, node_list(Esv.GET_RES, 0xD6, METER_EOJ), METER)  # answers the discovery
    deliver(endpoint, from_object(METER_EOJ, Esv.GET_RES), METER)  # answers the search
    assert got == ["route_b"] * 3
    got.clear()
    deliver(endpoint, node_list(Esv.GET_RES, 0xD6, BATTERY_EOJ), BATTERY)
    deliver(endpoint, node_list(Esv.INF, 0xD5, BATTERY_EOJ), BATTERY)
    deliver(endpoint, from_object(BATTERY_EOJ, Esv.GET_RES), BATTERY)
    deliver(endpoint, GET_OUR_NODE, BATTERY)  # answered once, by the monitor's own node
    deliver(endpoint, b"\x10\x81", BATTERY)  # malformed
    assert got == ["appliances"] * 5


def test_once_paired_the_meters_address_decides() -> None:
    link, endpoint, got = link_with()
    link.engine.pair(METER, METER_EOJ)
    deliver(endpoint, node_list(Esv.GET_RES, 0xD6, METER_EOJ), METER)
    deliver(endpoint, GET_OUR_NODE, Address(METER.host, 49152, METER.scope_id))  # any port
    assert got == ["route_b", "route_b"]
    got.clear()
    other_meter = Address("fe80::9", 3610, IFACE.index)
    deliver(endpoint, node_list(Esv.GET_RES, 0xD6, METER_EOJ), other_meter)
    deliver(endpoint, from_object(BATTERY_EOJ, Esv.GET_RES), BATTERY)
    assert got == ["appliances", "appliances"]


def test_a_meter_given_by_address_is_routed_by_it_from_the_start() -> None:
    _, endpoint, got = link_with(meter=METER)
    deliver(endpoint, node_list(Esv.GET_RES, 0xD6, METER_EOJ), Address("fe80::9", 3610, 9))
    deliver(endpoint, from_object(BATTERY_EOJ, Esv.INF), METER)
    assert got == ["appliances", "route_b"]


def test_a_share_whose_runner_has_not_started_hears_nothing() -> None:
    endpoint = Segment().endpoint("fe80::2")
    link = SharedLink(endpoint, ControllerEngine(ControllerConfig(), now=NOW))
    got: list[bytes] = []
    link.route_b.set_handler(lambda data, source: got.append(data))
    deliver(endpoint, from_object(BATTERY_EOJ, Esv.GET_RES), BATTERY)
    assert got == []


def test_the_socket_starts_once_and_closes_after_both_runners() -> None:
    link, endpoint, _ = link_with()
    loop = asyncio.new_event_loop()
    try:
        link.route_b.start(loop)
        link.appliances.start(loop)
    finally:
        loop.close()
    assert (endpoint.starts, endpoint.loop) == (1, loop)
    link.appliances.close()
    assert not endpoint.closed  # Route B still uses it
    link.route_b.close()
    assert endpoint.closed


def test_only_route_b_multicasts_on_ipv4_too() -> None:
    link, endpoint, _ = link_with()
    assert link.route_b.send_multicast(b"search")
    assert link.appliances.send_multicast(b"discovery")
    assert link.route_b.send(b"get", METER)
    assert endpoint.multicasts == [True, False]
    assert endpoint.sent == [(b"search", None), (b"discovery", None), (b"get", METER)]
    assert (link.route_b.iface, link.appliances.port) == (IFACE, endpoint.port)
