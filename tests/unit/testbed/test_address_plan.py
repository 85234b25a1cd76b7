"""The address plan: names that fit IFNAMSIZ, unique fixed addresses, routes via the router."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pytest

from hemsnet.errors import ConfigError
from hemsnet.homenet import CONFIGURATIONS, Network, NetworkKind, reference_topology
from hemsnet.testbed.address_plan import StaticRoute, plan_addresses
from tests.unit.testbed.topologies import SMALL

IFNAMSIZ = 15  # with the terminating NUL: 15 characters


def test_small_topology_plan() -> None:
    plan = plan_addresses(SMALL, "tb1")
    assert plan.switch == "tb1"
    assert plan.namespace("meter") == "tb1-meter"
    assert [(p.component, p.iface, p.switch_port, p.addresses) for p in plan.ports] == [
        ("meter", "home", "meter-1", ("fe80::1:1", "fd00:9958:1::1")),
        ("tv", "home", "tv-1", ("fe80::1:2", "fd00:9958:1::2")),
        ("gw", "home", "gw-1", ("fe80::1:3", "fd00:9958:1::3")),
        ("gw", "wan", "gw-2", ("fe80::2:3", "fd00:9958:2::3")),
        ("provider", "wan", "provider-2", ("fe80::2:4", "fd00:9958:2::4")),
    ]
    assert plan.routers == ("gw",)
    assert plan.prefixes == (("home", "fd00:9958:1::/64"), ("wan", "fd00:9958:2::/64"))
    assert plan.routes == (
        StaticRoute("meter", "fd00:9958:2::/64", "fe80::1:3", "home"),
        StaticRoute("tv", "fd00:9958:2::/64", "fe80::1:3", "home"),
        StaticRoute("provider", "fd00:9958:1::/64", "fe80::2:3", "wan"),
    )


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_reference_plans_fit_and_never_repeat_an_address(configuration: str) -> None:
    topology = reference_topology(configuration)
    plan = plan_addresses(topology, "a" * 16)
    names = [p.iface for p in plan.ports] + [p.switch_port for p in plan.ports]
    names += [f"br-{n.name}" for n in topology.networks]
    assert max(len(name) for name in names) <= IFNAMSIZ
    addresses = [a for p in plan.ports for a in p.addresses]
    assert len(addresses) == len(set(addresses))
    for port in plan.ports:
        assert ipaddress.IPv6Address(port.link_local).is_link_local
    routed = {n for route in topology.routes for n in route.networks}
    assert {p.network for p in plan.ports if p.ula} == routed


def test_unrouted_networks_have_link_local_addresses_only() -> None:
    plan = plan_addresses(reference_topology("6.4.3"), "tb")
    assert plan.port("meter", "routeb").addresses == ("fe80::2:1",)
    assert not [r for r in plan.routes if r.component == "meter"]
    assert plan.routers == ("gw",)


def test_a_network_called_lo_is_refused() -> None:
    topology = replace(
        SMALL,
        networks=(Network("lo", NetworkKind.GENERAL_PURPOSE_HOME),),
        attachments=(),
        routes=(),
    )
    with pytest.raises(ConfigError, match="'lo' clashes with the loopback"):
        plan_addresses(topology, "tb")


def test_a_route_through_a_detached_router_is_refused() -> None:
    topology = replace(SMALL, attachments=SMALL.attachments[:3])
    with pytest.raises(ConfigError, match="route via gw: it is not attached to network 'wan'"):
        plan_addresses(topology, "tb")
