"""The communication matrix a topology must show: every ordered pair, every protocol.

A pair may communicate when its configuration has a :class:`~.configurations.Talk` for the
two kinds and the packets can get there crossing only the networks that talk allows; link-
scope multicast also needs a shared network. Everything else is forbidden, with the clause
that forbids it by name, or clause 6 (isolated communication paths) when none does.
"""

from __future__ import annotations

from hemsnet.homenet.configurations import (
    DEFAULT_FORBID_CLAUSE,
    SPECS,
    Configuration,
    Talk,
)
from hemsnet.homenet.model import Component, PathRule, Protocol, Topology
from hemsnet.homenet.reach import permitted_routes, physical_path

__all__ = ["expected_paths", "pair_rule"]


def pair_rule(spec: Configuration | None, a: Component, b: Component) -> tuple[Talk | None, str]:
    """The talk that lets ``a`` and ``b`` communicate (or None) and the clause that decides."""
    if spec is None:
        return None, "G.9958 6.1"
    talk = spec.talk_of(a.kind, b.kind)
    if talk is not None:
        return talk, talk.clause
    forbid = spec.forbid_of(a.kind, b.kind)
    return None, forbid.clause if forbid is not None else DEFAULT_FORBID_CLAUSE


def expected_paths(topology: Topology) -> list[PathRule]:
    """One :class:`PathRule` per ordered pair of distinct components and per protocol."""
    spec = SPECS.get(topology.configuration)
    permitted = permitted_routes(spec, topology) if spec is not None else []
    rules = []
    for source in topology.components:
        for target in topology.components:
            if source.name == target.name:
                continue
            talk, clause = pair_rule(spec, source, target)
            over = talk.over if talk is not None else frozenset()
            for protocol in Protocol:
                via, may = physical_path(
                    topology,
                    source.name,
                    target.name,
                    over,
                    permitted,
                    multicast=protocol is Protocol.ECHONET_MULTICAST,
                )
                allowed = talk is not None and may
                rules.append(PathRule(source.name, target.name, protocol, allowed, via, clause))
    return rules
