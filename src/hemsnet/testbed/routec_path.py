"""Route C in a topology: which controller sends to which HEMS provider, at which address.

Route C runs from the HEMS controller through the home gateway and the general-purpose
network to the HEMS provider [G.9958 I.1(3)]; the model allows that path in 6.4.1 (every home
component but the meter may use the Internet [6.4.1(2)], H13), 6.4.2 and 6.4.3. It is MQTT over
TLS to the provider's broker (docs/route-c.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from hemsnet.homenet import ComponentKind, Protocol, Topology, expected_paths
from hemsnet.testbed.address_plan import AddressPlan

__all__ = ["BROKER_PORT", "RouteC", "route_c"]

BROKER_PORT: Final = 8883  # MQTT over TLS


@dataclass(frozen=True, slots=True)
class RouteC:
    """Who talks Route C in a topology: the controller (its name is the home ID), the
    provider, and the provider's routed address, the one reached through the gateway."""

    controller: str
    provider: str
    broker_address: str

    @property
    def home(self) -> str:
        return self.controller

    @property
    def broker_url(self) -> str:
        return f"mqtts://[{self.broker_address}]:{BROKER_PORT}"


def route_c(topology: Topology, plan: AddressPlan) -> RouteC | None:
    """The first controller the model lets talk to a HEMS provider across a router, and
    that provider; None when the topology has no such pair (6.2, 6.3.x: no provider)."""
    kinds = {c.name: c.kind for c in topology.components}
    for rule in expected_paths(topology):
        if (
            rule.protocol is Protocol.ECHONET_UNICAST
            and rule.allowed
            and len(rule.via) > 1
            and kinds[rule.source] is ComponentKind.HEMS_CONTROLLER
            and kinds[rule.target] is ComponentKind.HEMS_PROVIDER
        ):
            routed = [p.ula for p in plan.ports_of(rule.target) if p.ula is not None]
            if routed:
                return RouteC(rule.source, rule.target, routed[0])
    return None
