"""Route A in a topology: which meter the utility head-end reads, over which network.

The meter talks to the head-end over the utility network [G.9958 6.2(2)] (every reference
configuration has both); the head-end collects its 30-minute data and shares it with the HEMS
provider only with the customer's consent [G.9958 I.1(1)] (docs/route-a.md). This module says
who and where, as data; :mod:`hemsnet.testbed.headend_stack` prepares and launches the
head-end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from hemsnet.homenet import ComponentKind, Topology
from hemsnet.testbed.address_plan import AddressPlan

__all__ = ["RouteA", "meter_peers", "route_a"]

NO_PROVIDER: Final = "provider"  # the consent's provider where the model has none


@dataclass(frozen=True, slots=True)
class RouteA:
    """Who talks Route A in a topology and where: the meter (its name is its utility meter
    ID), the head-end, their network, the meter's address on it, and the consent's parties."""

    meter: str
    headend: str
    network: str
    meter_address: str
    home: str  # the customer's home: the controller's name, the Route C home ID (H16)
    provider: str  # the HEMS provider the customer consents to share with

    @property
    def meter_id(self) -> str:
        return self.meter


def route_a(topology: Topology, plan: AddressPlan) -> RouteA | None:
    """The first meter and head-end that share a network, or None (a model without them)."""
    controllers = topology.of_kind(ComponentKind.HEMS_CONTROLLER)
    providers = topology.of_kind(ComponentKind.HEMS_PROVIDER)
    for headend in topology.of_kind(ComponentKind.UTILITY_HEAD_END):
        for network in topology.networks_of(headend.name):
            for member in topology.members(network.name):
                if member.kind is ComponentKind.SMART_METER:
                    return RouteA(
                        meter=member.name,
                        headend=headend.name,
                        network=network.name,
                        meter_address=plan.port(member.name, network.name).link_local,
                        home=controllers[0].name if controllers else member.name,
                        provider=providers[0].name if providers else NO_PROVIDER,
                    )
    return None


def meter_peers(topology: Topology, plan: AddressPlan, route: RouteA) -> str:
    """The meter's ``[meter]`` table: it answers the controllers it shares a network with
    (Route B) and the head-end on the utility network, and nobody else (H22)."""
    peers = [
        f"{plan.port(member.name, network.name).link_local}%{network.name}"
        for network in topology.networks_of(route.meter)
        if network.name != route.network
        for member in topology.members(network.name)
        if member.kind is ComponentKind.HEMS_CONTROLLER
    ]
    peers.append(f"{plan.port(route.headend, route.network).link_local}%{route.network}")
    listed = ", ".join(f'"{peer}"' for peer in peers)
    return f"[meter]\nmax_controllers = {len(peers)}\ncontrollers = [{listed}]\n"
