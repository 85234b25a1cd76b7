"""The six configurations of [G.9958 Table 1] as data: attachments, routes and paths.

Each :class:`Configuration` says, for one clause of Table 1 (6.2, 6.3.1, 6.3.2, 6.4.1, 6.4.2,
6.4.3), which networks each kind of component may and must be attached to (its "(1) Physical
configuration"), which routes may and must exist, and which pairs of components may
communicate over which kinds of network (its "(2) Communication paths"). A pair that no
:class:`Talk` names is forbidden: [G.9958 6] asks for isolated communication paths, and a
:class:`Forbid` gives the clause that forbids a pair by name. Where the text is silent the
choice is recorded in docs/homenet.md (decisions H1...) and cited here as such.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from hemsnet.homenet.model import ComponentKind, NetworkKind

__all__ = [
    "CONFIGURATIONS",
    "DEFAULT_FORBID_CLAUSE",
    "SPECS",
    "Attach",
    "Configuration",
    "Forbid",
    "RouteRule",
    "Talk",
]

_METER = ComponentKind.SMART_METER
_HEMS = ComponentKind.HEMS_CONTROLLER
_APP = ComponentKind.HEMS_APPLIANCE
_OTHER = ComponentKind.NON_HEMS_APPLIANCE
_GW = ComponentKind.HOME_GATEWAY
_HEAD_END = ComponentKind.UTILITY_HEAD_END
_PROVIDER = ComponentKind.HEMS_PROVIDER

_UTILITY = NetworkKind.UTILITY
_WAN = NetworkKind.GENERAL_PURPOSE
_HOME = NetworkKind.GENERAL_PURPOSE_HOME
_DEDICATED = NetworkKind.HEMS_DEDICATED

#: Pairs that no rule lets communicate: clause 6 isolates communication paths.
DEFAULT_FORBID_CLAUSE: Final = "G.9958 6"


@dataclass(frozen=True, slots=True)
class Attach:
    """A kind of component: the network kinds it may use and those it must use (one each)."""

    kind: ComponentKind
    may: frozenset[NetworkKind]
    must: frozenset[NetworkKind]
    clause: str
    at_least: int = 0  # how many of this kind the home must have
    at_most: int | None = None


@dataclass(frozen=True, slots=True)
class RouteRule:
    """A kind of component that may (and, if ``required``, must) route between two kinds."""

    router: ComponentKind
    networks: frozenset[NetworkKind]
    required: bool
    clause: str


@dataclass(frozen=True, slots=True)
class Talk:
    """Two kinds (one, for peers) that may communicate, crossing only networks of ``over``.

    ``required``: every component of that kind must reach a component of the other kind.
    """

    kinds: frozenset[ComponentKind]
    over: frozenset[NetworkKind]
    clause: str
    required: ComponentKind | None = None


@dataclass(frozen=True, slots=True)
class Forbid:
    """A pair of kinds that the text forbids by name, and the words that forbid it."""

    kinds: frozenset[ComponentKind]
    clause: str
    reason: str


@dataclass(frozen=True, slots=True)
class Configuration:
    """One row group of [G.9958 Table 1] and the clause that describes it."""

    id: str
    title: str
    attach: tuple[Attach, ...]  # a kind with no entry has no place in the configuration
    routes: tuple[RouteRule, ...]
    talks: tuple[Talk, ...]
    forbids: tuple[Forbid, ...]
    route_b: bool = False  # Appendix I (Route B, I.2) describes this configuration

    @property
    def clause(self) -> str:
        return f"G.9958 {self.id}"

    def attach_of(self, kind: ComponentKind) -> Attach | None:
        return next((a for a in self.attach if a.kind is kind), None)

    def talk_of(self, a: ComponentKind, b: ComponentKind) -> Talk | None:
        return next((t for t in self.talks if t.kinds == {a, b}), None)

    def forbid_of(self, a: ComponentKind, b: ComponentKind) -> Forbid | None:
        return next((f for f in self.forbids if f.kinds == {a, b}), None)

    @property
    def network_kinds(self) -> frozenset[NetworkKind]:
        return frozenset().union(*(a.may for a in self.attach))


def _nets(*kinds: NetworkKind) -> frozenset[NetworkKind]:
    return frozenset(kinds)


def _pair(a: ComponentKind, b: ComponentKind) -> frozenset[ComponentKind]:
    return frozenset({a, b})


def _attach(
    kind: ComponentKind,
    nets: frozenset[NetworkKind],
    clause: str,
    at_least: int = 0,
    at_most: int | None = None,
) -> Attach:
    """Table 1 marks are connections the configuration requires: ``may`` equals ``must``."""
    return Attach(kind, nets, nets, clause, at_least, at_most)


# The smart meter and the utility's head-end are the same in every configuration [6.2(1)]:
# "one smart meter per contractor", connected to the utility network as a client.
def _meter(clause: str, home: NetworkKind | None) -> Attach:
    nets = _nets(_UTILITY) if home is None else _nets(_UTILITY, home)
    return _attach(_METER, nets, clause, at_least=1, at_most=1)


_HEAD_END_ATTACH: Final = _attach(_HEAD_END, _nets(_UTILITY), "G.9958 I.1")
_METER_HEAD_END: Final = Talk(_pair(_METER, _HEAD_END), _nets(_UTILITY), "G.9958 6.2", _METER)
_HEAD_END_ONLY: Final = "the utility network carries only the meter's data: no data shall leak"
_OFF_PREMISES: Final = (
    "the utility shares data with the HEMS provider off premises, not in the home"
)


def _head_end_forbids() -> tuple[Forbid, ...]:
    """[G.9958 6.2(2)]: the meter-utility path is secured and leaks to no other path.

    The utility and the HEMS provider do exchange data [G.9958 I.1(1), I.1(3)], but between
    their own systems: no network of the home joins them (decision H15).
    """
    others = (_HEMS, _APP, _OTHER, _GW)
    return (
        *(Forbid(_pair(_HEAD_END, k), "G.9958 6.2", _HEAD_END_ONLY) for k in others),
        Forbid(_pair(_HEAD_END, _PROVIDER), "G.9958 I.1", _OFF_PREMISES),
    )


def _non_hems_forbids(clause: str) -> tuple[Forbid, ...]:
    """[G.9958 3.2.1.4, 3.2.1.5]: no HEMS control of non-HEMS appliances, no open meter."""
    return (
        Forbid(_pair(_OTHER, _HEMS), "G.9958 3.2.1.4", "a non-HEMS appliance is not managed"),
        Forbid(_pair(_OTHER, _METER), "G.9958 3.2.1.5", "the meter gives users no open access"),
        Forbid(_pair(_OTHER, _APP), clause, "HEMS and other services are isolated"),
    )


_CONFIG_6_2: Final = Configuration(
    id="6.2",
    title="Monitor of power consumption",
    attach=(_meter("G.9958 6.2", None), _HEAD_END_ATTACH),
    routes=(),
    talks=(_METER_HEAD_END,),
    forbids=_head_end_forbids(),
)

_CONFIG_6_3_1: Final = Configuration(
    id="6.3.1",
    title="General purpose home network oriented configuration",
    attach=(
        _meter("G.9958 6.3.1", _HOME),
        _attach(_HEMS, _nets(_HOME, _DEDICATED), "G.9958 6.3.1", at_least=1),
        _attach(_APP, _nets(_DEDICATED), "G.9958 6.3.1"),
        _attach(_OTHER, _nets(_HOME), "G.9958 3.2.1.4"),
        _HEAD_END_ATTACH,
    ),
    routes=(),
    talks=(
        _METER_HEAD_END,
        Talk(_pair(_METER, _HEMS), _nets(_HOME), "G.9958 6.3.1", _METER),
        Talk(_pair(_HEMS, _APP), _nets(_DEDICATED), "G.9958 6.3.1", _APP),
        Talk(_pair(_APP, _APP), _nets(_DEDICATED), "G.9958 3.2.2.1"),  # H4
        Talk(_pair(_OTHER, _OTHER), _nets(_HOME), "G.9958 3.2.2.2"),
    ),
    forbids=(
        Forbid(_pair(_METER, _APP), "G.9958 6.3.1", "the meter shall not talk to appliances"),
        *_non_hems_forbids("G.9958 6.3.1"),
        *_head_end_forbids(),
    ),
)

_CONFIG_6_3_2: Final = Configuration(
    id="6.3.2",
    title="Dedicated home network oriented configuration",
    attach=(
        _meter("G.9958 6.3.2", _DEDICATED),
        _attach(_HEMS, _nets(_DEDICATED), "G.9958 6.3.2", at_least=1),
        _attach(_APP, _nets(_DEDICATED), "G.9958 6.3.2"),
        # "a general purpose home network may be present, but it is not involved" [6.3.2]
        _attach(_OTHER, _nets(_HOME), "G.9958 6.3.2"),
        _HEAD_END_ATTACH,
    ),
    routes=(),
    talks=(
        _METER_HEAD_END,
        Talk(_pair(_METER, _HEMS), _nets(_DEDICATED), "G.9958 6.3.2", _METER),
        Talk(_pair(_HEMS, _APP), _nets(_DEDICATED), "G.9958 6.3.2", _APP),
        Talk(_pair(_APP, _APP), _nets(_DEDICATED), "G.9958 3.2.2.1"),  # H4
        Talk(_pair(_OTHER, _OTHER), _nets(_HOME), "G.9958 3.2.2.2"),
    ),
    forbids=(
        # H3: "not necessary" to talk, and the meter-controller flow is isolated [6.3.2(2)]
        Forbid(_pair(_METER, _APP), "G.9958 6.3.2", "the meter-controller flow is isolated"),
        *_non_hems_forbids("G.9958 6.3.2"),
        *_head_end_forbids(),
    ),
)

# 6.4: "the home gateway shall be installed at the edge of a home network and is connected to
# a general purpose network"; it routes between that network and the home network: 6.4.1(2)
# says so, 6.4.2 and 6.4.3 do not, but 3.2.1.3 makes it "responsible for the transfer of
# information between these networks".
_GW_ATTACH: Final = _attach(_GW, _nets(_HOME, _WAN), "G.9958 6.4", at_least=1)


def _gw_route(clause: str) -> RouteRule:
    return RouteRule(_GW, _nets(_HOME, _WAN), True, clause)


_PROVIDER_ATTACH: Final = _attach(_PROVIDER, _nets(_WAN), "G.9958 6.4")
_INTERNET: Final = _nets(_HOME, _WAN)
_NOT_VIA_GATEWAY: Final = "utility services go through the meter, not the home gateway"


def _utility_not_via_gateway(clause: str) -> tuple[Forbid, ...]:
    """[G.9958 6.4.x(2)]: "must not be provided through the home gateway"."""
    return (
        Forbid(_pair(_METER, _GW), clause, _NOT_VIA_GATEWAY),
        Forbid(_pair(_METER, _PROVIDER), clause, _NOT_VIA_GATEWAY),
    )


_CONFIG_6_4_1: Final = Configuration(
    id="6.4.1",
    title="Integration by general purpose home network",
    attach=(
        _meter("G.9958 6.4.1", _HOME),
        _attach(_HEMS, _nets(_HOME), "G.9958 6.4.1", at_least=1),
        _attach(_APP, _nets(_HOME), "G.9958 6.4.1"),
        _attach(_OTHER, _nets(_HOME), "G.9958 6.4.1"),
        _GW_ATTACH,
        _HEAD_END_ATTACH,
        _PROVIDER_ATTACH,
    ),
    routes=(_gw_route("G.9958 6.4.1"),),
    talks=(
        _METER_HEAD_END,
        Talk(_pair(_METER, _HEMS), _nets(_HOME), "G.9958 6.4.1", _METER),
        Talk(_pair(_HEMS, _APP), _nets(_HOME), "G.9958 6.4.1", _APP),
        # "All components ... in the home can communicate directly with each other" [6.4.1(2)]
        *(
            Talk(_pair(a, b), _nets(_HOME), "G.9958 6.4.1")
            for a, b in ((_APP, _APP), (_OTHER, _OTHER), (_OTHER, _APP), (_OTHER, _HEMS))
        ),
        *(Talk(_pair(_GW, k), _nets(_HOME), "G.9958 6.4.1") for k in (_HEMS, _APP, _OTHER)),
        Talk(_pair(_GW, _PROVIDER), _nets(_WAN), "G.9958 6.4.1"),
        # "allowing components to connect to the Internet as necessary" [6.4.1(2)]
        *(Talk(_pair(_PROVIDER, k), _INTERNET, "G.9958 6.4.1") for k in (_HEMS, _APP, _OTHER)),
    ),
    forbids=(
        # H5: the meter-controller flow is isolated from the other flows [6.4.1(2)]
        *(
            Forbid(_pair(_METER, k), "G.9958 6.4.1", "the meter-controller flow is isolated")
            for k in (_APP, _OTHER)
        ),
        *_utility_not_via_gateway("G.9958 6.4.1"),
        *_head_end_forbids(),
    ),
)


def _dedicated_6_4(clause: str, meter_home: NetworkKind) -> Configuration:
    """6.4.2 and 6.4.3: the same but for where the meter is [6.4.3(1)]."""
    only_hems = "the meter shall only communicate with a HEMS controller"
    no_direct = "HEMS appliances shall not talk to the meter or the home gateway directly"
    meter_forbids = (
        tuple(Forbid(_pair(_METER, k), clause, only_hems) for k in (_APP, _OTHER, _GW, _PROVIDER))
        if clause == "G.9958 6.4.3"
        else (
            Forbid(_pair(_METER, _APP), clause, no_direct),
            Forbid(_pair(_METER, _OTHER), "G.9958 3.2.1.5", "the meter gives no open access"),
            *_utility_not_via_gateway(clause),
        )
    )
    return Configuration(
        id=clause.removeprefix("G.9958 "),
        title=(
            "Exclusive dedicated home networks configuration"
            if clause == "G.9958 6.4.3"
            else "Dedicated home networks to accommodate HEMS-managed home appliances"
        ),
        attach=(
            _meter(clause, meter_home),
            _attach(_HEMS, _nets(_HOME, _DEDICATED), clause, at_least=1),
            _attach(_APP, _nets(_DEDICATED), clause),
            _attach(_OTHER, _nets(_HOME), "G.9958 3.2.1.4"),
            # H2: on the home network too, though Table 1 leaves 6.4.2 unmarked: 6.4.3(1) says
            # its other components are as in 6.4.2, and marks the gateway there
            _GW_ATTACH,
            _HEAD_END_ATTACH,
            _PROVIDER_ATTACH,
        ),
        routes=(_gw_route("G.9958 3.2.1.3"),),
        talks=(
            _METER_HEAD_END,
            Talk(_pair(_METER, _HEMS), _nets(meter_home), clause, _METER),
            Talk(_pair(_HEMS, _APP), _nets(_DEDICATED), clause, _APP),
            Talk(_pair(_APP, _APP), _nets(_DEDICATED), "G.9958 3.2.2.1"),  # H4
            # "the HEMS controller in turn communicates with a smart meter and the Home gateway"
            Talk(_pair(_HEMS, _GW), _nets(_HOME), clause, _HEMS),
            # "services can be provided by communication via the home gateway" [6.4.x(2)]; the
            # 6.4 purpose of Table 1: "these providers can access HEMS controllers through HGW"
            # (Route C of I.1(3) in the Japanese deployment)
            Talk(_pair(_HEMS, _PROVIDER), _INTERNET, clause),
            Talk(_pair(_OTHER, _OTHER), _nets(_HOME), "G.9958 3.2.2.2"),
            Talk(_pair(_OTHER, _GW), _nets(_HOME), "G.9958 3.2.1.3"),
            Talk(_pair(_OTHER, _PROVIDER), _INTERNET, "G.9958 3.2.1.3"),
            Talk(_pair(_GW, _PROVIDER), _nets(_WAN), "G.9958 3.2.1.3"),
        ),
        forbids=(
            *meter_forbids,
            Forbid(_pair(_APP, _GW), clause, no_direct),
            Forbid(_pair(_APP, _PROVIDER), clause, no_direct),
            Forbid(_pair(_OTHER, _HEMS), "G.9958 3.2.1.4", "a non-HEMS appliance is not managed"),
            Forbid(_pair(_OTHER, _APP), clause, "HEMS and other services are isolated"),
            *_head_end_forbids(),
        ),
        route_b=clause == "G.9958 6.4.3",
    )


#: Every configuration of Table 1, by clause.
SPECS: Final[Mapping[str, Configuration]] = {
    c.id: c
    for c in (
        _CONFIG_6_2,
        _CONFIG_6_3_1,
        _CONFIG_6_3_2,
        _CONFIG_6_4_1,
        _dedicated_6_4("G.9958 6.4.2", _HOME),
        _dedicated_6_4("G.9958 6.4.3", _DEDICATED),
    )
}

#: The clauses of Table 1, in order.
CONFIGURATIONS: Final[tuple[str, ...]] = tuple(SPECS)
