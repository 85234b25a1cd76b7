"""The ITU-T G.9958 home network for energy management, as data and rules (no I/O).

A :class:`Topology` (components, networks, attachments, routes) claims one configuration of
[G.9958 Table 1]; :func:`check` lists every rule of that configuration it breaks, and
:func:`expected_paths` says which component must (and must not) reach which, over what. See
docs/homenet.md.
"""

from __future__ import annotations

from hemsnet.homenet.configurations import CONFIGURATIONS
from hemsnet.homenet.diagram import diagram
from hemsnet.homenet.model import (
    Attachment,
    Component,
    ComponentKind,
    Network,
    NetworkKind,
    PathRule,
    Protocol,
    Route,
    Topology,
    Violation,
)
from hemsnet.homenet.paths import expected_paths
from hemsnet.homenet.rules import check
from hemsnet.homenet.topology import load_topology, parse_topology, reference_topology

__all__ = [
    "CONFIGURATIONS",
    "Attachment",
    "Component",
    "ComponentKind",
    "Network",
    "NetworkKind",
    "PathRule",
    "Protocol",
    "Route",
    "Topology",
    "Violation",
    "check",
    "diagram",
    "expected_paths",
    "load_topology",
    "parse_topology",
    "reference_topology",
]
