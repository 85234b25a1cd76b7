"""Judging a topology against the configuration it claims: :func:`check`.

Every violation names its clause. The checks, in the order they are reported: names that
refer to nothing [G.9958 5], kinds of component the configuration has no place for and how
many of each it needs, attachments each kind may and must have (the "(1) Physical
configuration" of each clause), networks of kinds the configuration does not have, routes
it does not allow or requires, communication paths it requires, and for 6.4.3 the Route B
rules of [G.9958 I.2].
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Final

from hemsnet.homenet.configurations import CONFIGURATIONS, SPECS, Configuration
from hemsnet.homenet.model import (
    Component,
    ComponentKind,
    Network,
    NetworkKind,
    Route,
    Topology,
    Violation,
)
from hemsnet.homenet.reach import LiveRoute, live_routes, permitted_routes, physical_path

__all__ = ["COMPONENT_WORDS", "NETWORK_WORDS", "STRUCTURE_CLAUSE", "check", "route_b_networks"]

COMPONENT_WORDS: Final = {
    ComponentKind.SMART_METER: "smart meter",
    ComponentKind.HEMS_CONTROLLER: "HEMS controller",
    ComponentKind.HEMS_APPLIANCE: "HEMS-managed appliance",
    ComponentKind.NON_HEMS_APPLIANCE: "non-HEMS appliance",
    ComponentKind.HOME_GATEWAY: "home gateway",
    ComponentKind.UTILITY_HEAD_END: "utility head-end",
    ComponentKind.HEMS_PROVIDER: "HEMS service provider",
}
NETWORK_WORDS: Final = {
    NetworkKind.UTILITY: "utility network",
    NetworkKind.GENERAL_PURPOSE: "general-purpose network (WAN)",
    NetworkKind.GENERAL_PURPOSE_HOME: "general-purpose home network",
    NetworkKind.HEMS_DEDICATED: "HEMS-dedicated home network",
}
#: The clause of the structural rules (names that refer to nothing or to two things, a router
#: off a network it routes): a topology that breaks them cannot be built at all.
STRUCTURE_CLAUSE: Final = "G.9958 5"  # physical configuration: connections of known components
_ROUTE_B: Final = "G.9958 I.2"


def route_b_networks(topology: Topology) -> tuple[Network, ...]:
    """The HEMS-dedicated networks a smart meter is attached to: Route B [G.9958 I.3]."""
    found: list[Network] = []
    for meter in topology.of_kind(ComponentKind.SMART_METER):
        found += [
            n
            for n in topology.networks_of(meter.name)
            if n.kind is NetworkKind.HEMS_DEDICATED and n not in found
        ]
    return tuple(found)


def _structure(topology: Topology) -> Iterator[Violation]:
    names = Counter([c.name for c in topology.components] + [n.name for n in topology.networks])
    for name, count in names.items():
        if count > 1:
            yield Violation(
                STRUCTURE_CLAUSE, f"{count} components or networks are named {name}", (name,)
            )
    components = {c.name for c in topology.components}
    networks = {n.name for n in topology.networks}
    for a in topology.attachments:
        if a.component not in components:
            yield Violation(
                STRUCTURE_CLAUSE, f"attachment of unknown component {a.component}", (a.component,)
            )
        if a.network not in networks:
            yield Violation(
                STRUCTURE_CLAUSE,
                f"{a.component} is attached to unknown network {a.network}",
                (a.component, a.network),
            )
    for route in topology.routes:
        involved = (route.router, *route.networks)
        if route.router not in components:
            yield Violation(
                STRUCTURE_CLAUSE, f"route through unknown component {route.router}", involved
            )
        for network in route.networks:
            if network not in networks:
                yield Violation(STRUCTURE_CLAUSE, f"route over unknown network {network}", involved)
        if route.networks[0] == route.networks[1]:
            yield Violation(STRUCTURE_CLAUSE, "a route joins two different networks", involved)
        elif route.router in components and not set(route.networks) <= {
            n.name for n in topology.networks_of(route.router)
        }:
            yield Violation(
                STRUCTURE_CLAUSE,
                f"router {route.router} is not attached to both networks it routes",
                involved,
            )


def _counts(spec: Configuration, topology: Topology) -> Iterator[Violation]:
    for component in topology.components:
        if spec.attach_of(component.kind) is None:
            words = COMPONENT_WORDS[component.kind]
            yield Violation(
                spec.clause,
                f"configuration {spec.id} has no place for a {words}",
                (component.name,),
            )
    for attach in spec.attach:
        present = topology.of_kind(attach.kind)
        words = COMPONENT_WORDS[attach.kind]
        names = tuple(c.name for c in present)
        if len(present) < attach.at_least:
            yield Violation(attach.clause, f"configuration {spec.id} needs a {words}", names)
        if attach.at_most is not None and len(present) > attach.at_most:
            yield Violation(
                attach.clause,
                f"configuration {spec.id} has at most {attach.at_most} {words}",
                names,
            )


def _attachments(spec: Configuration, topology: Topology) -> Iterator[Violation]:
    for component in topology.components:
        attach = spec.attach_of(component.kind)
        if attach is None:
            continue
        words = COMPONENT_WORDS[component.kind]
        networks = topology.networks_of(component.name)
        for network in networks:
            if network.kind not in attach.may:
                yield Violation(
                    attach.clause,
                    f"a {words} shall not be attached to a {NETWORK_WORDS[network.kind]}",
                    (component.name, network.name),
                )
        for kind in sorted(attach.must - {n.kind for n in networks}, key=lambda k: k.value):
            yield Violation(
                attach.clause,
                f"a {words} shall be connected to a {NETWORK_WORDS[kind]}",
                (component.name,),
            )
    for network in topology.networks:
        if network.kind not in spec.network_kinds:
            yield Violation(
                spec.clause,
                f"configuration {spec.id} has no {NETWORK_WORDS[network.kind]}",
                (network.name,),
            )


def _forbidden_route(spec: Configuration, topology: Topology, route: Route) -> Violation:
    """The clause a route breaks, the most specific first."""
    kinds = {topology.network(n).kind for n in route.networks}
    involved = (route.router, *route.networks)
    if spec.route_b and set(route.networks) & {n.name for n in route_b_networks(topology)}:
        message = "communication on Route B shall not be routed to other networks"
        return Violation(_ROUTE_B, message, involved)
    if NetworkKind.HEMS_DEDICATED in kinds:
        message = "a HEMS-dedicated home network is operated independently: it is not routed"
        return Violation(spec.clause, message, involved)
    if NetworkKind.UTILITY in kinds:
        message = "data on the utility network shall not leak to other paths: it is not routed"
        return Violation("G.9958 6.2", message, involved)
    router = COMPONENT_WORDS[topology.component(route.router).kind]
    message = (
        "only a home gateway routes, between the WAN and a general-purpose home network, "
        f"not a {router}"
    )
    return Violation("G.9958 3.2.1.3", message, involved)


def _routes(spec: Configuration, topology: Topology) -> Iterator[Violation]:
    live = live_routes(topology)
    permitted = permitted_routes(spec, topology)
    for router, a, b in live:
        if (router, a, b) not in permitted:
            yield _forbidden_route(spec, topology, Route(router, (a, b)))
    for rule in (r for r in spec.routes if r.required):
        between = " and the ".join(sorted(NETWORK_WORDS[k] for k in rule.networks))
        for component in topology.of_kind(rule.router):
            if not any(
                r == component.name
                and {topology.network(a).kind, topology.network(b).kind} == rule.networks
                for r, a, b in live
            ):
                words = COMPONENT_WORDS[rule.router]
                message = f"the {words} shall route between the {between}"
                yield Violation(rule.clause, message, (component.name,))


def _required_paths(spec: Configuration, topology: Topology) -> Iterator[Violation]:
    permitted = permitted_routes(spec, topology)
    for talk in spec.talks:
        if talk.required is None:
            continue
        other_kind = next(iter(talk.kinds - {talk.required}), talk.required)
        for component in topology.of_kind(talk.required):
            peers = [p for p in topology.of_kind(other_kind) if p.name != component.name]
            if peers and not any(
                _reaches(topology, component, p, talk.over, permitted) for p in peers
            ):
                over = " or ".join(sorted(NETWORK_WORDS[k] for k in talk.over))
                words = COMPONENT_WORDS[other_kind]
                message = f"{component.name} shall communicate with a {words} over a {over}"
                yield Violation(talk.clause, message, (component.name, *(p.name for p in peers)))


def _reaches(
    topology: Topology,
    source: Component,
    target: Component,
    over: frozenset[NetworkKind],
    permitted: list[LiveRoute],
) -> bool:
    via, may = physical_path(topology, source.name, target.name, over, permitted, multicast=False)
    return bool(via) and may


def _route_b(spec: Configuration, topology: Topology) -> Iterator[Violation]:
    """[G.9958 6.4.3(1)] and [G.9958 I.2(3), I.3]: one meter, one controller, nothing else."""
    for meter in topology.of_kind(ComponentKind.SMART_METER):
        dedicated = [
            n.name for n in topology.networks_of(meter.name) if n.kind is NetworkKind.HEMS_DEDICATED
        ]
        if len(dedicated) > 1:
            message = "a smart meter shall be connected to a single HEMS-dedicated home network"
            yield Violation(spec.clause, message, (meter.name, *dedicated))
    for network in route_b_networks(topology):
        members = topology.members(network.name)
        controllers = [c.name for c in members if c.kind is ComponentKind.HEMS_CONTROLLER]
        if len(controllers) > 1:
            message = "multiple HEMS controllers shall not be connected to a single smart meter"
            yield Violation(_ROUTE_B, message, (*controllers, network.name))
        for component in members:
            if component.kind not in (ComponentKind.SMART_METER, ComponentKind.HEMS_CONTROLLER):
                words = COMPONENT_WORDS[component.kind]
                message = f"Route B joins only the smart meter and its controller, not a {words}"
                yield Violation(_ROUTE_B, message, (component.name, network.name))


def check(topology: Topology) -> list[Violation]:
    """Every rule of its configuration that ``topology`` breaks; empty when it conforms."""
    violations = list(_structure(topology))
    spec = SPECS.get(topology.configuration)
    if spec is None:
        message = (
            f"configuration {topology.configuration!r} is not one of Table 1: "
            f"{', '.join(CONFIGURATIONS)}"
        )
        return [*violations, Violation("G.9958 6.1", message, ())]
    violations += _counts(spec, topology)
    violations += _attachments(spec, topology)
    violations += _routes(spec, topology)
    violations += _required_paths(spec, topology)
    if spec.route_b:
        violations += _route_b(spec, topology)
    return violations
