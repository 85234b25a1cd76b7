"""Live interfaces are read from ``ip -j -6 addr``."""

from __future__ import annotations

import json

import pytest

from hemsnet.testbed.interfaces import LiveInterface, parse_ip_addr


def test_parse_ip_addr_skips_loopback_and_keeps_link_and_global_addresses() -> None:
    listing = [
        {"ifindex": 1, "ifname": "lo", "flags": ["LOOPBACK", "UP"],
         "addr_info": [{"family": "inet6", "local": "::1", "scope": "host"}]},
        {"ifindex": 7, "ifname": "home", "flags": ["UP"],
         "addr_info": [{"family": "inet6", "local": "fe80::3:2", "scope": "link"},
                       {"family": "inet6", "local": "fd00:9958:3::2", "scope": "global"}]},
        {"ifindex": 9, "ifname": "routeb", "flags": ["UP"], "addr_info": []},
    ]  # fmt: skip
    assert parse_ip_addr(json.dumps(listing)) == [
        LiveInterface("home", 7, ("fe80::3:2", "fd00:9958:3::2")),
        LiveInterface("routeb", 9, ()),
    ]


def test_parse_ip_addr_refuses_garbage() -> None:
    with pytest.raises(ValueError, match="unexpected ip -j addr output"):
        parse_ip_addr('[{"ifname": "x"}]')
