"""The interfaces a namespace really has, read from ``ip -j addr`` (not from the plan).

The live check probes from what is there, so that a link added after ``up`` (an appliance
bridged onto the Route B network) is probed and its packets are counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["LiveInterface", "parse_ip_addr"]


@dataclass(frozen=True, slots=True)
class LiveInterface:
    name: str
    index: int
    addresses: tuple[str, ...]  # IPv6, link-local and global, in the kernel's order


def parse_ip_addr(listing: str) -> list[LiveInterface]:
    """The non-loopback interfaces of ``ip -j -6 addr show`` output, with their addresses."""
    try:
        entries = json.loads(listing)
        return [
            LiveInterface(
                entry["ifname"],
                int(entry["ifindex"]),
                tuple(
                    info["local"]
                    for info in entry.get("addr_info", ())
                    if info.get("family") == "inet6" and info.get("scope") in ("link", "global")
                ),
            )
            for entry in entries
            if "LOOPBACK" not in entry.get("flags", ())
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"unexpected ip -j addr output: {exc}") from None
