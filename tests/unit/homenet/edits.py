"""Small edits of a topology, to build violating homes from the reference ones."""

from __future__ import annotations

from dataclasses import replace

from hemsnet.homenet import (
    Attachment,
    Component,
    ComponentKind,
    Network,
    NetworkKind,
    Route,
    Topology,
)


def add(topology: Topology, name: str, kind: ComponentKind, *networks: str) -> Topology:
    """``topology`` with one more component, attached to ``networks``."""
    device_class = "0x027D" if kind is ComponentKind.HEMS_APPLIANCE else None
    return replace(
        topology,
        components=(*topology.components, Component(name, kind, device_class)),
        attachments=(*topology.attachments, *(Attachment(name, n) for n in networks)),
    )


def add_network(topology: Topology, name: str, kind: NetworkKind) -> Topology:
    return replace(topology, networks=(*topology.networks, Network(name, kind)))


def attach(topology: Topology, component: str, network: str) -> Topology:
    return replace(topology, attachments=(*topology.attachments, Attachment(component, network)))


def detach(topology: Topology, component: str, network: str) -> Topology:
    kept = tuple(a for a in topology.attachments if a != Attachment(component, network))
    assert len(kept) < len(topology.attachments), f"{component} is not on {network}"
    return replace(topology, attachments=kept)


def remove(topology: Topology, component: str) -> Topology:
    """``topology`` without ``component``, its attachments and the routes it makes."""
    return replace(
        topology,
        components=tuple(c for c in topology.components if c.name != component),
        attachments=tuple(a for a in topology.attachments if a.component != component),
        routes=tuple(r for r in topology.routes if r.router != component),
    )


def route(topology: Topology, router: str, a: str, b: str) -> Topology:
    return replace(topology, routes=(*topology.routes, Route(router, (a, b))))
