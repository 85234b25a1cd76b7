"""The expected matrix: complete, symmetric, and as the clauses say."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemsnet.homenet import (
    CONFIGURATIONS,
    Attachment,
    Component,
    ComponentKind,
    Network,
    NetworkKind,
    PathRule,
    Protocol,
    Route,
    Topology,
    check,
    expected_paths,
    reference_topology,
)
from tests.unit.homenet.edits import add, route


def _matrix(topology: Topology) -> dict[tuple[str, str, Protocol], PathRule]:
    return {(r.source, r.target, r.protocol): r for r in expected_paths(topology)}


def _allowed(configuration: str, protocol: Protocol = Protocol.ECHONET_UNICAST) -> set[str]:
    return {
        f"{r.source}>{r.target}"
        for r in expected_paths(reference_topology(configuration))
        if r.protocol is protocol and r.allowed
    }


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_every_ordered_pair_and_protocol_has_one_rule(configuration: str) -> None:
    topology = reference_topology(configuration)
    rules = expected_paths(topology)
    names = [c.name for c in topology.components]
    pairs = {(a, b, p) for a in names for b in names if a != b for p in Protocol}
    assert len(rules) == len(pairs)
    assert {(r.source, r.target, r.protocol) for r in rules} == pairs


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_matrix_is_symmetric(configuration: str) -> None:
    matrix = _matrix(reference_topology(configuration))
    for (source, target, protocol), rule in matrix.items():
        back = matrix[(target, source, protocol)]
        assert (back.allowed, back.clause) == (rule.allowed, rule.clause)
        assert back.via == tuple(reversed(rule.via))


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_multicast_stays_on_one_network_and_unicast_agrees_with_ping(configuration: str) -> None:
    matrix = _matrix(reference_topology(configuration))
    for (source, target, protocol), rule in matrix.items():
        if protocol is Protocol.ECHONET_MULTICAST:
            assert len(rule.via) <= 1
            assert not rule.allowed or matrix[(source, target, Protocol.ICMPV6)].allowed
        if protocol is Protocol.ICMPV6:
            assert rule == replace(
                matrix[(source, target, Protocol.ECHONET_UNICAST)], protocol=protocol
            )


def test_6_2_the_meter_talks_to_the_utility_only() -> None:
    assert _allowed("6.2") == {"meter>headend", "headend>meter"}


def test_6_4_3_the_meter_talks_only_to_its_controller_over_route_b() -> None:
    matrix = _matrix(reference_topology("6.4.3"))
    meter_peers = {t for (s, t, p), r in matrix.items() if s == "meter" and r.allowed}
    assert meter_peers == {"hems", "headend"}
    assert matrix[("meter", "hems", Protocol.ECHONET_MULTICAST)].via == ("routeb",)


@pytest.mark.parametrize("configuration", ["6.4.2", "6.4.3"])
def test_appliances_never_reach_the_meter_or_the_gateway(configuration: str) -> None:
    allowed = _allowed(configuration)
    for appliance in reference_topology(configuration).of_kind(ComponentKind.HEMS_APPLIANCE):
        for other in ("meter", "gw", "provider", "tv"):
            assert f"{appliance.name}>{other}" not in allowed


@pytest.mark.parametrize("configuration", ["6.4.1", "6.4.2", "6.4.3"])
def test_route_c_goes_through_the_gateway_and_utility_services_do_not(configuration: str) -> None:
    matrix = _matrix(reference_topology(configuration))
    route_c = matrix[("hems", "provider", Protocol.ECHONET_UNICAST)]
    assert (route_c.allowed, route_c.via) == (True, ("home", "wan"))
    assert not matrix[("hems", "provider", Protocol.ECHONET_MULTICAST)].allowed
    for target in ("gw", "provider"):
        assert not matrix[("meter", target, Protocol.ECHONET_UNICAST)].allowed


def test_a_forbidden_pair_on_a_shared_network_keeps_its_physical_path() -> None:
    rule = _matrix(reference_topology("6.4.1"))[("meter", "tv", Protocol.ECHONET_MULTICAST)]
    assert (rule.allowed, rule.via, rule.clause) == (False, ("home",), "G.9958 6.4.1")


def test_appliances_on_separate_dedicated_networks_are_not_connected() -> None:
    rule = _matrix(reference_topology("6.4.2"))[("battery", "light", Protocol.ICMPV6)]
    assert (rule.allowed, rule.via) == (False, ())
    assert _matrix(reference_topology("6.4.2"))[("battery", "pv", Protocol.ICMPV6)].allowed


def test_a_forbidden_route_connects_but_does_not_allow() -> None:
    routed = route(reference_topology("6.4.2"), "hems", "energy", "comfort")
    rule = _matrix(routed)[("battery", "light", Protocol.ICMPV6)]
    assert (rule.allowed, rule.via) == (False, ("energy", "comfort"))


def test_two_controllers_do_not_talk_to_each_other() -> None:
    topology = add(reference_topology("6.4.2"), "hems2", ComponentKind.HEMS_CONTROLLER, "home")
    rule = _matrix(topology)[("hems", "hems2", Protocol.ICMPV6)]
    assert (rule.allowed, rule.via, rule.clause) == (False, ("home",), "G.9958 6")


# Random homes: a few components and networks of any kind, attached and routed at random.
_NAMES = ["a", "b", "c", "d", "e", "f"]
_NETS = ["n1", "n2", "n3"]


@st.composite
def _topologies(draw: st.DrawFn) -> Topology:
    components = tuple(
        Component(name, draw(st.sampled_from(ComponentKind)), None)
        for name in draw(st.lists(st.sampled_from(_NAMES), unique=True, max_size=6))
    )
    networks = tuple(
        Network(name, draw(st.sampled_from(NetworkKind)))
        for name in draw(st.lists(st.sampled_from(_NETS), unique=True, max_size=3))
    )
    everyone = [*_NAMES, "ghost"]
    attachments = draw(
        st.lists(st.builds(Attachment, st.sampled_from(everyone), st.sampled_from([*_NETS, "x"])))
    )
    routes = draw(
        st.lists(
            st.builds(
                Route,
                st.sampled_from(everyone),
                st.tuples(st.sampled_from(_NETS), st.sampled_from(_NETS)),
            ),
            max_size=3,
        )
    )
    configuration = draw(st.sampled_from([*CONFIGURATIONS, "6.9"]))
    return Topology(
        "random", configuration, components, networks, tuple(attachments), tuple(routes)
    )


@settings(max_examples=300, deadline=None)
@given(_topologies())
def test_random_homes_never_crash_and_always_get_a_full_matrix(topology: Topology) -> None:
    violations = check(topology)
    assert all(v.clause.startswith("G.9958 ") and "\n" not in v.message for v in violations)
    rules = expected_paths(topology)
    n = len(topology.components)
    assert len(rules) == n * (n - 1) * len(Protocol)


@st.composite
def _edited_references(draw: st.DrawFn) -> Topology:
    """A reference topology with a few attachments dropped and a few added."""
    topology = reference_topology(draw(st.sampled_from(CONFIGURATIONS)))
    kept = [a for a in topology.attachments if draw(st.booleans()) or draw(st.booleans())]
    extra = draw(
        st.lists(
            st.builds(
                Attachment,
                st.sampled_from([c.name for c in topology.components]),
                st.sampled_from([n.name for n in topology.networks]),
            ),
            max_size=2,
        )
    )
    return replace(topology, attachments=tuple(dict.fromkeys([*kept, *extra])))


def _assert_carried(topology: Topology) -> None:
    """Every allowed path leaves from the source's network, reaches the target's, and crosses
    from one network to the next only where a route joins them."""
    routed = {frozenset(route.networks) for route in topology.routes}
    for rule in expected_paths(topology):
        if rule.allowed:
            assert rule.via[0] in {n.name for n in topology.networks_of(rule.source)}
            assert rule.via[-1] in {n.name for n in topology.networks_of(rule.target)}
            assert all(frozenset(hop) in routed for hop in pairwise(rule.via))


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_the_reference_homes_carry_every_path_they_allow(configuration: str) -> None:
    _assert_carried(reference_topology(configuration))


@settings(max_examples=200, deadline=None)
@given(_edited_references())
def test_a_conforming_home_can_carry_every_path_it_allows(topology: Topology) -> None:
    if not check(topology):
        _assert_carried(topology)


def test_6_3_2_the_meter_shares_the_dedicated_network_but_not_with_appliances() -> None:
    matrix = _matrix(reference_topology("6.3.2"))
    rule = matrix[("meter", "battery", Protocol.ECHONET_MULTICAST)]
    assert (rule.allowed, rule.via, rule.clause) == (False, ("hemsnet",), "G.9958 6.3.2")
    assert matrix[("meter", "hems", Protocol.ECHONET_MULTICAST)].allowed


@pytest.mark.parametrize("configuration", ["6.4.2", "6.4.3"])
def test_route_c_is_allowed_by_the_configurations_own_clause(configuration: str) -> None:
    """[G.9958 6.4.2(2), 6.4.3(2)]: "Various home energy management services can be provided
    by communication via the home gateway": normative text, not informative Appendix I."""
    rule = _matrix(reference_topology(configuration))[("hems", "provider", Protocol.ICMPV6)]
    assert (rule.allowed, rule.clause) == (True, f"G.9958 {configuration}")


@pytest.mark.parametrize("configuration", ["6.4.1", "6.4.2", "6.4.3"])
def test_the_utility_and_the_provider_meet_off_premises_only(configuration: str) -> None:
    """[G.9958 I.1(1)]: the utility shares the meter's data with the HEMS provider from its own
    systems; no home network joins them, and 6.2(2) (the meter's path) is not what decides."""
    rule = _matrix(reference_topology(configuration))[("headend", "provider", Protocol.ICMPV6)]
    assert (rule.allowed, rule.via, rule.clause) == (False, (), "G.9958 I.1")
