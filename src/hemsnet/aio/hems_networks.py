"""The HEMS networks whose appliances the controller reads (``--hems-iface IF``).

Each interface gets its own :class:`~hemsnet.controller.appliances.ApplianceMonitor` and UDP
socket, so that the networks are run independently of each other and of Route B
[G.9958 6.4.2, I.2]. The Route B interface itself may be named when the appliances share the
meter's network [G.9958 6.3.2, 6.4.1]: its monitor then shares the Route B socket
(:class:`~hemsnet.aio.shared_link.SharedLink`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime

from hemsnet.aio.shared_link import SharedLink
from hemsnet.aio.udp import DatagramLink, Interface, UdpTransport, peer_identity
from hemsnet.controller.appliances import ApplianceMonitor
from hemsnet.controller.config import ApplianceConfig
from hemsnet.controller.engine import ControllerEngine
from hemsnet.echonet.tid import TidAllocator
from hemsnet.errors import ConfigError

__all__ = ["HemsNetworks", "RouteBLane"]


class RouteBLane:
    """The Route B engine's lane as the gate of the monitor that shares its network (C24): a
    discovery spawns a task in the engine, so ``on_wake`` re-arms the Route B runner."""

    def __init__(self, engine: ControllerEngine) -> None:
        self.engine = engine
        self.on_wake: Callable[[], None] | None = None

    def discover_nodes(self, now: datetime) -> None:
        self.engine.discover_nodes(now)
        if self.on_wake is not None:
            self.on_wake()


class HemsNetworks:
    """One appliance monitor and socket per ``--hems-iface``, opened at once so that a bad
    interface stops the command before it starts. :attr:`route_b` is what the Route B runner
    uses: its socket, or its share of it when a monitor shares the interface."""

    def __init__(
        self,
        names: Sequence[str],
        engine: ControllerEngine,
        route_b: DatagramLink,
        config: ApplianceConfig,
        now: datetime,
        links: Sequence[tuple[DatagramLink, tuple[Hashable, ...]]] = (),
    ) -> None:
        if len(set(names)) < len(names):
            raise ConfigError(f"--hems-iface {', '.join(names)}: an interface is given twice")
        self.route_b = route_b
        self.shared: str | None = None  # the Route B interface, when a monitor shares it
        self.gate: RouteBLane | None = None  # then its monitor's way to the meter's lane
        self.monitors: list[tuple[ApplianceMonitor, DatagramLink]] = []
        for name in names:
            if route_b.iface is not None and name == route_b.iface.name:
                link = SharedLink(route_b, engine)
                self.route_b, self.shared = link.route_b, name
                # One TID allocator and one lane to the meter for both (C24)
                self.gate = RouteBLane(engine)
                monitor = ApplianceMonitor(
                    config, now=now, identify=peer_identity, tids=engine.tids, gate=self.gate
                )
                self.monitors.append((monitor, link.appliances))
            else:
                own = TidAllocator(secrets.randbelow)
                monitor = ApplianceMonitor(config, now=now, identify=peer_identity, tids=own)
                self.monitors.append((monitor, _open(name)))
        for given, peers in links:  # open already, its nodes given (the demo's loopback)
            own = TidAllocator(secrets.randbelow)
            monitor = ApplianceMonitor(
                config, now=now, identify=peer_identity, tids=own, peers=peers
            )
            self.monitors.append((monitor, given))

    def describe(self) -> str:
        """For the start line: ``; HEMS networks eth1, eth2`` (nothing without any), the
        Route B one marked ``(shared with Route B)``."""
        names = [
            t.iface.name + (" (shared with Route B)" if t.iface.name == self.shared else "")
            for _, t in self.monitors
            if t.iface is not None
        ]
        return f"; HEMS networks {', '.join(names)}" if names else ""


def _open(name: str) -> UdpTransport:
    iface = Interface.lookup(name)
    try:
        return UdpTransport(iface)
    except OSError as exc:
        raise ConfigError(f"cannot use {name}: {exc.strerror or exc}") from None
