"""Route C in the testbed, without namespaces: who talks to whom, the gateway's rules for it,
what runs in the provider's namespace and the controller's [routec] table (H16, H17)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hemsnet.errors import ConfigError
from hemsnet.homenet import CONFIGURATIONS, expected_paths, reference_topology
from hemsnet.testbed import lifecycle, provider_stack
from hemsnet.testbed.address_plan import plan_addresses
from hemsnet.testbed.firewall import render_rulesets, route_c_rules
from hemsnet.testbed.processes import Launch, launches
from hemsnet.testbed.provider_stack import ACL, ProviderStack
from hemsnet.testbed.routec_path import RouteC, route_c
from hemsnet.tomlconfig import read_toml
from hemsnet.uplink.routec_config import parse_routec
from tests.conftest import REPO


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_route_c_is_the_controller_to_the_provider_through_the_gateway(
    configuration: str,
) -> None:
    """6.4.1 included: the model lets its controller use the Internet [6.4.1(2)] (H13, H16)."""
    topology = reference_topology(configuration)
    plan = plan_addresses(topology, "tb")
    route = route_c(topology, plan)
    if not configuration.startswith("6.4"):
        assert route is None  # no provider, no gateway [Table 1] (H12)
        return
    wan = plan.port("provider", "wan")
    assert route == RouteC("hems", "provider", str(wan.ula))
    assert route.broker_url == f"mqtts://[{wan.ula}]:8883"


def test_the_gateway_forwards_the_broker_port_from_the_controller_only() -> None:
    topology = reference_topology("6.4.2")
    plan = plan_addresses(topology, "tb")
    route = route_c(topology, plan)
    assert route is not None
    gateway = render_rulesets(topology, plan, expected_paths(topology), route)["gw"]
    lines = [line.strip() for line in gateway.splitlines()]
    accept, replies, drop = route_c_rules(plan, route)
    hems = "{ " + ", ".join(plan.addresses_of("hems")) + " }"
    provider = "{ " + ", ".join(plan.addresses_of("provider")) + " }"
    assert accept.startswith(f"ip6 saddr {hems} ip6 daddr {provider} tcp dport 8883 accept")
    assert replies.startswith(
        f"ip6 saddr {provider} ip6 daddr {hems} tcp sport 8883 ct state established accept"
    )
    assert drop.startswith(f"ip6 daddr {provider} tcp dport 8883 drop")
    # In this order, and before the chain lets the rest of home <-> WAN through.
    where = [lines.index(rule) for rule in (accept, replies, drop)]
    assert where == sorted(where)
    assert where[-1] < lines.index('iifname "home" oifname "wan" accept')
    # Nothing of it opens a path for the meter: its addresses are in no accept rule.
    meter = plan.addresses_of("meter")
    assert not [line for line in lines if "accept" in line and any(a in line for a in meter)]
    without = render_rulesets(topology, plan, expected_paths(topology))["gw"]
    assert "8883" not in without


def test_the_real_provider_replaces_the_endpoint_of_the_provider_only(tmp_path: Path) -> None:
    topology = reference_topology("6.4.3")
    first, last = launches(topology, tmp_path, real_provider="provider")
    endpoints = [launch.component for launch in first if "hemsnet.testbed.endpoint" in launch.argv]
    assert endpoints == ["headend"]
    assert [launch.component for launch in last] == ["hems"]
    before, _ = launches(topology, tmp_path)
    assert {launch.component for launch in before} - {launch.component for launch in first} == {
        "provider"
    }


def test_the_controller_accepts_the_routec_table_the_testbed_writes(tmp_path: Path) -> None:
    """The table the controller gets parses as docs/route-c.md says: TLS to the provider's
    routed address, the home ID as the user, its password from the file."""
    (tmp_path / "home-password").write_text("s3cret\n")
    (tmp_path / "ca.crt").write_text("(a CA)\n")
    route = RouteC("hems", "provider", "fd00:9958:3::a")
    service = Launch("provider", ("hemsnet", "provider"), "hemsnet provider:")
    stack = ProviderStack(route, tmp_path, (), service, "postgresql://hemsnet@/postgres")
    (tmp_path / "controller.toml").write_text(stack.routec_table())

    config = parse_routec(read_toml(tmp_path / "controller.toml"), "controller.toml", {})

    assert config.broker is not None
    assert (config.broker.host, config.broker.port, config.broker.tls) == (
        "fd00:9958:3::a",
        8883,
        True,
    )
    assert (config.home, config.broker.username, config.broker.password) == (
        "hems",
        "hems",
        "s3cret",
    )
    assert config.broker.ca_file == str(tmp_path / "ca.crt")


def test_the_brokers_acl_is_the_contracts() -> None:
    """The testbed's broker keeps docs/route-c.md's ACL, as examples/routec/acl writes it."""
    example = (REPO / "examples" / "routec" / "acl").read_text().splitlines()
    lines = [line for line in example if line and not line.startswith("#")]
    assert [line for line in ACL.splitlines() if line] == lines


@pytest.mark.parametrize(
    ("tool", "said"),
    [
        ("mosquitto", "no mosquitto (Debian package mosquitto)"),
        ("openssl", "no openssl (Debian package openssl)"),
    ],
)
def test_a_missing_tool_is_said_in_one_line_and_the_endpoint_stands_in(
    tool: str, said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = shutil.which
    monkeypatch.setattr(
        provider_stack.shutil,
        "which",
        lambda name, path=None: None if name == tool else found(name, path=path),
    )
    assert provider_stack.stack_missing() == said
    lines: list[str] = []
    route = RouteC("hems", "provider", "fd00:9958:3::a")

    assert lifecycle._real_provider(route, "", lines.append) is None

    assert lines == [
        f"HEMS provider provider: {said}; it runs the packet-counting endpoint instead, "
        "without Route C"
    ]


def test_no_postgresql_server_is_said_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(provider_stack, "server_bin", lambda: None)
    assert provider_stack.stack_missing() == "no PostgreSQL server (Debian package postgresql)"


def test_a_routec_table_of_the_user_is_refused_where_the_testbed_writes_its_own() -> None:
    if provider_stack.stack_missing() is not None:
        pytest.skip(f"the real provider cannot run here: {provider_stack.stack_missing()}")
    route = RouteC("hems", "provider", "fd00:9958:3::a")
    with pytest.raises(ConfigError, match=r"the testbed sets \[routec\] itself"):
        lifecycle._real_provider(route, '[routec]\nurl = "mqtts://x"\n', print)
