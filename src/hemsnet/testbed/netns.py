"""Network namespaces joined by veth links, for tests over real UDP/IPv6.

Each test topology gets names with a unique prefix and is torn down even when the test fails.
Sockets keep the namespace they were created in, so a test enters a namespace only while it
creates a socket (``inside``), then drives every end from one asyncio loop.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

__all__ = [
    "PREFIX",
    "Link",
    "Namespaces",
    "can_create_namespaces",
    "inside",
    "leftovers",
    "new_tag",
    "run",
]

CLONE_NEWNET: Final = 0x40000000
PREFIX: Final = "hnt"  # every namespace and link we make starts with this

_libc = ctypes.CDLL(None, use_errno=True)


def can_create_namespaces() -> str | None:
    """None if this process can build namespaces, else the reason it cannot."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    if subprocess.run(["ip", "-V"], capture_output=True, check=False).returncode != 0:
        return "needs iproute2 (ip)"
    return None


def run(*args: str, netns: str | None = None) -> str:
    cmd = ["ip", "netns", "exec", netns, *args] if netns else list(args)
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
    return done.stdout


@contextmanager
def inside(netns: str) -> Iterator[None]:
    """Run the block with this thread in ``netns`` (sockets made here stay in it)."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{netns}", os.O_RDONLY)
    try:
        if _libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {netns} failed")
        try:
            yield
        finally:
            if _libc.setns(own, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back failed")
    finally:
        os.close(target)
        os.close(own)


@dataclass
class Link:
    """One end of a veth link: its namespace, interface name and link-local address."""

    netns: str
    iface: str
    address: str = ""
    ipv4: str = ""


@dataclass
class Namespaces:
    """Namespaces and the veth links between them; ``close`` removes everything."""

    tag: str
    namespaces: list[str] = field(default_factory=list)
    links: int = 0

    def namespace(self, name: str) -> str:
        netns = f"{self.tag}-{name}"
        run("ip", "netns", "add", netns)
        self.namespaces.append(netns)
        run("ip", "link", "set", "lo", "up", netns=netns)
        return netns

    def link(self, a: str, b: str, *, ipv4: bool = False) -> tuple[Link, Link]:
        """A veth pair between namespaces ``a`` and ``b``, up, with usable link-local IPv6.

        With ``ipv4`` each end also gets an IPv4 link-local address (169.254.0.0/16).
        """
        index = self._next_link()
        ends = (Link(a, f"{self.tag}{index}a"), Link(b, f"{self.tag}{index}b"))
        run("ip", "link", "add", ends[0].iface, "netns", a, "type", "veth",
            "peer", "name", ends[1].iface, "netns", b)  # fmt: skip
        for host, end in enumerate(ends, start=1):
            _configure(end, index, host, ipv4=ipv4)
        return ends

    def bridge(self, name: str) -> str:
        """A namespace holding a bridge ``br0``: a shared link for :meth:`attach`."""
        hub = self.namespace(name)
        run("ip", "link", "add", "br0", "type", "bridge", netns=hub)
        run("ip", "link", "set", "br0", "up", netns=hub)
        return hub

    def attach(self, netns: str, hub: str) -> Link:
        """A veth from ``netns`` to the bridge in ``hub``; the ``netns`` end, configured as
        :meth:`link` configures its ends (each attachment gets its own address)."""
        index = self._next_link()
        end = Link(netns, f"{self.tag}{index}a")
        port = f"{self.tag}{index}b"
        run("ip", "link", "add", end.iface, "netns", netns, "type", "veth",
            "peer", "name", port, "netns", hub)  # fmt: skip
        run("ip", "link", "set", port, "master", "br0", netns=hub)
        run("ip", "link", "set", port, "up", netns=hub)
        _configure(end, 0xB000 + index, 1)
        return end

    def _next_link(self) -> int:
        index = self.links
        self.links += 1
        return index

    def close(self) -> None:
        for netns in self.namespaces:
            subprocess.run(["ip", "netns", "del", netns], capture_output=True, check=False)
        self.namespaces.clear()


def _configure(end: Link, index: int, host: int, *, ipv4: bool = False) -> None:
    # A fixed link-local address and no duplicate address detection: the address is usable
    # the moment it is added, with nothing to wait for.
    run("ip", "link", "set", end.iface, "addrgenmode", "none", netns=end.netns)
    run("sysctl", "-qw", f"net.ipv6.conf.{end.iface}.accept_dad=0", netns=end.netns)
    end.address = f"fe80::{index + 1:x}:{host}"
    run("ip", "-6", "addr", "add", f"{end.address}/64", "dev", end.iface, netns=end.netns)
    if ipv4:
        end.ipv4 = f"169.254.{index + 1}.{host}"
        run("ip", "addr", "add", f"{end.ipv4}/16", "dev", end.iface, netns=end.netns)
    run("ip", "link", "set", end.iface, "up", netns=end.netns)
    # The kernel adds the multicast route only when link watch reports the carrier, up to a
    # second later; adding it now makes ff02::1 reachable at once.
    run("ip", "-6", "route", "replace", "multicast", "ff00::/8", "dev", end.iface,
        "table", "local", netns=end.netns)  # fmt: skip


def new_tag() -> str:
    """A short unique name prefix (interface names are limited to 15 characters)."""
    return f"{PREFIX}{os.getpid() % 100000:05d}{next(_counter) % 100:02d}"


def leftovers() -> list[str]:
    """Namespaces of ours that still exist (a test must leave none behind)."""
    root = Path("/run/netns")
    return (
        sorted(p.name for p in root.iterdir() if p.name.startswith(PREFIX)) if root.exists() else []
    )


_counter = itertools.count()
