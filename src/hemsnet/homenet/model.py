"""The parts of a home network for energy management, as ITU-T G.9958 names them.

Components are those of [G.9958 3.2.1] plus the two off-premises parties the Recommendation
names: the utility's head-end system / MDMS [G.9958 I.1(1)] and the HEMS service provider
[G.9958 6.4, I.1(3)]. Networks are those of [G.9958 3.2.2]. A topology is plain data; the
rules that judge it are in :mod:`hemsnet.homenet.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = [
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
]


class ComponentKind(Enum):
    """[G.9958 3.2.1] plus the off-premises parties of [G.9958 6.4] and [G.9958 I.1]."""

    SMART_METER = "smart-meter"  # 3.2.1.5
    HEMS_CONTROLLER = "hems-controller"  # 3.2.1.1
    HEMS_APPLIANCE = "hems-appliance"  # 3.2.1.2, HEMS-managed home appliance
    NON_HEMS_APPLIANCE = "non-hems-appliance"  # 3.2.1.4
    HOME_GATEWAY = "home-gateway"  # 3.2.1.3
    UTILITY_HEAD_END = "utility-head-end"  # HES/MDMS, I.1(1): off premises, utility network
    HEMS_PROVIDER = "hems-provider"  # 6.4, I.1(3): off premises, general-purpose network


class NetworkKind(Enum):
    """[G.9958 3.2.2]. Route B is a HEMS-dedicated network [G.9958 I.3], not a kind of its own."""

    UTILITY = "utility"  # 3.2.2.4
    GENERAL_PURPOSE = "general-purpose"  # 3.2.2.3, the WAN
    GENERAL_PURPOSE_HOME = "general-purpose-home"  # 3.2.2.2
    HEMS_DEDICATED = "hems-dedicated"  # 3.2.2.1, possibly several in one home


class Protocol(Enum):
    """What the testbed probes each pair with."""

    ECHONET_UNICAST = "echonet"  # UDP 3610 unicast
    ECHONET_MULTICAST = "echonet-multicast"  # UDP 3610 to ff02::1: link scope, never routed
    ICMPV6 = "icmpv6"  # echo request and reply


@dataclass(frozen=True, slots=True)
class Component:
    """A device or party; ``name`` is ``[a-z0-9-]``, at most 10 characters (it names a netns)."""

    name: str
    kind: ComponentKind
    device_class: str | None = None  # ECHONET class of a HEMS appliance, e.g. "0x027D"


@dataclass(frozen=True, slots=True)
class Network:
    """A network; ``name`` is ``[a-z0-9-]``, at most 10 characters (it names a bridge)."""

    name: str
    kind: NetworkKind


@dataclass(frozen=True, slots=True)
class Attachment:
    """A physical connection of a component to a network [G.9958 5]."""

    component: str
    network: str


@dataclass(frozen=True, slots=True)
class Route:
    """A component that forwards packets between two networks, e.g. the home gateway."""

    router: str
    networks: tuple[str, str]


@dataclass(frozen=True, slots=True)
class Topology:
    """A home and the off-premises parties it talks to, claiming one configuration of Table 1."""

    name: str
    configuration: str  # "6.2", "6.3.1", "6.3.2", "6.4.1", "6.4.2" or "6.4.3"
    components: tuple[Component, ...]
    networks: tuple[Network, ...]
    attachments: tuple[Attachment, ...]
    routes: tuple[Route, ...] = ()

    def component(self, name: str) -> Component:
        """The component called ``name`` (KeyError when there is none)."""
        for component in self.components:
            if component.name == name:
                return component
        raise KeyError(name)

    def network(self, name: str) -> Network:
        """The network called ``name`` (KeyError when there is none)."""
        for network in self.networks:
            if network.name == name:
                return network
        raise KeyError(name)

    def networks_of(self, component: str) -> tuple[Network, ...]:
        """The known networks ``component`` is attached to, in the order of ``networks``."""
        attached = {a.network for a in self.attachments if a.component == component}
        return tuple(n for n in self.networks if n.name in attached)

    def members(self, network: str) -> tuple[Component, ...]:
        """The known components attached to ``network``, in the order of ``components``."""
        attached = {a.component for a in self.attachments if a.network == network}
        return tuple(c for c in self.components if c.name in attached)

    def of_kind(self, kind: ComponentKind) -> tuple[Component, ...]:
        """The components of ``kind``, in order."""
        return tuple(c for c in self.components if c.kind is kind)


@dataclass(frozen=True, slots=True)
class Violation:
    """A rule of the Recommendation that a topology breaks."""

    clause: str  # "G.9958 6.4.3" or "G.9958 I.2"
    message: str  # one line, names the rule broken
    components: tuple[str, ...]  # the components (and networks) involved, by name

    def __str__(self) -> str:
        return f"{self.clause}: {self.message} (components: {', '.join(self.components)})"


@dataclass(frozen=True, slots=True)
class PathRule:
    """Whether packets of ``protocol`` from ``source`` must reach ``target``, and over what.

    ``via`` is the physical path, the networks crossed in order, even when a rule forbids it
    (the testbed then drops the traffic with nftables); ``()`` when nothing connects the two.
    """

    source: str
    target: str
    protocol: Protocol
    allowed: bool
    via: tuple[str, ...]
    clause: str
