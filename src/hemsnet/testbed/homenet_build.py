"""Build a topology as real virtual networks, and take it down again.

One namespace per component, one bridge per network (in the switch namespace, which has
IPv6 off: it only switches frames), one veth pair per attachment. Addresses, routes and
forwarding follow the :mod:`~hemsnet.testbed.address_plan`: only routers forward, every other
namespace (the controller's included) has forwarding off [G.9958 I.2(3)]. The firewall rules of
:mod:`~hemsnet.testbed.firewall` are loaded with ``nft -f -``.

Link commands go through ``ip -batch``: one process per namespace rather than one per command.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

from hemsnet.testbed.address_plan import AddressPlan, Port, bridge_name
from hemsnet.testbed.state import TestbedState, save_state

__all__ = [
    "build_networks",
    "delete_namespaces",
    "leftover_namespaces",
    "load_rules",
    "namespace_pids",
    "wire",
]

_NETNS_DIR = Path("/run/netns")


def build_networks(plan: AddressPlan, components: Iterable[str], state: TestbedState) -> None:
    """Namespaces, bridges, links, addresses, routes and forwarding for ``plan``."""
    for namespace in (plan.switch, *(plan.namespace(c) for c in components)):
        state.namespaces.append(namespace)
        save_state(state)  # recorded before it exists: a failure later still removes it
        _run("ip", "netns", "add", namespace)
    # The switch carries frames only: no addresses, no neighbour discovery of its own.
    _sysctl(plan.switch, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
    networks = dict.fromkeys(port.network for port in plan.ports)
    _batch(
        plan.switch,
        [
            command
            for network in networks
            for command in (
                f"link add {bridge_name(network)} type bridge",
                f"link set {bridge_name(network)} up",
            )
        ],
    )
    for port in plan.ports:
        wire(plan, port)
    for component in components:
        namespace = plan.namespace(component)
        forwarding = int(component in plan.routers)
        _sysctl(namespace, f"net.ipv6.conf.all.forwarding={forwarding}")
        routes = [
            f"route add {r.prefix} via {r.gateway} dev {r.iface}"
            for r in plan.routes
            if r.component == component
        ]
        _batch(namespace, ["link set lo up", *routes])


def wire(plan: AddressPlan, port: Port) -> None:
    """One attachment: a veth from the component onto the network's bridge, addressed.

    Also how a test miswires a testbed after ``up`` (a port the plan does not have)."""
    namespace = plan.namespace(port.component)
    _run("ip", "link", "add", port.iface, "netns", namespace, "type", "veth",
         "peer", "name", port.switch_port, "netns", plan.switch)  # fmt: skip
    _batch(
        plan.switch,
        [
            f"link set {port.switch_port} master {bridge_name(port.network)}",
            f"link set {port.switch_port} up",
        ],
    )
    # Fixed addresses without duplicate address detection: usable the moment they are added.
    _batch(
        namespace,
        [
            f"link set {port.iface} addrgenmode none",
            *(f"addr add {address}/64 dev {port.iface} nodad" for address in port.addresses),
            f"link set {port.iface} up",
            # The kernel adds the multicast route when link watch reports the carrier, up to a
            # second later; adding it now makes ff02::1 usable at once.
            f"route replace multicast ff00::/8 dev {port.iface} table local",
        ],
    )


def load_rules(namespace: str, ruleset: str) -> None:
    """Load an nftables ruleset (``nft -f -``) in ``namespace``."""
    _run("ip", "netns", "exec", namespace, "nft", "-f", "-", stdin=ruleset)


def leftover_namespaces(name: str) -> list[str]:
    """Namespaces of testbed ``name``, found by their prefix (with or without a state)."""
    if not _NETNS_DIR.exists():
        return []
    return sorted(
        entry.name
        for entry in _NETNS_DIR.iterdir()
        if entry.name == name or entry.name.startswith(f"{name}-")
    )


def namespace_pids(namespace: str) -> list[int]:
    """The processes in ``namespace`` (``ip netns pids``); none when it is gone."""
    done = subprocess.run(
        ["ip", "netns", "pids", namespace], capture_output=True, text=True, check=False
    )
    return [int(pid) for pid in done.stdout.split()] if done.returncode == 0 else []


def delete_namespaces(namespaces: Iterable[str]) -> None:
    """Delete each namespace that exists; its veths, bridges and nft tables go with it."""
    for namespace in namespaces:
        if (_NETNS_DIR / namespace).exists():
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, check=False)


def _sysctl(namespace: str, *settings: str) -> None:
    _run("ip", "netns", "exec", namespace, "sysctl", "-qw", *settings)


def _batch(namespace: str, commands: list[str]) -> None:
    _run("ip", "-n", namespace, "-batch", "-", stdin="".join(f"{c}\n" for c in commands))


def _run(*command: str, stdin: str | None = None) -> None:
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:6])} failed: {done.stderr.strip()}")
