"""How packets can physically get from one component to another in a topology.

A shared network carries a packet directly; otherwise it crosses networks joined by the
topology's routes (a route counts only when its router is attached to both networks), and
may do so only through the routes its configuration allows. Link-
scope multicast never crosses a router.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection

from hemsnet.homenet.configurations import Configuration
from hemsnet.homenet.model import NetworkKind, Topology

__all__ = ["LiveRoute", "live_routes", "permitted_routes", "physical_path"]

#: A route in force: (router, network, network).
LiveRoute = tuple[str, str, str]


def live_routes(topology: Topology) -> list[LiveRoute]:
    """(router, network, network) of every route whose router is attached to both networks."""
    known = {n.name for n in topology.networks}
    routers = {c.name for c in topology.components}
    live = []
    for route in topology.routes:
        if route.router not in routers:
            continue
        attached = {n.name for n in topology.networks_of(route.router)}
        a, b = route.networks
        if a != b and {a, b} <= attached & known:
            live.append((route.router, a, b))
    return live


def permitted_routes(spec: Configuration, topology: Topology) -> list[LiveRoute]:
    """The live routes ``spec`` allows: by the right kind of router, between the right kinds."""
    kinds = {n.name: n.kind for n in topology.networks}
    routers = {c.name: c.kind for c in topology.components}
    return [
        (router, a, b)
        for router, a, b in live_routes(topology)
        if any(
            r.router is routers[router] and r.networks == {kinds[a], kinds[b]} for r in spec.routes
        )
    ]


def _routed(
    topology: Topology,
    source: str,
    target: str,
    kinds: Collection[NetworkKind] | None,
    routes: Collection[LiveRoute],
) -> tuple[str, ...]:
    """The shortest chain of networks from ``source`` to ``target`` through ``routes``."""
    usable = {n.name for n in topology.networks if kinds is None or n.kind in kinds}
    starts = [n.name for n in topology.networks_of(source) if n.name in usable]
    goals = {n.name for n in topology.networks_of(target)}
    joined: dict[str, list[str]] = {}
    for _, a, b in routes:
        if a in usable and b in usable:
            joined.setdefault(a, []).append(b)
            joined.setdefault(b, []).append(a)
    came_from: dict[str, str | None] = dict.fromkeys(starts)
    queue = deque(starts)
    while queue:
        network = queue.popleft()
        if network in goals:
            chain = [network]
            while (previous := came_from[chain[-1]]) is not None:
                chain.append(previous)
            return tuple(reversed(chain))
        for neighbour in joined.get(network, ()):
            if neighbour not in came_from:
                came_from[neighbour] = network
                queue.append(neighbour)
    return ()


def physical_path(
    topology: Topology,
    source: str,
    target: str,
    over: Collection[NetworkKind],
    permitted: Collection[LiveRoute],
    *,
    multicast: bool,
) -> tuple[tuple[str, ...], bool]:
    """The networks a packet from ``source`` to ``target`` crosses, and whether it may.

    It may when it stays on the kinds ``over`` and crosses only ``permitted`` routes; such a
    path is preferred to any other. ``()`` when nothing connects the two (for multicast: when
    they share no network).
    """
    stages = ((over, permitted), (None, live_routes(topology)))
    for kinds, routes in stages:
        shared = [
            n.name
            for n in topology.networks_of(source)
            if n in topology.networks_of(target) and (kinds is None or n.kind in kinds)
        ]
        if shared:
            return (shared[0],), kinds is not None
        if not multicast and (chain := _routed(topology, source, target, kinds, routes)):
            return chain, kinds is not None
    return (), False
