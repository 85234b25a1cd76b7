"""``--hems-iface``: a repeated interface is refused before any socket is opened; the Route B
interface shares the Route B socket [G.9958 6.3.2, 6.4.1]."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hemsnet.aio.hems_networks import HemsNetworks
from hemsnet.aio.shared_link import LinkShare
from hemsnet.controller import ControllerConfig, ControllerEngine
from hemsnet.controller.config import ApplianceConfig
from hemsnet.echonet.eoj import NODE_PROFILE
from hemsnet.echonet.esv import Esv
from hemsnet.errors import ConfigError
from tests.conftest import counting
from tests.unit.aio.memory_link import IFACE, Segment

NOW = datetime(2026, 11, 21, 10, 0)


def engine() -> ControllerEngine:
    return ControllerEngine(ControllerConfig(), now=NOW, tid_draw=counting())


def test_an_interface_given_twice_is_refused() -> None:
    route_b = Segment().endpoint("fe80::2")
    with pytest.raises(
        ConfigError, match=r"^--hems-iface home0, home0: an interface is given twice$"
    ):
        HemsNetworks(["home0", "home0"], engine(), route_b, ApplianceConfig(), NOW)


def test_no_hems_network_adds_nothing_to_the_lines() -> None:
    route_b = Segment().endpoint("fe80::2")
    hems = HemsNetworks([], engine(), route_b, ApplianceConfig(), NOW)
    assert (hems.describe(), hems.monitors, hems.route_b) == ("", [], route_b)


def test_the_route_b_interface_is_shared_with_its_monitor() -> None:
    route_b = Segment().endpoint("fe80::2")
    ctl = engine()
    hems = HemsNetworks([IFACE.name], ctl, route_b, ApplianceConfig(), NOW)
    ((monitor, link),) = hems.monitors
    assert isinstance(hems.route_b, LinkShare) and isinstance(link, LinkShare)
    assert hems.route_b is not link
    assert hems.describe() == f"; HEMS networks {IFACE.name} (shared with Route B)"
    woken: list[bool] = []
    assert hems.gate is not None
    hems.gate.on_wake = lambda: woken.append(True)
    ctl.announce(NOW)
    (search,) = ctl.advance(NOW)  # the meter search is in flight
    # The discovery reaches the meter too: it waits for the lane, not a second request (C24).
    assert monitor.advance(NOW) == [] and woken
    assert ctl.advance(NOW + timedelta(seconds=39)) == []
    (discovery,) = ctl.advance(NOW + timedelta(seconds=40))  # the search's timer 1 ran out
    frame = discovery.frame
    assert discovery.to is None and frame.deoj == NODE_PROFILE and frame.esv is Esv.GET
    assert [p.epc for p in frame.properties] == [0xD6]
    assert ctl.lane.busy and frame.tid != search.frame.tid
