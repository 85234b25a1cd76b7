"""Probe counters: rendered per source, read back from nft's JSON listing."""

from __future__ import annotations

import json

import pytest

from hemsnet.homenet import Protocol
from hemsnet.testbed.counters import counter_name, parse_counters, render_counter_table


def test_counter_table_counts_marked_probes_per_source_after_the_firewall() -> None:
    text = render_counter_table({"ctl-1": ["fe80::1:2"], "idle": []})
    assert text.startswith("table inet hemsnet_probe\ndelete table inet hemsnet_probe\n")
    assert "priority filter + 10" in text  # after the firewall's drops
    assert "counter echonet_unicast_ctl_1 { }" in text
    assert (
        "ip6 saddr { fe80::1:2 } ip6 daddr != ff00::/8 udp sport 3611 udp dport 3610 "
        'counter name "echonet_unicast_ctl_1"'
    ) in text
    assert 'icmpv6 type echo-request icmpv6 id 18489 counter name "icmpv6_ctl_1"' in text
    assert "idle" not in text  # no addresses, no rule (nft refuses an empty set)


def test_parse_counters_reads_packets_of_the_probe_table_only() -> None:
    listing = {
        "nftables": [
            {"metainfo": {"version": "1.0.6"}},
            {"counter": {"family": "inet", "name": counter_name("tv", Protocol.ICMPV6),
                         "table": "hemsnet_probe", "handle": 2, "packets": 3, "bytes": 99}},
            {"counter": {"family": "inet", "name": "other", "table": "mine", "packets": 7}},
        ]
    }  # fmt: skip
    assert parse_counters(json.dumps(listing)) == {"icmpv6_tv": 3}


def test_parse_counters_refuses_what_is_not_a_listing() -> None:
    with pytest.raises(ValueError, match="unexpected nft counter listing"):
        parse_counters("Error: No such file or directory")
