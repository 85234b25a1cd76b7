"""examples/hemsnet.toml and the systemd units under examples/systemd: the TOML configures the
controller and the dashboard with no other argument, the units are hardened as README.md
"Run it for good" says, and systemd itself accepts them (``systemd-analyze verify``, and an
exposure level of ``security --offline`` below 2.5)."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from hemsnet.cli.configs import read_configs
from hemsnet.cli.main import build_parser
from tests.conftest import REPO

EXAMPLES = REPO / "examples"
UNITS = sorted((EXAMPLES / "systemd").glob("*.service"))
CONFIG = "/etc/hemsnet/hemsnet.toml"


def unit(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read_string(path.read_text())
    return parser["Service"]


def test_the_deployment_toml_configures_every_service() -> None:
    configs = read_configs(EXAMPLES / "hemsnet.toml")
    assert configs.deployment.iface == "wisun0"
    assert configs.deployment.db == Path("/var/lib/hemsnet/hemsnet.db")  # the StateDirectory
    assert configs.dashboard.target_kw == 380
    assert configs.mqtt.broker is not None and configs.mqtt.broker.port == 1883
    assert configs.mqtt.controllable == ()


def test_there_is_a_unit_for_the_controller_and_one_for_the_dashboard() -> None:
    assert [u.name for u in UNITS] == ["hemsnet-controller.service", "hemsnet-dashboard.service"]


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.stem)
def test_each_unit_is_hardened(path: Path) -> None:
    service = unit(path)
    command = shlex.split(service["ExecStart"])
    args = build_parser().parse_args(command[1:])
    assert args.config == Path(CONFIG)
    assert service["DynamicUser"] == "yes" and service["User"] == "hemsnet"
    assert service["StateDirectory"] == "hemsnet"
    assert service["ProtectSystem"] == "strict"
    assert service["NoNewPrivileges"] == "yes"
    # CAP_NET_RAW only where it is needed: binding UDP 3610 to the Route B interface.
    wanted = "CAP_NET_RAW" if args.command == "controller" else ""
    assert service["CapabilityBoundingSet"] == service["AmbientCapabilities"] == wanted


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.stem)
def test_systemd_accepts_each_unit(path: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("needs systemd-analyze (Debian package systemd)")
    copy = tmp_path / path.name  # verify wants the program to exist: any will do
    copy.write_text(path.read_text().replace("/opt/hemsnet/bin/hemsnet", "/bin/true"))
    verify = subprocess.run([analyze, "verify", copy], capture_output=True, text=True, check=False)
    assert verify.returncode == 0, verify.stderr
    security = subprocess.run(
        [analyze, "security", "--offline=true", copy], capture_output=True, text=True, check=False
    )
    level = re.search(r"Overall exposure level for \S+: (\d+\.\d)", security.stdout)
    assert level is not None, security.stdout[-500:]
    assert float(level.group(1)) < 2.5
