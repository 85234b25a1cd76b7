"""nftables rules that enforce a topology's expected paths, rendered as text from the model.

Only two kinds of path need a rule; everything else the wiring itself decides:

- a pair that shares a network but whose rule forbids the protocol (e.g. the smart meter and
  a non-HEMS appliance on one general-purpose home network [G.9958 3.2.1.5]): the target's
  ``input`` chain drops that protocol from the source's addresses;
- a pair whose physical path crosses a router but whose rule forbids it (e.g. the meter and
  the HEMS provider through the home gateway [G.9958 6.4.1]): the router's ``forward`` chain
  drops it. A router forwards only between the networks of its routes [G.9958 6.4.1(2)]:
  its ``forward`` policy is drop.

Link-scope multicast never crosses a router, so it needs no forward rule. Neighbour discovery
is never matched: the links stay usable, only the protocols of the matrix are filtered.

Route C, where the topology has it, gets three rules in every router's ``forward`` chain: the
controller may open TCP 8883 to the provider, the provider's replies go back, and nobody else
in the home reaches the provider's broker (H17) [G.9958 I.1(3), 6.4.2(2), 6.4.3(2)].
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hemsnet.homenet import PathRule, Protocol, Topology
from hemsnet.testbed.address_plan import AddressPlan
from hemsnet.testbed.routec_path import BROKER_PORT, RouteC

__all__ = ["TABLE", "protocol_match", "render_rulesets", "route_c_rules"]

TABLE = "hemsnet"  # inet hemsnet in every namespace that needs rules

_MATCH = {
    Protocol.ECHONET_UNICAST: "ip6 daddr != ff00::/8 udp dport 3610",
    Protocol.ECHONET_MULTICAST: "ip6 daddr ff02::1 udp dport 3610",
    Protocol.ICMPV6: "icmpv6 type echo-request",
}


def protocol_match(protocol: Protocol) -> str:
    """The nft expression that selects a protocol of the matrix."""
    return _MATCH[protocol]


def route_c_rules(plan: AddressPlan, route: RouteC) -> list[str]:
    """A router's ``forward`` rules for Route C: the controller's flow to the broker and its
    replies pass, every other flow to the broker's port is dropped (H17)."""
    controller = _set(plan.addresses_of(route.controller))
    provider = _set(plan.addresses_of(route.provider))
    name = f"{route.controller} -> {route.provider}"
    return [
        f"ip6 saddr {controller} ip6 daddr {provider} tcp dport {BROKER_PORT} accept "
        f'comment "G.9958 I.1(3): Route C {name}"',
        f"ip6 saddr {provider} ip6 daddr {controller} tcp sport {BROKER_PORT} "
        f'ct state established accept comment "G.9958 I.1(3): Route C {name}, replies"',
        f"ip6 daddr {provider} tcp dport {BROKER_PORT} drop "
        f'comment "H17: the broker of {route.provider} serves {route.controller} only"',
    ]


def render_rulesets(
    topology: Topology,
    plan: AddressPlan,
    rules: Sequence[PathRule],
    route: RouteC | None = None,
) -> dict[str, str]:
    """``nft -f`` input per component that needs rules (a router, or a protected target);
    ``route``: the topology's Route C, if it has one."""
    inputs: dict[str, list[str]] = {}
    forwards: dict[str, list[str]] = {router: [] for router in plan.routers}
    routers = {
        frozenset(route.networks): route.router
        for route in topology.routes
        if route.router in plan.routers
    }
    for rule in rules:
        if rule.allowed or not rule.via:
            continue
        comment = f'comment "{rule.clause}: {rule.source} -> {rule.target}"'
        source = _set(plan.addresses_of(rule.source))
        if len(rule.via) == 1:
            inputs.setdefault(rule.target, []).append(
                f"ip6 saddr {source} {protocol_match(rule.protocol)} drop {comment}"
            )
        elif rule.protocol is not Protocol.ECHONET_MULTICAST:
            target = _set(plan.addresses_of(rule.target))
            for hop in zip(rule.via, rule.via[1:], strict=False):
                router = routers.get(frozenset(hop))
                if router is not None:
                    forwards[router].append(
                        f"ip6 saddr {source} ip6 daddr {target} "
                        f"{protocol_match(rule.protocol)} drop {comment}"
                    )
    rulesets = {}
    for component in (c.name for c in topology.components):
        chains = []
        if component in inputs:
            chains.append(_chain("input", "accept", inputs[component]))
        if component in forwards:
            allowed = [
                f'iifname "{a}" oifname "{b}" accept'
                for route in topology.routes
                if route.router == component
                for a, b in (route.networks, route.networks[::-1])
            ]
            route_c = [] if route is None else route_c_rules(plan, route)
            chains.append(_chain("forward", "drop", [*forwards[component], *route_c, *allowed]))
        if chains:
            rulesets[component] = f"table inet {TABLE} {{\n" + "".join(chains) + "}\n"
    return rulesets


def _chain(hook: str, policy: str, lines: Iterable[str]) -> str:
    body = "".join(f"\t\t{line}\n" for line in lines)
    return (
        f"\tchain {hook} {{\n\t\ttype filter hook {hook} priority filter; policy {policy};\n"
        f"{body}\t}}\n"
    )


def _set(addresses: Iterable[str]) -> str:
    return "{ " + ", ".join(addresses) + " }"
