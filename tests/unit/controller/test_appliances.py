"""The appliance monitor on a virtual HEMS network: discovery, polling, timeouts, its own node."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hemsnet.controller.appliance_events import (
    ApplianceCommanded,
    ApplianceFound,
    ApplianceLost,
    AppliancePower,
)
from hemsnet.controller.config import ApplianceConfig
from hemsnet.devices.objects import DeviceObject
from hemsnet.devices.registry import class_def
from hemsnet.echonet.eoj import CONTROLLER, NODE_PROFILE, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, encode_frame
from hemsnet.echonet.instance_list import decode_instance_list
from hemsnet.errors import RequestNotAllowed
from tests.unit.controller.appliance_sim import LATENCY, MONITOR, T0, HemsNet, appliance, node_of

BATTERY = Eoj(0x02, 0x7D, 0x01)
SOLAR = Eoj(0x02, 0x79, 0x01)
LIGHT = Eoj(0x02, 0x90, 0x01)
METER = Eoj(0x02, 0x8F, 0x01)
ON, OFF = b"\x30", b"\x31"


def battery(watts: int = -1500) -> DeviceObject:
    return appliance(
        BATTERY, {0x80: ON, 0x88: b"\x42", 0xD3: watts.to_bytes(4, "big", signed=True)}
    )


def solar(watts: int = 2000) -> DeviceObject:
    return appliance(SOLAR, {0x80: OFF, 0x88: b"\x42", 0xE0: watts.to_bytes(2, "big")})


def started(net: HemsNet, seconds: float = 1) -> HemsNet:
    net.start()
    net.run_for(seconds)
    return net


def gets(net: HemsNet, address: str) -> list[Frame]:
    return [w.frame for w in net.sent_to(address) if w.frame.esv is Esv.GET]


def found(net: HemsNet) -> list[ApplianceFound]:
    return [e for e in net.events if isinstance(e, ApplianceFound)]


def lost(net: HemsNet) -> list[ApplianceLost]:
    return [e for e in net.events if isinstance(e, ApplianceLost)]


def powers(net: HemsNet) -> list[AppliancePower]:
    return [e for e in net.events if isinstance(e, AppliancePower)]


# --- discovery --------------------------------------------------------------------------


def test_discovery_is_a_multicast_get_of_d6_that_finds_every_object() -> None:
    net = started(HemsNet(nodes={"bat": node_of(battery(), solar())}))
    announcement, discovery = net.wire[0].frame, net.wire[1].frame
    assert announcement.esv is Esv.INF and announcement.edt_of(0xD5) is not None
    assert net.wire[1].to is None
    assert (discovery.esv, discovery.seoj, discovery.deoj) == (Esv.GET, CONTROLLER, NODE_PROFILE)
    assert [p.epc for p in discovery.properties] == [0xD6]
    assert found(net) == [ApplianceFound("bat", BATTERY), ApplianceFound("bat", SOLAR)]


def test_discovery_repeats_every_discovery_interval() -> None:
    net = started(HemsNet(ApplianceConfig(discovery_interval=300)), 700)
    times = [w.at for w in net.wire if w.to is None and w.frame.esv is Esv.GET]
    assert times == [T0, T0 + timedelta(seconds=300), T0 + timedelta(seconds=600)]


def test_a_d5_announcement_finds_a_new_node_and_it_is_polled_at_once() -> None:
    net = started(HemsNet(), 100)
    net.nodes["bat"] = node_of(battery())
    net.announce("bat")
    net.run_for(1)
    announced_at = T0 + timedelta(seconds=100)
    assert found(net) == [ApplianceFound("bat", BATTERY)]
    assert [w.at for w in net.sent_to("bat")] == [announced_at + LATENCY]


def test_a_restarted_node_is_polled_at_once() -> None:
    net = started(HemsNet(nodes={"bat": node_of(battery())}), 10)
    net.announce("bat")
    net.run_for(1)
    times = [w.at for w in net.sent_to("bat")]
    assert times == [T0 + LATENCY * 2, T0 + timedelta(seconds=10) + LATENCY]
    assert found(net) == [ApplianceFound("bat", BATTERY)]  # known already: not found twice


def test_an_object_no_longer_listed_is_lost() -> None:
    net = started(HemsNet(nodes={"bat": node_of(battery(), solar())}))
    net.nodes["bat"] = node_of(battery())
    net.announce("bat")
    net.run_for(1)
    assert lost(net) == [ApplianceLost("bat", SOLAR)]
    net.run_for(60)
    assert {f.deoj for f in gets(net, "bat")[2:]} == {BATTERY}


def test_an_unknown_class_is_found_but_not_polled() -> None:
    meter = appliance(METER, {0x80: ON, 0x88: b"\x42"})
    net = started(HemsNet(nodes={"meter": node_of(meter)}), 100)
    assert found(net) == [ApplianceFound("meter", METER)]
    assert net.sent_to("meter") == []
    assert net.monitor.next_wakeup() == T0 + timedelta(seconds=300)  # the next discovery


# --- polling ------------------------------------------------------------------------------


def test_polls_go_exactly_every_interval_for_0x80_and_the_power_epc() -> None:
    net = started(HemsNet(ApplianceConfig(interval=30), nodes={"bat": node_of(battery())}), 95)
    sent = net.sent_to("bat")
    first = T0 + 2 * LATENCY  # the D6 answer came back
    assert [w.at for w in sent] == [first + timedelta(seconds=30 * n) for n in range(4)]
    assert all([p.epc for p in w.frame.properties] == [0x80, 0xD3] for w in sent)
    assert all(w.frame.deoj == BATTERY and w.frame.seoj == CONTROLLER for w in sent)


def test_power_is_signed_for_a_battery_and_generated_for_solar() -> None:
    net = started(HemsNet(nodes={"bat": node_of(battery(-1500)), "pv": node_of(solar(2000))}))
    answered = T0 + 4 * LATENCY
    assert powers(net) == [
        AppliancePower("bat", BATTERY, answered, -1500, True),
        AppliancePower("pv", SOLAR, answered, 2000, False),
    ]


def test_objects_of_one_node_are_polled_one_request_at_a_time() -> None:
    net = started(HemsNet(nodes={"bat": node_of(battery(), solar())}), 65)
    talk = [w for w in net.wire if "bat" in (w.source, w.to)]
    directions = [w.source == MONITOR for w in talk[1:]]  # after the multicast discovery
    assert directions == [True, False] * 6  # request, answer: never two outstanding
    assert [f.deoj for f in gets(net, "bat")] == [BATTERY, SOLAR] * 3
    assert len({f.tid for f in gets(net, "bat")}) == 6


def test_a_value_outside_the_range_is_reported_as_none() -> None:
    underflow = {0x84: lambda: b"\xff\xfe"}  # the code for "no measurement"
    light = appliance(LIGHT, {0x80: OFF, 0x88: b"\x42"}, underflow)
    net = started(HemsNet(nodes={"light": node_of(light)}))
    (power,) = powers(net)
    assert (power.watts, power.operating) == (None, False)


def test_an_sna_records_what_was_served() -> None:
    light = appliance(LIGHT, {0x80: ON, 0x88: b"\x42"})  # no 0x84: Get_SNA for it
    net = started(HemsNet(nodes={"light": node_of(light)}))
    (power,) = powers(net)
    assert (power.watts, power.operating) == (None, True)
    assert net.monitor.counters["refused"] == 1


# --- timeouts -----------------------------------------------------------------------------


def test_a_timeout_is_retried_at_once_under_a_fresh_tid() -> None:
    net = started(HemsNet(ApplianceConfig(timeout=5, retries=1), nodes={"bat": node_of(battery())}))
    net.muted.add("bat")
    net.run_for(40)
    poll, retry = net.sent_to("bat")[1:]
    assert retry.at - poll.at == timedelta(seconds=5)
    assert retry.frame.tid != poll.frame.tid
    assert retry.frame.properties == poll.frame.properties
    assert net.monitor.counters["timed_out"] == 2
    assert lost(net) == []  # one missed poll is not enough


def test_a_node_missing_polls_is_lost_then_found_when_it_answers() -> None:
    config = ApplianceConfig(interval=30, timeout=5, retries=1, unreachable_after=3)
    net = started(HemsNet(config, nodes={"bat": node_of(battery(), solar())}))
    net.muted.add("bat")
    net.run_for(60)  # the poll at 30 misses for each object: two misses, after 10 and 20 s
    assert lost(net) == []
    net.run_for(10)  # the battery's poll at 60 misses too: the third in a row
    assert lost(net) == [ApplianceLost("bat", BATTERY), ApplianceLost("bat", SOLAR)]
    assert net.monitor.reachable == 0 and net.monitor.known == 2
    net.muted.clear()
    net.run_for(60)
    assert found(net)[2:] == [ApplianceFound("bat", BATTERY), ApplianceFound("bat", SOLAR)]
    assert len(lost(net)) == 2
    assert net.monitor.reachable == 2


def test_an_unreachable_node_is_found_again_when_it_announces() -> None:
    config = ApplianceConfig(timeout=5, retries=0, unreachable_after=1)
    net = started(HemsNet(config, nodes={"bat": node_of(battery())}))
    net.muted.add("bat")
    net.run_for(40)
    assert lost(net) == [ApplianceLost("bat", BATTERY)]
    net.muted.clear()
    net.announce("bat")
    net.run_for(0.1)
    assert found(net)[1:] == [ApplianceFound("bat", BATTERY)]


def test_a_late_answer_is_discarded() -> None:
    net = HemsNet(ApplianceConfig(timeout=5, retries=0), nodes={"bat": node_of(battery())})
    net.latency["bat"] = timedelta(seconds=3)  # 6 s there and back
    started(net, 20)
    assert net.monitor.counters["late_discarded"] == 1
    assert powers(net) == []


# --- the controller's own node ----------------------------------------------------------


def test_the_controllers_own_node_answers_a_get() -> None:
    net = started(HemsNet(nodes={"bat": node_of(battery())}))
    request = Frame(7, NODE_PROFILE, NODE_PROFILE, Esv.GET, (Property(0xD6),))
    net.inject("bat", encode_frame(request))
    net.run_for(1)
    (answer,) = [w.frame for w in net.sent_to("bat") if w.frame.tid == 7]
    assert answer.esv is Esv.GET_RES and answer.seoj == NODE_PROFILE
    edt = answer.edt_of(0xD6)
    assert edt is not None and decode_instance_list(edt).instances == (CONTROLLER,)


# --- commands ---------------------------------------------------------------------------


def commanded(net: HemsNet) -> list[ApplianceCommanded]:
    return [e for e in net.events if isinstance(e, ApplianceCommanded)]


def test_a_command_is_a_setc_ahead_of_the_polls_then_the_object_is_read_again() -> None:
    net = started(HemsNet(nodes={"bat": node_of(battery())}), 5)
    net.events.clear()
    sends = net.monitor.command("bat", BATTERY, 0x80, OFF, net.now)
    net._from_monitor(sends)
    net.run_for(1)
    setc = [w.frame for w in net.sent_to("bat") if w.frame.esv is Esv.SETC]
    assert [(p.epc, p.edt) for f in setc for p in f.properties] == [(0x80, OFF)]
    assert commanded(net) == [ApplianceCommanded("bat", BATTERY, 0x80, accepted=True)]
    assert powers(net)[-1].operating is False  # read again at once, not at the next poll


def test_a_refused_command_says_why() -> None:
    table = class_def(SOLAR.class_id)
    assert table is not None
    values = {0x80: OFF, 0x88: b"\x42", 0xE0: b"\x00\x10"}
    readonly = DeviceObject(SOLAR, table, values, set=())  # it accepts no Set
    net = started(HemsNet(nodes={"pv": node_of(readonly)}), 5)
    net._from_monitor(net.monitor.command("pv", SOLAR, 0x80, ON, net.now))
    net.run_for(1)
    (result,) = commanded(net)
    assert not result.accepted and "SetC_SNA" in result.reason


def test_a_command_to_an_unknown_object_or_with_a_bad_value_is_not_sent() -> None:
    net = started(HemsNet(nodes={"bat": node_of(battery())}), 5)
    with pytest.raises(RequestNotAllowed, match="no object"):
        net.monitor.command("bat", SOLAR, 0x80, ON, net.now)
    with pytest.raises(RequestNotAllowed, match=r"AIF 2\.4\.5"):
        net.monitor.command("bat", BATTERY, 0x80, b"\x99", net.now)


def test_a_command_without_an_answer_times_out_once() -> None:
    net = started(HemsNet(nodes={"bat": node_of(battery())}), 5)
    net.muted.add("bat")
    net._from_monitor(net.monitor.command("bat", BATTERY, 0x80, OFF, net.now))
    net.run_for(6)
    (result,) = commanded(net)
    assert not result.accepted and "no answer" in result.reason
    assert len([w for w in net.sent_to("bat") if w.frame.esv is Esv.SETC]) == 1
