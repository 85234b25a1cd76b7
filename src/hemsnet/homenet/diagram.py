"""A Mermaid flowchart of a topology: components, the networks they attach to, the routes.

docs/homenet.md shows one per reference topology; a test keeps them equal to this output.
"""

from __future__ import annotations

from hemsnet.homenet.model import Topology

__all__ = ["diagram"]


def _id(prefix: str, name: str) -> str:
    return f"{prefix}_{name.replace('-', '_')}"  # names never hold "_", so ids stay distinct


def diagram(topology: Topology) -> str:
    """Mermaid source: networks as hexagons, components as boxes, routes as dotted links."""
    lines = ["flowchart LR"]
    for network in topology.networks:
        lines.append(
            f'    {_id("n", network.name)}{{{{"{network.name}<br/>{network.kind.value}"}}}}'
        )
    for component in topology.components:
        label = f"{component.name}<br/>{component.kind.value}"
        if component.device_class is not None:
            label += f" {component.device_class}"
        lines.append(f'    {_id("c", component.name)}["{label}"]')
    for attachment in topology.attachments:
        lines.append(f"    {_id('c', attachment.component)} --- {_id('n', attachment.network)}")
    for route in topology.routes:
        a, b = route.networks
        lines.append(f'    {_id("n", a)} -. "routed by {route.router}" .- {_id("n", b)}')
    return "\n".join(lines) + "\n"
