"""ECHONET Lite over real UDP/IPv6 link-local between network namespaces."""

from __future__ import annotations

import asyncio

import pytest

from hemsnet.aio.udp import Address, Interface
from hemsnet.echonet.eoj import NODE_PROFILE, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame
from hemsnet.echonet.send import Send
from hemsnet.errors import RequestRefused, ResponseTimeout
from hemsnet.testbed.netns import Link, Namespaces, inside
from tests.integration.nodes import METER, client_on, meter_node, serve, static_node

pytestmark = pytest.mark.netns


def _pair(topology: Namespaces) -> tuple[Link, Link]:
    return topology.link(topology.namespace("meter"), topology.namespace("ctl"))


def _peer(link: Link, seen_from: Link) -> Address:
    with inside(seen_from.netns):
        scope = Interface.lookup(seen_from.iface).index
    return Address(link.address, scope_id=scope)


def test_multicast_discovery_and_class_search(topology: Namespaces) -> None:
    meter_end, ctl_end = _pair(topology)

    async def scenario() -> None:
        runner = serve(meter_end, meter_node())
        client = client_on(ctl_end)
        try:
            nodes = await client.discover(window=10, expect=1)
            assert [(n.address.host, n.instances) for n in nodes] == [(meter_end.address, (METER,))]
            hits = await client.search(0x028F, window=10, expect=1)
            assert [(h.address.host, h.eoj, h.operation_status) for h in hits] == [
                (meter_end.address, METER, b"\x30")
            ]
        finally:
            client.close()
            runner.close()

    asyncio.run(scenario())


def test_controller_announces_its_instance_list(topology: Namespaces) -> None:
    """The start-up INF of 0xD5 [AIF 3.1.1] reaches the node at the other end of the link."""
    meter_end, ctl_end = _pair(topology)

    async def scenario() -> None:
        runner = serve(meter_end, meter_node())
        client = client_on(ctl_end)
        heard: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        static_node(runner).on_frame = lambda frame, _: heard.done() or heard.set_result(frame)
        try:
            client.announce()
            notice = await asyncio.wait_for(heard, 10)
            assert (notice.esv, notice.seoj) == (Esv.INF, NODE_PROFILE)
            assert notice.edt_of(0xD5) == b"\x01\x05\xff\x01"
        finally:
            client.close()
            runner.close()

    asyncio.run(scenario())


def test_unicast_get_setc_and_sna(topology: Namespaces) -> None:
    meter_end, ctl_end = _pair(topology)

    async def scenario() -> None:
        runner = serve(meter_end, meter_node())
        client = client_on(ctl_end)
        peer = _peer(meter_end, ctl_end)
        try:
            values = await client.get(peer, METER, [0xE5, 0x80, 0xE2])
            assert list(values) == [0xE5, 0x80, 0xE2]
            assert values[0xE5] == b"\x08"
            await client.set(peer, METER, {0xE1: b"\x01"})
            assert await client.get(peer, METER, [0xE1]) == {0xE1: b"\x01"}
            with pytest.raises(RequestRefused) as refused:
                await client.set(peer, METER, {0xE1: b"\x64"})
            assert refused.value.refused == (0xE1,)
            with pytest.raises(RequestRefused) as refused_get:
                await client.get(peer, METER, [0xC2, 0xE5])
            assert refused_get.value.refused == (0xC2,)
            assert refused_get.value.accepted[0xE5] == b"\x08"
            assert client.stats.answered == 3 and client.stats.refused == 2
        finally:
            client.close()
            runner.close()

    asyncio.run(scenario())


def test_request_to_an_absent_object_times_out_and_the_next_gets_a_fresh_tid(
    topology: Namespaces,
) -> None:
    meter_end, ctl_end = _pair(topology)

    async def scenario() -> None:
        runner = serve(meter_end, meter_node())
        client = client_on(ctl_end)
        peer = _peer(meter_end, ctl_end)
        sent: list[Frame] = []
        original = client.transport.send

        def spy(data: bytes, addr: Address) -> bool:
            sent.append(Send(data, addr).frame)
            return original(data, addr)

        client.transport.send = spy  # type: ignore[method-assign]
        try:
            with pytest.raises(ResponseTimeout) as timeout:
                await client.get(peer, Eoj(0x02, 0x88, 0x01), [0x80], timeout=0.5)
            assert isinstance(timeout.value, TimeoutError)
            assert static_node(runner).node.stats.ignored == 1
            await client.get(peer, METER, [0x80])
            assert sent[1].tid != sent[0].tid
        finally:
            client.close()
            runner.close()

    asyncio.run(scenario())


def test_node_bound_to_one_interface_neither_sees_nor_answers_another(
    topology: Namespaces,
) -> None:
    meter_ns = topology.namespace("meter")
    routeb_meter, routeb_ctl = topology.link(meter_ns, topology.namespace("ctl"))
    other_meter, other_host = topology.link(meter_ns, topology.namespace("other"))

    async def scenario() -> None:
        runner = serve(routeb_meter, meter_node())
        intruder = client_on(other_host)
        controller = client_on(routeb_ctl)
        heard: list[Frame] = []
        intruder.add_notification_listener(lambda frame, source: heard.append(frame))
        try:
            with pytest.raises(ResponseTimeout):
                await intruder.get(_peer(other_meter, other_host), METER, [0x80], timeout=1.0)
            assert await intruder.discover(window=1.0) == []
            node = static_node(runner).node
            assert node.stats.received == 0
            # The same node answers on the interface it is bound to, and announces only there.
            assert await controller.get(_peer(routeb_meter, routeb_ctl), METER, [0x80])
            assert node.stats.received == 1
            announced: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
            controller.add_notification_listener(
                lambda frame, source: announced.done() or announced.set_result(frame)
            )
            notice = node.notification(node.node_profile.eoj, [0xD5])
            assert notice is not None
            runner.dispatch([Send.of(notice.frame)])
            assert (await asyncio.wait_for(announced, 10)).edt_of(0xD5) == b"\x01\x02\x8f\x01"
            assert await intruder.discover(window=0.5) == []
            assert heard == []
        finally:
            intruder.close()
            controller.close()
            runner.close()

    asyncio.run(scenario())


def test_optional_ipv4_unicast_and_multicast(topology: Namespaces) -> None:
    meter_end, ctl_end = topology.link(
        topology.namespace("meter"), topology.namespace("ctl"), ipv4=True
    )

    async def scenario() -> None:
        runner = serve(meter_end, meter_node(), ipv4=True)
        client = client_on(ctl_end, ipv4=True)
        try:
            assert await client.get(Address(meter_end.ipv4), METER, [0x80]) == {0x80: b"\x30"}
            # Discovery goes to ff02::1 and 224.0.23.0: the node answers on both families.
            nodes = await client.discover(window=10, expect=2)
            assert sorted(n.address.host for n in nodes) == sorted(
                [meter_end.address, meter_end.ipv4]
            )
        finally:
            client.close()
            runner.close()

    asyncio.run(scenario())
