"""Probe every ordered pair of components with every protocol, and see what arrives.

From each source namespace: an ECHONET Lite datagram (UDP 3611 -> 3610) to every address of
every other component, out of every interface the source really has for link-local targets;
one datagram to ff02::1 port 3610 out of each of its interfaces; an ICMPv6 echo request to
every address of every other component. Arrival is what the target's nft counters saw (see
:mod:`~hemsnet.testbed.counters`), never what the sender believes.

The sockets are made inside the source namespaces and driven from one process: the whole
matrix is a few hundred datagrams, sent in milliseconds. Namespace commands (reading the
interfaces, loading and reading counters) run as concurrent asyncio subprocesses.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import struct
import time
from collections.abc import Mapping, Sequence
from typing import Final

from hemsnet.homenet import Protocol
from hemsnet.testbed.counters import (
    PROBE_ID,
    PROBE_PORT,
    TABLE,
    counter_name,
    parse_counters,
    render_counter_table,
)
from hemsnet.testbed.interfaces import LiveInterface, parse_ip_addr
from hemsnet.testbed.netns import inside

__all__ = ["Observed", "observe"]

#: (source, target, protocol) -> whether probes of that protocol from source reached target
Observed = dict[tuple[str, str, Protocol], bool]

_PAYLOAD: Final = b"hemsnet-probe"  # not an ECHONET Lite frame (EHD is not 0x1081): discarded
_ECHONET_PORT: Final = 3610
# A packet that gets through crosses a veth, a bridge and at most one router: well under a
# millisecond. Absence cannot be waited for as a condition, so this is how long we watch.
_WINDOW: Final = 0.5
_DEADLINE: Final = 3.0


async def observe(
    namespaces: Mapping[str, str], expected: Mapping[tuple[str, str, Protocol], bool]
) -> Observed:
    """Probe the full matrix between ``{component: namespace}``; ``expected`` only says how
    long to watch: until every expected arrival is seen (at least the window), or the
    deadline."""
    live = dict(
        zip(
            namespaces,
            await asyncio.gather(*(_interfaces(ns) for ns in namespaces.values())),
            strict=True,
        )
    )
    addresses = {c: [a for i in interfaces for a in i.addresses] for c, interfaces in live.items()}
    await asyncio.gather(
        *(
            _nft(ns, "-f", "-", stdin=render_counter_table(_others(addresses, component)))
            for component, ns in namespaces.items()
        )
    )
    sent_at = time.monotonic()
    for source, ns in namespaces.items():
        _send_probes(ns, live[source], {t: addresses[t] for t in namespaces if t != source})
    wanted = {key for key, allowed in expected.items() if allowed}
    while True:
        observed = await _read(namespaces)
        elapsed = time.monotonic() - sent_at
        seen = {key for key, arrived in observed.items() if arrived}
        if (wanted <= seen and elapsed >= _WINDOW) or elapsed >= _DEADLINE:
            return observed
        await asyncio.sleep(0.05)  # polling the counters until the condition or deadline


def _others(addresses: Mapping[str, Sequence[str]], component: str) -> dict[str, Sequence[str]]:
    return {c: a for c, a in addresses.items() if c != component}


async def _read(namespaces: Mapping[str, str]) -> Observed:
    listings = await asyncio.gather(
        *(_nft(ns, "-j", "list", "counters", "table", "inet", TABLE) for ns in namespaces.values())
    )
    observed: Observed = {}
    for target, listing in zip(namespaces, listings, strict=True):
        counts = parse_counters(listing)
        for source in namespaces:
            if source != target:
                for protocol in Protocol:
                    packets = counts.get(counter_name(source, protocol), 0)
                    observed[source, target, protocol] = packets > 0
    return observed


def _send_probes(
    namespace: str, interfaces: Sequence[LiveInterface], targets: Mapping[str, Sequence[str]]
) -> None:
    with inside(namespace):
        udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        icmp = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    with udp, icmp:
        udp.setblocking(False)
        icmp.setblocking(False)
        udp.bind(("::", PROBE_PORT))
        for interface in interfaces:
            _send(udp, _PAYLOAD, ("ff02::1", _ECHONET_PORT, 0, interface.index))
        echo = struct.pack("!BBHHH", 128, 0, 0, PROBE_ID, 1) + _PAYLOAD  # the kernel sums it
        for addresses in targets.values():
            for address in addresses:
                for scope in _scopes(address, interfaces):
                    _send(udp, _PAYLOAD, (address, _ECHONET_PORT, 0, scope))
                    _send(icmp, echo, (address, 0, 0, scope))


def _scopes(address: str, interfaces: Sequence[LiveInterface]) -> list[int]:
    """A link-local target is tried out of every interface; a routed one by the routing table."""
    if ipaddress.IPv6Address(address).is_link_local:
        return [interface.index for interface in interfaces]
    return [0]


def _send(sock: socket.socket, data: bytes, address: tuple[str, int, int, int]) -> None:
    # No route, no neighbour, a full queue: not an error, the counters say what got through.
    with contextlib.suppress(OSError):
        sock.sendto(data, address)


async def _interfaces(namespace: str) -> list[LiveInterface]:
    listing = await _exec("ip", "-n", namespace, "-j", "-6", "addr", "show")
    return parse_ip_addr(listing)


async def _nft(namespace: str, *args: str, stdin: str | None = None) -> str:
    return await _exec("ip", "netns", "exec", namespace, "nft", *args, stdin=stdin)


async def _exec(*command: str, stdin: str | None = None) -> str:
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate(stdin.encode() if stdin is not None else None)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {err.decode().strip()}")
    return out.decode()
