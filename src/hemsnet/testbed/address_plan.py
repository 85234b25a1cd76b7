"""The address plan of a G.9958 testbed: names, interfaces, addresses and routes, as data.

Every component gets a network namespace ``<testbed>-<component>``; every network a bridge
``br-<network>`` in the namespace ``<testbed>`` (the "switch"). An attachment is a veth pair:
the component's end is named after the network, the switch's end ``<component>-<n>``. All names
live inside the testbed's own namespaces, so two testbeds never clash and the host's interface
list is never touched; the model keeps names to 10 characters, so every interface name fits
IFNAMSIZ (15).

Addresses are fixed, so that a plan is known before anything is built and the firewall can be
rendered from it. Component *c* (1-based, in topology order) on network *n* has the link-local
address ``fe80::n:c``, unique across the whole testbed, on every network: ECHONET Lite in the
home uses link-local IPv6 [G.9958 I.2(1)]. Only the networks that a route joins get a routed
prefix, a ULA ``fd00:9958:n::/64`` with ``fd00:9958:n::c`` per member; their members reach the
other network through the router's link-local address.
"""

from __future__ import annotations

from dataclasses import dataclass

from hemsnet.errors import ConfigError
from hemsnet.homenet import Topology

__all__ = ["AddressPlan", "Port", "StaticRoute", "plan_addresses"]

_ULA = "fd00:9958"


@dataclass(frozen=True, slots=True)
class Port:
    """One attachment: a component's interface on a network and its addresses."""

    component: str
    network: str
    iface: str  # in the component's namespace: the network's name
    switch_port: str  # the peer on the network's bridge, in the switch namespace
    link_local: str
    ula: str | None  # only on networks a route joins

    @property
    def addresses(self) -> tuple[str, ...]:
        return (self.link_local,) if self.ula is None else (self.link_local, self.ula)


@dataclass(frozen=True, slots=True)
class StaticRoute:
    """``ip -6 route add prefix via gateway dev iface`` in the component's namespace."""

    component: str
    prefix: str
    gateway: str
    iface: str


@dataclass(frozen=True, slots=True)
class AddressPlan:
    name: str  # the testbed's name: the switch namespace and the prefix of every other one
    ports: tuple[Port, ...]
    routes: tuple[StaticRoute, ...]
    routers: tuple[str, ...]  # the only components with forwarding on
    prefixes: tuple[tuple[str, str], ...]  # (network, ULA prefix) of every routed network

    @property
    def switch(self) -> str:
        return self.name

    def namespace(self, component: str) -> str:
        return f"{self.name}-{component}"

    def ports_of(self, component: str) -> tuple[Port, ...]:
        return tuple(p for p in self.ports if p.component == component)

    def addresses_of(self, component: str) -> tuple[str, ...]:
        return tuple(a for p in self.ports_of(component) for a in p.addresses)

    def port(self, component: str, network: str) -> Port:
        for port in self.ports:
            if port.component == component and port.network == network:
                return port
        raise KeyError((component, network))


def bridge_name(network: str) -> str:
    return f"br-{network}"


def link_local(network_index: int, component_index: int) -> str:
    return f"fe80::{network_index:x}:{component_index:x}"


def plan_addresses(topology: Topology, name: str) -> AddressPlan:
    """The plan for building ``topology`` as the testbed ``name``."""
    networks = {n.name: index for index, n in enumerate(topology.networks, start=1)}
    components = {c.name: index for index, c in enumerate(topology.components, start=1)}
    if "lo" in networks:
        raise ConfigError("network name 'lo' clashes with the loopback interface")
    routed = {network for route in topology.routes for network in route.networks}
    for route in topology.routes:
        attached = {n.name for n in topology.networks_of(route.router)}
        for network in route.networks:
            if network not in attached:
                raise ConfigError(
                    f"route via {route.router}: it is not attached to network {network!r}"
                )
    ports = tuple(
        Port(
            component=a.component,
            network=a.network,
            iface=a.network,
            switch_port=f"{a.component}-{networks[a.network]}",
            link_local=link_local(networks[a.network], components[a.component]),
            ula=(
                f"{_ULA}:{networks[a.network]:x}::{components[a.component]:x}"
                if a.network in routed
                else None
            ),
        )
        for a in topology.attachments
    )
    prefixes = {n: f"{_ULA}:{networks[n]:x}::/64" for n in networks if n in routed}
    gateways = {(p.component, p.network): p.link_local for p in ports}
    routes = [
        StaticRoute(member.name, prefixes[far], gateways[route.router, near], near)
        for route in topology.routes
        for near, far in (route.networks, route.networks[::-1])
        for member in topology.members(near)
        if member.name != route.router
    ]
    return AddressPlan(
        name=name,
        ports=ports,
        routes=tuple(routes),
        routers=tuple(dict.fromkeys(route.router for route in topology.routes)),
        prefixes=tuple(prefixes.items()),
    )
