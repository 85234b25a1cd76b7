"""The nftables rules are rendered from the expected paths, and nft accepts them."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from hemsnet.homenet import CONFIGURATIONS, expected_paths, reference_topology
from hemsnet.testbed.address_plan import plan_addresses
from hemsnet.testbed.counters import render_counter_table
from hemsnet.testbed.firewall import render_rulesets
from hemsnet.testbed.routec_path import route_c
from tests.unit.testbed.topologies import SMALL, SMALL_RULES

METER = """\
table inet hemsnet {
\tchain input {
\t\ttype filter hook input priority filter; policy accept;
\t\tip6 saddr { fe80::1:2, fd00:9958:1::2 } ip6 daddr != ff00::/8 udp dport 3610 drop \
comment "G.9958 3.2.1.5: tv -> meter"
\t}
}
"""

GATEWAY = """\
table inet hemsnet {
\tchain forward {
\t\ttype filter hook forward priority filter; policy drop;
\t\tip6 saddr { fe80::1:1, fd00:9958:1::1 } ip6 daddr { fe80::2:4, fd00:9958:2::4 } \
icmpv6 type echo-request drop comment "G.9958 6.4.1: meter -> provider"
\t\tiifname "home" oifname "wan" accept
\t\tiifname "wan" oifname "home" accept
\t}
}
"""


def test_small_topology_ruleset() -> None:
    rulesets = render_rulesets(SMALL, plan_addresses(SMALL, "tb"), SMALL_RULES)
    assert rulesets == {"meter": METER, "gw": GATEWAY}


def test_reference_6_4_1_rules_follow_the_expected_paths() -> None:
    topology = reference_topology("6.4.1")
    rules = expected_paths(topology)
    rulesets = render_rulesets(topology, plan_addresses(topology, "tb"), rules)
    on_the_home_network = [r for r in rules if r.target == "meter" and len(r.via) == 1]
    forbidden = [r for r in on_the_home_network if not r.allowed]
    assert forbidden  # the appliances, the TV and the gateway must not reach the meter
    assert rulesets["meter"].count(" drop ") == len(forbidden)
    through_gateway = [r for r in rules if len(r.via) == 2 and not r.allowed]
    assert rulesets["gw"].count(" drop ") - rulesets["gw"].count("-> gw") == len(through_gateway)
    assert "policy drop" in rulesets["gw"]
    assert "headend" not in rulesets  # nothing it must not hear shares its network


def _nft_check(ruleset: str) -> None:
    done = subprocess.run(
        ["nft", "-c", "-f", "-"], input=ruleset, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("nft"), reason="needs root and nft")
@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_nft_accepts_every_reference_ruleset(configuration: str) -> None:
    topology = reference_topology(configuration)
    plan = plan_addresses(topology, "tb")
    route = route_c(topology, plan)  # the Route C rules too, where there is Route C
    for ruleset in render_rulesets(topology, plan, expected_paths(topology), route).values():
        _nft_check(ruleset)  # -c: parsed and checked by the kernel, nothing loaded
    addresses = {c.name: plan.addresses_of(c.name) for c in topology.components}
    _nft_check(render_counter_table(addresses))
