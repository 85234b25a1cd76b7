"""OpenADR 2.0b between the HEMS provider and the controller through the home gateway, in the
G.9958 testbed [G.9958 I.1(3), 6.4.2, 6.4.3]: ``homenet up`` builds the home with its nftables
rules and starts the controller with ``[demand]`` and ``[openadr]``; the provider runs
``hemsnet vtn`` in its own namespace on the WAN. The controller and the provider share no
network, so every HTTP exchange crosses the gateway: the VEN registers, the event lowers the
demand target within its window and is answered optIn, and the meter's power comes back as
telemetry."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hemsnet.homenet import reference_topology
from hemsnet.testbed.address_plan import plan_addresses
from hemsnet.testbed.state import run_dir
from tests.integration.test_homenet_testbed_netns import homenet, name

__all__ = ["name"]  # the fixture, used by name

pytestmark = pytest.mark.netns

DEADLINE = 60.0
PORT = 8081

EXTRA = """
[demand]
target_kw = 1000

[[demand.appliance]]
name = "battery"
eoj = "027D01"
action = "discharge"
shed_kw = 2.0

[openadr]
vtn_url = "{url}"
ven_name = "hemsnet"
"""


def _wait_for(path: Path, match: Callable[[str], bool], proc: subprocess.Popen[str] | None) -> str:
    """The first line of the file ``path`` that matches, within the deadline (the file is
    read again each time the process writes; no fixed sleep decides anything)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
            if match(line):
                return line
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.1)
    text = path.read_text(errors="replace") if path.exists() else ""
    raise AssertionError(f"nothing matched in {path}: {text[:3000]}")


@pytest.mark.parametrize("configuration", ["6.4.2", "6.4.3"])
def test_a_dr_event_reaches_the_controller_through_the_gateway(
    configuration: str, name: str, tmp_path: Path
) -> None:
    topology = reference_topology(configuration)
    controller = next(c.name for c in topology.components if c.kind.value == "hems-controller")
    assert not {n.name for n in topology.networks_of("provider")} & {
        n.name for n in topology.networks_of(controller)
    }  # no shared network: only the gateway joins them
    plan = plan_addresses(topology, name)
    provider = plan.port("provider", "wan").ula
    assert provider is not None
    url = f"http://[{provider}]:{PORT}/OpenADR2/Simple/2.0b"
    extra = tmp_path / "controller.toml"
    extra.write_text(EXTRA.format(url=url))
    vtn_log = tmp_path / "vtn.log"
    assert homenet("up", configuration, "--name", name, "--controller-config", str(extra)) == 0
    with vtn_log.open("w") as out:
        vtn = subprocess.Popen(
            ["ip", "netns", "exec", plan.namespace("provider"), sys.executable, "-m", "hemsnet",
             "vtn", "--listen", f"[{provider}]:{PORT}", "--setpoint", "500", "--after", "1",
             "--minutes", "1", "--poll", "1"],
            stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            _wait_for(vtn_log, lambda line: "VEN hemsnet registered" in line, vtn)
            answer = _wait_for(vtn_log, lambda line: " by hemsnet" in line, vtn)
            assert "optIn" in answer
            telemetry = _wait_for(vtn_log, lambda line: "telemetry from hemsnet" in line, vtn)
            assert int(telemetry.split()[-2]) > 0  # the meter's power, W
            log = run_dir(name) / "logs" / f"{controller}.log"
            _wait_for(log, lambda line: "demand response target 500 kW" in line, None)
        finally:
            vtn.terminate()
            vtn.wait(10)
    assert homenet("down", "--name", name) == 0
