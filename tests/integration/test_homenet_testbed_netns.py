"""The G.9958 testbed end to end: ``up``, the live ``check``, ``down``, for all six
configurations of Table 1, and three miswirings that ``check`` must catch. In 6.4.x the HEMS
provider runs the real provider (broker, PostgreSQL, ``hemsnet provider``) and the check sees
the controller's readings in its database, sent through the home gateway (Route C, H16); in
all six the utility head-end runs the real head-end and the check sees the meter's 30-minute
data in its MDMS, read over the utility network (Route A, H21-H23).

The commands run in this process through the parser the ``homenet`` command gets; the meter,
controller, appliances and endpoints they start are real processes in real namespaces.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest

from hemsnet.cli.common import CliError
from hemsnet.cli.testbed import add_live_check_arguments, add_testbed_commands, live_check
from hemsnet.homenet import CONFIGURATIONS, ComponentKind, reference_topology
from hemsnet.testbed.address_plan import link_local, plan_addresses
from hemsnet.testbed.homenet_build import leftover_namespaces, wire
from hemsnet.testbed.netns import can_create_namespaces, new_tag, run
from hemsnet.testbed.processes import alive, controller_reads
from hemsnet.testbed.provider_stack import stack_missing
from hemsnet.testbed.routec_path import route_c
from hemsnet.testbed.state import load_state, run_dir

pytestmark = pytest.mark.netns

CYCLE_LIMIT = 40.0  # seconds for up, check and down of one configuration (a provider's too)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hemsnet homenet")
    actions = parser.add_subparsers(dest="action", required=True)
    add_testbed_commands(actions)
    check = actions.add_parser("check")
    add_live_check_arguments(check)
    check.set_defaults(run=live_check)
    return parser


def homenet(*argv: str) -> int:
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except CliError as exc:
        print(f"hemsnet homenet {args.action}: {exc}")
        return exc.exit_code
    return code


@pytest.fixture
def name() -> Iterator[str]:
    reason = can_create_namespaces()
    if reason is not None:
        pytest.skip(reason)
    tag = new_tag()
    try:
        yield tag
    finally:
        homenet("down", "--name", tag)  # idempotent: also after a test that took it down
    assert leftover_namespaces(tag) == []
    assert not run_dir(tag).exists()


def _root_links() -> set[str]:
    return set(run("ip", "-o", "link", "show").split("\n"))


def _hemsnet_pids() -> set[int]:
    done = subprocess.run(["pgrep", "-f", "hemsnet"], capture_output=True, text=True, check=False)
    return {int(pid) for pid in done.stdout.split()}


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_up_check_down(configuration: str, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    topology = reference_topology(configuration)
    links_before = _root_links()
    began = time.monotonic()

    assert homenet("up", configuration, "--name", name) == 0
    state = load_state(name)
    assert state is not None
    assert homenet("check", "--name", name) == 0
    assert homenet("down", "--name", name) == 0

    elapsed = time.monotonic() - began
    out = capsys.readouterr().out
    with capsys.disabled():
        print(f"\n{configuration}: up, check, down in {elapsed:.1f} s")
    assert elapsed < CYCLE_LIMIT
    assert "observed == expected" in out
    meters, appliances = controller_reads(topology)
    if topology.of_kind(ComponentKind.HEMS_CONTROLLER):
        assert meters
        for component in [*meters[:1], *appliances]:
            assert f"controller store: {'meter' if component in meters else component} read" in out
    else:
        assert state.controller_db is None
    if route_c(topology, plan_addresses(topology, name)) is None or stack_missing() is not None:
        assert state.provider_db is None
    else:
        # The controller's readings are in the provider's PostgreSQL, sent through the
        # gateway; of the rest of the home, nobody opens the broker's port.
        assert re.search(r"Route C: \d+ readings and \d+ appliance readings of home hems in "
                         r"the provider's database \(latest received at", out)  # fmt: skip
        assert re.search(r"the broker's TCP port 8883 opens from hems: yes; from the \d+ "
                         r"other components of the home: 0\n", out)  # fmt: skip
        launched = {(r.component, r.argv[0]) for r in state.processes}
        assert {("provider", "mosquitto"), ("provider", "hemsnet")} <= launched
    # Route A: the head-end read the meter over the utility network into its MDMS (H21-H23).
    assert re.search(r"Route A: [1-9]\d* half-hours? of meter meter at the head-end \(latest "
                     r"\d{4}-\d\d-\d\d \d\d:\d\d\)", out)  # fmt: skip
    argv = {r.component: r.argv for r in state.processes}
    assert argv["headend"][:3] == ("hemsnet", "headend", "run")
    assert "utility" in argv["meter"][argv["meter"].index("--iface") + 1 :]
    # Nothing left: no namespace, no link in the host, no process.
    assert leftover_namespaces(name) == []
    assert not [line for line in _root_links() - links_before if name in line]
    assert state.processes
    assert not any(alive(record) for record in state.processes)
    assert not {record.pid for record in state.processes} & _hemsnet_pids()


def test_an_appliance_bridged_onto_route_b_is_caught(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """[G.9958 6.4.3(2)] HEMS-managed appliances shall not communicate with the smart meter."""
    topology = reference_topology("6.4.3")
    assert homenet("up", "6.4.3", "--name", name) == 0
    plan = plan_addresses(topology, name)
    battery = plan.port("battery", "energy")
    route_b = plan.port("meter", "routeb")
    battery_index = [c.name for c in topology.components].index("battery") + 1
    network_index = [n.name for n in topology.networks].index("routeb") + 1
    wire(
        plan,
        replace(
            battery,
            network="routeb",
            iface="routeb",
            switch_port=f"battery-{network_index}",
            link_local=link_local(network_index, battery_index),
        ),
    )
    capsys.readouterr()

    assert homenet("check", "--name", name, "--wait", "0") == 1

    out = capsys.readouterr().out
    assert "difference: echonet battery -> meter: got through, but G.9958" in out
    assert "difference: echonet-multicast battery -> meter: got through" in out
    assert "difference: icmpv6 meter -> battery: got through" in out
    assert route_b.link_local in run("ip", "-6", "neigh", netns=plan.namespace("battery"))
    assert "check FAILED" in out


def test_forwarding_on_the_controller_is_caught(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """[G.9958 I.2(3)] the controller shall not route other traffic: a battery given a route
    to the home network through it reaches the TV only once the controller forwards."""
    assert homenet("up", "6.4.3", "--name", name) == 0
    plan = plan_addresses(reference_topology("6.4.3"), name)
    battery = plan.namespace("battery")
    home_prefix = dict(plan.prefixes)["home"]
    run("ip", "-6", "addr", "add", "fd00:9958:5::3/64", "dev", "energy", "nodad", netns=battery)
    run("ip", "-6", "route", "add", home_prefix, "via", plan.port("hems", "energy").link_local,
        "dev", "energy", netns=battery)  # fmt: skip
    assert homenet("check", "--name", name) == 0  # the route alone is harmless
    capsys.readouterr()

    run("sysctl", "-qw", "net.ipv6.conf.all.forwarding=1", netns=plan.namespace("hems"))
    assert homenet("check", "--name", name, "--wait", "0") == 1

    out = capsys.readouterr().out
    assert "difference: echonet battery -> tv: got through, but G.9958" in out
    assert "difference: icmpv6 battery -> gw: got through" in out
    assert "check FAILED" in out


def test_a_gateway_that_lets_the_meter_into_the_broker_is_caught(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """[G.9958 6.4.2(2)] the meter talks to the controller only: a gateway rule that lets it
    open the provider's broker port is a difference (H17)."""
    if stack_missing() is not None:
        pytest.skip(f"the real provider cannot run here: {stack_missing()}")
    topology = reference_topology("6.4.2")
    assert homenet("up", "6.4.2", "--name", name) == 0
    plan = plan_addresses(topology, name)
    meter = ", ".join(plan.addresses_of("meter"))
    run("nft", "insert", "rule", "inet", "hemsnet", "forward", "ip6", "saddr", f"{{ {meter} }}",
        "tcp", "dport", "8883", "accept", netns=plan.namespace("gw"))  # fmt: skip
    capsys.readouterr()

    assert homenet("check", "--name", name) == 1

    out = capsys.readouterr().out
    assert "observed == expected" in out  # the matrix's protocols are still filtered
    assert re.search(r"Route C: \d+ readings .* home hems in the provider's database \(", out)
    assert "from the 7 other components of the home: 1\n" in out
    assert "difference: TCP to the broker from meter: opened, but only the controller" in out
    assert "check FAILED" in out


def test_up_refuses_a_second_testbed_of_the_same_name(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert homenet("up", "6.2", "--name", name) == 0
    assert homenet("up", "6.2", "--name", name) == 2
    assert f"testbed {name!r} is up already" in capsys.readouterr().out
    assert homenet("down", "--name", name) == 0
    assert homenet("down", "--name", name) == 0  # twice is harmless
    assert f"no testbed {name!r}: nothing to do" in capsys.readouterr().out


def test_a_failed_up_removes_what_it_made(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An appliance class the appliance command does not know: its process ends at once,
    after the networks are built and the other processes started."""
    reference = resources.files("hemsnet.homenet") / "topologies" / "6.3.1.toml"
    topology_file = tmp_path / "bad.toml"
    topology_file.write_text(reference.read_text().replace('"0x0130"', '"0x0FFF"'))

    assert homenet("up", "--topology", str(topology_file), "--name", name) == 1

    out = capsys.readouterr().out
    assert "up failed, everything removed again: aircon (hemsnet appliance 0x0FFF" in out
    assert leftover_namespaces(name) == []
    assert not run_dir(name).exists()
