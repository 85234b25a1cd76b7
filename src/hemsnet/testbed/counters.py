"""The live check's arrival counters: one nft counter per (source, protocol) in each target.

A probe is marked so that the real traffic of the meter, controller and appliances is never
counted: ECHONET Lite probes leave from UDP port 3611 (the nodes themselves send from 3610),
ICMPv6 probes carry the echo identifier :data:`PROBE_ID`. The counting chain hooks ``input``
after the firewall (priority filter + 10), so a packet the firewall drops is not counted: a
count is a packet that really reached the target.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Final

from hemsnet.homenet import Protocol

__all__ = [
    "PROBE_ID",
    "PROBE_PORT",
    "TABLE",
    "counter_name",
    "parse_counters",
    "render_counter_table",
]

TABLE: Final = "hemsnet_probe"
PROBE_PORT: Final = 3611  # the source port of every ECHONET Lite probe
PROBE_ID: Final = 0x4839  # the echo identifier of every ICMPv6 probe ("H9")

_MATCH: Final = {
    Protocol.ECHONET_UNICAST: f"ip6 daddr != ff00::/8 udp sport {PROBE_PORT} udp dport 3610",
    Protocol.ECHONET_MULTICAST: f"ip6 daddr ff02::1 udp sport {PROBE_PORT} udp dport 3610",
    Protocol.ICMPV6: f"icmpv6 type echo-request icmpv6 id {PROBE_ID}",
}


def counter_name(source: str, protocol: Protocol) -> str:
    """The counter of probes from ``source``; component names have no ``_``, so it is unique."""
    return f"{protocol.name.lower()}_{source.replace('-', '_')}"


def render_counter_table(sources: Mapping[str, Iterable[str]]) -> str:
    """``nft -f`` input that (re)creates the counting table for ``{source: its addresses}``.

    The leading ``table``/``delete table`` pair makes it replace a previous check's table.
    """
    counters = []
    rules = []
    for source, addresses in sources.items():
        known = ", ".join(addresses)
        if not known:
            continue
        for protocol in Protocol:
            name = counter_name(source, protocol)
            counters.append(f"\tcounter {name} {{ }}\n")
            rules.append(f'\t\tip6 saddr {{ {known} }} {_MATCH[protocol]} counter name "{name}"\n')
    return (
        f"table inet {TABLE}\ndelete table inet {TABLE}\ntable inet {TABLE} {{\n"
        + "".join(counters)
        + "\tchain input {\n\t\ttype filter hook input priority filter + 10; policy accept;\n"
        + "".join(rules)
        + "\t}\n}\n"
    )


def parse_counters(listing: str) -> dict[str, int]:
    """Packets per counter name, from ``nft -j list counters table inet hemsnet_probe``."""
    try:
        items = json.loads(listing)["nftables"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"unexpected nft counter listing: {exc}") from None
    return {
        item["counter"]["name"]: int(item["counter"]["packets"])
        for item in items
        if "counter" in item and item["counter"].get("table") == TABLE
    }
