"""``hemsnet controller --hems-iface IF``: the HEMS networks whose appliances it reads.

Each interface gets its own :class:`~hemsnet.controller.appliances.ApplianceMonitor` and UDP
socket, so that the networks are run independently of each other and of Route B
[G.9958 6.4.2, I.2].
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime

from hemsnet.aio.appliance_recorder import ApplianceRecorder
from hemsnet.aio.appliances import ApplianceRunner
from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.udp import Interface, UdpTransport, peer_identity, peer_key
from hemsnet.cli.common import CliError
from hemsnet.controller.appliances import ApplianceMonitor
from hemsnet.controller.config import ApplianceConfig
from hemsnet.store import Store

__all__ = ["HemsNetworks", "add_hems_argument"]


def add_hems_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hems-iface",
        action="append",
        default=[],
        metavar="IF",
        help="a HEMS network on which to discover the appliances and read their power every "
        "[appliances] interval (repeatable; not the Route B interface)",
    )


class HemsNetworks:
    """One appliance monitor and socket per ``--hems-iface``, opened at once so that a bad
    interface stops the command before it starts."""

    def __init__(
        self, names: list[str], route_b: Interface, config: ApplianceConfig, now: datetime
    ) -> None:
        if route_b.name in names:  # Route B carries only the meter [G.9958 I.2(3)]
            raise CliError(f"--hems-iface {route_b.name} is the Route B interface (--iface)")
        if len(set(names)) < len(names):
            raise CliError(f"--hems-iface {', '.join(names)}: an interface is given twice")
        self.monitors: list[tuple[ApplianceMonitor, UdpTransport]] = []
        for name in names:
            iface = Interface.lookup(name)
            try:
                transport = UdpTransport(iface)
            except OSError as exc:
                raise CliError(f"cannot use {name}: {exc.strerror or exc}") from None
            monitor = ApplianceMonitor(config, now=now, identify=peer_identity)
            self.monitors.append((monitor, transport))

    def runners(
        self, store: Store, clock: ScaledClock, report: Callable[[str], None]
    ) -> list[ApplianceRunner]:
        return [
            ApplianceRunner(
                monitor, transport, ApplianceRecorder(store, peer_key), clock, report=report
            )
            for monitor, transport in self.monitors
        ]

    def describe(self) -> str:
        """For the start line: ``; HEMS networks eth1, eth2`` (nothing without any)."""
        names = [t.iface.name for _, t in self.monitors if t.iface is not None]
        return f"; HEMS networks {', '.join(names)}" if names else ""

    def status(self) -> str:
        """For the status line: `` | appliances N (M reachable)`` (nothing without networks)."""
        if not self.monitors:
            return ""
        known = sum(monitor.known for monitor, _ in self.monitors)
        reachable = sum(monitor.reachable for monitor, _ in self.monitors)
        return f" | appliances {known} ({reachable} reachable)"
