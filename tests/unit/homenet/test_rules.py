"""Each rule of each configuration: the reference topology keeps it, an edit of it breaks it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import NamedTuple

import pytest

from hemsnet.homenet import (
    Component,
    ComponentKind,
    NetworkKind,
    Route,
    Topology,
    Violation,
    check,
    reference_topology,
)
from tests.unit.homenet.edits import add, add_network, attach, detach, remove, route

K = ComponentKind
N = NetworkKind


class Case(NamedTuple):
    configuration: str
    edit: Callable[[Topology], Topology]
    clause: str
    message: str  # a part of the violation's message
    components: tuple[str, ...]  # the components (and networks) it names


CASES = {
    # 6.2: the meter on the utility network only, no HEMS in the home
    "6.2 no controller": Case(
        "6.2",
        lambda t: add(t, "hems", K.HEMS_CONTROLLER, "utility"),
        "G.9958 6.2",
        "configuration 6.2 has no place for a HEMS controller",
        ("hems",),
    ),
    "6.2 meter on no home network": Case(
        "6.2",
        lambda t: attach(add_network(t, "home", N.GENERAL_PURPOSE_HOME), "meter", "home"),
        "G.9958 6.2",
        "a smart meter shall not be attached to a general-purpose home network",
        ("meter", "home"),
    ),
    "6.2 one meter": Case(
        "6.2",
        lambda t: add(t, "meter2", K.SMART_METER, "utility"),
        "G.9958 6.2",
        "configuration 6.2 has at most 1 smart meter",
        ("meter", "meter2"),
    ),
    "6.2 a meter": Case(
        "6.2",
        lambda t: remove(t, "meter"),
        "G.9958 6.2",
        "configuration 6.2 needs a smart meter",
        (),
    ),
    "6.2 meter on the utility network": Case(
        "6.2",
        lambda t: detach(t, "meter", "utility"),
        "G.9958 6.2",
        "a smart meter shall be connected to a utility network",
        ("meter",),
    ),
    "6.2 head-end on the utility network": Case(
        "6.2",
        lambda t: detach(t, "headend", "utility"),
        "G.9958 I.1",
        "a utility head-end shall be connected to a utility network",
        ("headend",),
    ),
    # 6.3.1: meter and controller on the general-purpose home network
    "6.3.1 meter on the home network": Case(
        "6.3.1",
        lambda t: detach(t, "meter", "home"),
        "G.9958 6.3.1",
        "a smart meter shall be connected to a general-purpose home network",
        ("meter",),
    ),
    "6.3.1 meter talks to the controller over the home network": Case(
        "6.3.1",
        lambda t: detach(t, "meter", "home"),
        "G.9958 6.3.1",
        "meter shall communicate with a HEMS controller over a general-purpose home network",
        ("meter", "hems"),
    ),
    "6.3.1 appliance not on the home network": Case(
        "6.3.1",
        lambda t: attach(t, "battery", "home"),
        "G.9958 6.3.1",
        "a HEMS-managed appliance shall not be attached to a general-purpose home network",
        ("battery", "home"),
    ),
    "6.3.1 controller on a dedicated network": Case(
        "6.3.1",
        lambda t: detach(detach(t, "hems", "energy"), "hems", "comfort"),
        "G.9958 6.3.1",
        "a HEMS controller shall be connected to a HEMS-dedicated home network",
        ("hems",),
    ),
    "6.3.1 appliance reaches the controller": Case(
        "6.3.1",
        lambda t: detach(t, "hems", "comfort"),
        "G.9958 6.3.1",
        "aircon shall communicate with a HEMS controller over a HEMS-dedicated home network",
        ("aircon", "hems"),
    ),
    "6.3.1 a controller": Case(
        "6.3.1",
        lambda t: remove(t, "hems"),
        "G.9958 6.3.1",
        "configuration 6.3.1 needs a HEMS controller",
        (),
    ),
    "6.3.1 no home gateway": Case(
        "6.3.1",
        lambda t: add(t, "gw", K.HOME_GATEWAY, "home"),
        "G.9958 6.3.1",
        "configuration 6.3.1 has no place for a home gateway",
        ("gw",),
    ),
    "6.3.1 no WAN": Case(
        "6.3.1",
        lambda t: add_network(t, "wan", N.GENERAL_PURPOSE),
        "G.9958 6.3.1",
        "configuration 6.3.1 has no general-purpose network (WAN)",
        ("wan",),
    ),
    "6.3.1 dedicated networks are not routed": Case(
        "6.3.1",
        lambda t: route(t, "hems", "energy", "comfort"),
        "G.9958 6.3.1",
        "a HEMS-dedicated home network is operated independently",
        ("hems", "energy", "comfort"),
    ),
    "6.3.1 controller does not route the home network": Case(
        "6.3.1",
        lambda t: route(t, "hems", "home", "energy"),
        "G.9958 6.3.1",
        "a HEMS-dedicated home network is operated independently",
        ("hems", "home", "energy"),
    ),
    "6.3.1 meter does not route the utility network": Case(
        "6.3.1",
        lambda t: route(t, "meter", "utility", "home"),
        "G.9958 6.2",
        "data on the utility network shall not leak",
        ("meter", "utility", "home"),
    ),
    "6.3.1 non-HEMS appliance on the home network": Case(
        "6.3.1",
        lambda t: attach(detach(t, "tv", "home"), "tv", "energy"),
        "G.9958 3.2.1.4",
        "a non-HEMS appliance shall not be attached to a HEMS-dedicated home network",
        ("tv", "energy"),
    ),
    # 6.3.2: every HEMS component on the dedicated network
    "6.3.2 meter on the dedicated network": Case(
        "6.3.2",
        lambda t: detach(t, "meter", "hemsnet"),
        "G.9958 6.3.2",
        "a smart meter shall be connected to a HEMS-dedicated home network",
        ("meter",),
    ),
    "6.3.2 meter not on the home network": Case(
        "6.3.2",
        lambda t: attach(t, "meter", "home"),
        "G.9958 6.3.2",
        "a smart meter shall not be attached to a general-purpose home network",
        ("meter", "home"),
    ),
    "6.3.2 home network not involved in HEMS": Case(
        "6.3.2",
        lambda t: attach(t, "hems", "home"),
        "G.9958 6.3.2",
        "a HEMS controller shall not be attached to a general-purpose home network",
        ("hems", "home"),
    ),
    "6.3.2 appliance on the dedicated network": Case(
        "6.3.2",
        lambda t: detach(t, "ev", "hemsnet"),
        "G.9958 6.3.2",
        "a HEMS-managed appliance shall be connected to a HEMS-dedicated home network",
        ("ev",),
    ),
    "6.3.2 appliance reaches the controller": Case(
        "6.3.2",
        lambda t: add(
            add_network(t, "garage", N.HEMS_DEDICATED), "ev2", K.HEMS_APPLIANCE, "garage"
        ),
        "G.9958 6.3.2",
        "ev2 shall communicate with a HEMS controller over a HEMS-dedicated home network",
        ("ev2", "hems"),
    ),
    # 6.4.1: everything on the general-purpose home network, the gateway routes to the WAN
    "6.4.1 home gateway routes home and WAN": Case(
        "6.4.1",
        lambda t: replace(t, routes=()),
        "G.9958 6.4.1",
        "the home gateway shall route between the general-purpose home network and "
        "the general-purpose network (WAN)",
        ("gw",),
    ),
    "6.4.1 a home gateway": Case(
        "6.4.1",
        lambda t: remove(t, "gw"),
        "G.9958 6.4",
        "configuration 6.4.1 needs a home gateway",
        (),
    ),
    "6.4.1 gateway on the WAN": Case(
        "6.4.1",
        lambda t: replace(detach(t, "gw", "wan"), routes=()),
        "G.9958 6.4",
        "a home gateway shall be connected to a general-purpose network (WAN)",
        ("gw",),
    ),
    "6.4.1 appliance on the home network": Case(
        "6.4.1",
        lambda t: attach(add_network(t, "energy", N.HEMS_DEDICATED), "battery", "energy"),
        "G.9958 6.4.1",
        "a HEMS-managed appliance shall not be attached to a HEMS-dedicated home network",
        ("battery", "energy"),
    ),
    "6.4.1 provider off premises": Case(
        "6.4.1",
        lambda t: attach(t, "provider", "home"),
        "G.9958 6.4",
        "a HEMS service provider shall not be attached to a general-purpose home network",
        ("provider", "home"),
    ),
    "6.4.1 only the gateway routes": Case(
        "6.4.1",
        lambda t: route(attach(t, "hems", "wan"), "hems", "home", "wan"),
        "G.9958 3.2.1.3",
        "only a home gateway routes",
        ("hems", "home", "wan"),
    ),
    "6.4.1 meter talks to the controller": Case(
        "6.4.1",
        lambda t: detach(t, "hems", "home"),
        "G.9958 6.4.1",
        "meter shall communicate with a HEMS controller over a general-purpose home network",
        ("meter", "hems"),
    ),
    # 6.4.2: appliances on dedicated networks behind the controller
    "6.4.2 home gateway routes home and WAN": Case(
        "6.4.2",
        lambda t: replace(t, routes=()),
        "G.9958 3.2.1.3",  # 6.4.2 itself says nothing of routing; the definition does
        "the home gateway shall route between the general-purpose home network and "
        "the general-purpose network (WAN)",
        ("gw",),
    ),
    "6.4.2 appliance not on the home network": Case(
        "6.4.2",
        lambda t: attach(t, "light", "home"),
        "G.9958 6.4.2",
        "a HEMS-managed appliance shall not be attached to a general-purpose home network",
        ("light", "home"),
    ),
    "6.4.2 controller on the home network": Case(
        "6.4.2",
        lambda t: detach(t, "hems", "home"),
        "G.9958 6.4.2",
        "a HEMS controller shall be connected to a general-purpose home network",
        ("hems",),
    ),
    "6.4.2 controller talks to the gateway": Case(
        "6.4.2",
        lambda t: detach(t, "hems", "home"),
        "G.9958 6.4.2",
        "hems shall communicate with a home gateway over a general-purpose home network",
        ("hems", "gw"),
    ),
    "6.4.2 gateway on the home network": Case(
        "6.4.2",
        lambda t: replace(detach(t, "gw", "home"), routes=()),
        "G.9958 6.4",
        "a home gateway shall be connected to a general-purpose home network",
        ("gw",),
    ),
    "6.4.2 gateway does not route a dedicated network": Case(
        "6.4.2",
        lambda t: route(attach(t, "gw", "energy"), "gw", "energy", "wan"),
        "G.9958 6.4.2",
        "a HEMS-dedicated home network is operated independently",
        ("gw", "energy", "wan"),
    ),
    "6.4.2 gateway not on a dedicated network": Case(
        "6.4.2",
        lambda t: attach(t, "gw", "energy"),
        "G.9958 6.4",
        "a home gateway shall not be attached to a HEMS-dedicated home network",
        ("gw", "energy"),
    ),
    "6.4.2 dedicated networks operate independently": Case(
        "6.4.2",
        lambda t: route(t, "hems", "energy", "comfort"),
        "G.9958 6.4.2",
        "a HEMS-dedicated home network is operated independently",
        ("hems", "energy", "comfort"),
    ),
    "6.4.2 meter on the home network": Case(
        "6.4.2",
        lambda t: attach(detach(t, "meter", "home"), "meter", "energy"),
        "G.9958 6.4.2",
        "a smart meter shall not be attached to a HEMS-dedicated home network",
        ("meter", "energy"),
    ),
    # 6.4.3: Route B, a dedicated network of the meter and its controller only
    "6.4.3 meter on the dedicated network": Case(
        "6.4.3",
        lambda t: detach(t, "meter", "routeb"),
        "G.9958 6.4.3",
        "a smart meter shall be connected to a HEMS-dedicated home network",
        ("meter",),
    ),
    "6.4.3 meter not on the home network": Case(
        "6.4.3",
        lambda t: attach(t, "meter", "home"),
        "G.9958 6.4.3",
        "a smart meter shall not be attached to a general-purpose home network",
        ("meter", "home"),
    ),
    "6.4.3 meter on a single dedicated network": Case(
        "6.4.3",
        lambda t: attach(t, "meter", "energy"),
        "G.9958 6.4.3",
        "a smart meter shall be connected to a single HEMS-dedicated home network",
        ("meter", "routeb", "energy"),
    ),
    "6.4.3 meter talks to its controller": Case(
        "6.4.3",
        lambda t: detach(t, "hems", "routeb"),
        "G.9958 6.4.3",
        "meter shall communicate with a HEMS controller over a HEMS-dedicated home network",
        ("meter", "hems"),
    ),
    "I.2 one controller per meter": Case(
        "6.4.3",
        lambda t: add(t, "hems2", K.HEMS_CONTROLLER, "routeb", "home"),
        "G.9958 I.2",
        "multiple HEMS controllers shall not be connected to a single smart meter",
        ("hems", "hems2", "routeb"),
    ),
    "I.2 no appliance on Route B": Case(
        "6.4.3",
        lambda t: attach(t, "battery", "routeb"),
        "G.9958 I.2",
        "Route B joins only the smart meter and its controller, not a HEMS-managed appliance",
        ("battery", "routeb"),
    ),
    "I.2 controller does not route Route B": Case(
        "6.4.3",
        lambda t: route(t, "hems", "routeb", "energy"),
        "G.9958 I.2",
        "communication on Route B shall not be routed to other networks",
        ("hems", "routeb", "energy"),
    ),
    "I.2 gateway does not route Route B": Case(
        "6.4.3",
        lambda t: route(attach(t, "gw", "routeb"), "gw", "routeb", "wan"),
        "G.9958 I.2",
        "communication on Route B shall not be routed to other networks",
        ("gw", "routeb", "wan"),
    ),
    "6.4.3 appliance reaches the controller": Case(
        "6.4.3",
        lambda t: detach(t, "hems", "energy"),
        "G.9958 6.4.3",
        "battery shall communicate with a HEMS controller over a HEMS-dedicated home network",
        ("battery", "hems"),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_reference_keeps_the_rule_and_the_edit_breaks_it(case: Case) -> None:
    reference = reference_topology(case.configuration)
    assert check(reference) == []
    found = [v for v in check(case.edit(reference)) if case.message in v.message]
    assert found == [Violation(case.clause, found[0].message if found else "", case.components)]


STRUCTURE = {
    "unknown component": (lambda t: attach(t, "ghost", "home"), "attachment of unknown component"),
    "unknown network": (lambda t: attach(t, "tv", "attic"), "tv is attached to unknown network"),
    "unknown router": (lambda t: route(t, "ghost", "home", "wan"), "through unknown component"),
    "unknown routed network": (lambda t: route(t, "gw", "home", "attic"), "unknown network attic"),
    "router off a network": (
        lambda t: route(t, "gw", "home", "utility"),
        "is not attached to both",
    ),
    "route to itself": (lambda t: route(t, "gw", "home", "home"), "two different networks"),
    "duplicate names": (lambda t: add(t, "home", K.NON_HEMS_APPLIANCE), "are named home"),
}


@pytest.mark.parametrize(("edit", "message"), STRUCTURE.values(), ids=STRUCTURE.keys())
def test_names_that_refer_to_nothing_are_violations(
    edit: Callable[[Topology], Topology], message: str
) -> None:
    violations = check(edit(reference_topology("6.4.2")))
    assert [v.clause for v in violations if message in v.message] == ["G.9958 5"]


def test_unknown_configuration_is_a_violation_of_table_1() -> None:
    topology = replace(reference_topology("6.4.3"), configuration="6.5")
    assert check(topology) == [
        Violation(
            "G.9958 6.1",
            "configuration '6.5' is not one of Table 1: 6.2, 6.3.1, 6.3.2, 6.4.1, 6.4.2, 6.4.3",
            (),
        )
    ]


def test_a_topology_claiming_the_wrong_configuration_breaks_its_rules() -> None:
    claimed = replace(reference_topology("6.4.3"), configuration="6.4.2")
    clauses = {v.clause for v in check(claimed)}
    assert "G.9958 6.4.2" in clauses


def test_violation_prints_clause_message_and_components() -> None:
    violation = Violation("G.9958 I.2", "two controllers", ("hems", "hems2"))
    assert str(violation) == "G.9958 I.2: two controllers (components: hems, hems2)"


def test_a_route_by_a_router_off_its_networks_does_not_connect() -> None:
    topology = reference_topology("6.4.1")
    stray = replace(topology, routes=(Route("tv", ("home", "wan")),))
    assert {v.clause for v in check(stray)} >= {"G.9958 5", "G.9958 6.4.1"}


def test_component_lookup_fails_for_unknown_names() -> None:
    topology = reference_topology("6.2")
    assert topology.component("meter") == Component("meter", K.SMART_METER)
    with pytest.raises(KeyError):
        topology.component("ghost")
    with pytest.raises(KeyError):
        topology.network("attic")
