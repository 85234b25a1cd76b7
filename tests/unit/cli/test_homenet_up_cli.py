"""``hemsnet homenet up`` checks the home against G.9958 before it builds anything, and ``up``
and ``paths`` read a topology with the one loader.

Nothing here builds a namespace: ``bring_up`` is replaced by a recorder in every test (building
is covered, as root, by tests/integration/test_homenet_testbed_netns.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hemsnet.cli import testbed
from hemsnet.cli.common import CliError
from hemsnet.cli.main import main
from hemsnet.cli.topology import topology_of
from hemsnet.homenet import CONFIGURATIONS, Topology, check, load_topology, reference_topology
from hemsnet.testbed.state import run_dir

TOPOLOGIES = Path(__file__).parents[3] / "src" / "hemsnet" / "homenet" / "topologies"
REFUSED = "hemsnet homenet: not built; --nonconforming builds a home that does not conform"


@dataclass
class Builds:
    """What ``up`` asked to build."""

    calls: list[tuple[Topology, Path | None]] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)

    def __call__(
        self,
        topology: Topology,
        name: str,
        *,
        topology_file: Path | None,
        report: Callable[[str], None],
        controller_extra: str = "",
    ) -> None:
        report(f"(built {topology.name} as {name})")
        self.calls.append((topology, topology_file))
        self.extras.append(controller_extra)


@pytest.fixture(autouse=True)
def builds(monkeypatch: pytest.MonkeyPatch) -> Builds:
    """Never build for real; run as root, so that the root check is not what refuses."""
    recorder = Builds()
    monkeypatch.setattr(testbed, "bring_up", recorder)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    return recorder


def _with_battery_on_route_b(tmp_path: Path) -> Path:
    """6.4.3 with the battery also on Route B: one violation [G.9958 I.2]."""
    text = (TOPOLOGIES / "6.4.3.toml").read_text()
    path = tmp_path / "miswired.toml"
    path.write_text(text.replace('networks = ["energy"]', 'networks = ["energy", "routeb"]', 1))
    return path


def test_up_refuses_a_home_that_does_not_conform(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], builds: Builds
) -> None:
    path = _with_battery_on_route_b(tmp_path)
    violations = check(load_topology(path))
    assert len(violations) == 1

    assert main(["homenet", "up", "--topology", str(path)]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == f"{path}: does not conform to G.9958 6.4.3, 1 violation:"
    assert lines[1:-1] == [
        "G.9958 I.2: Route B joins only the smart meter and its controller, not a "
        "HEMS-managed appliance (components: battery, routeb)"
    ]
    assert lines[-1].startswith(REFUSED)
    assert builds.calls == []


def test_the_refusal_lists_every_violation_as_check_prints_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # every appliance of the energy network on Route B, and the controller routing
    text = (TOPOLOGIES / "6.4.3.toml").read_text()
    text = text.replace('networks = ["energy"]', 'networks = ["energy", "routeb"]')
    path = tmp_path / "routed.toml"
    path.write_text(text + '\n[[route]]\nrouter = "hems"\nnetworks = ["energy", "home"]\n')
    assert main(["homenet", "check", str(path)]) == 1
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 4

    assert main(["homenet", "up", "--topology", str(path)]) == 2

    lines = capsys.readouterr().err.splitlines()
    assert lines[0].endswith(f", {len(listed)} violations:")
    assert lines[1:-1] == listed
    assert lines[-1].startswith(REFUSED)


def test_nonconforming_builds_it_anyway_and_says_so_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], builds: Builds
) -> None:
    path = _with_battery_on_route_b(tmp_path)

    assert main(["homenet", "up", "--topology", str(path), "--nonconforming"]) == 0

    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == (
        f"WARNING: {path}: does not conform to G.9958 6.4.3; building it anyway "
        "(--nonconforming), 1 violation:"
    )
    assert lines[1] == str(check(load_topology(path))[0])
    assert lines[2] == "(built japan as homenet)"
    assert lines[-1].startswith("testbed homenet (6.4.3, japan, NOT conforming: 1 violation) is up")
    assert builds.calls == [(load_topology(path), path)]


def test_a_home_that_breaks_the_structural_rules_is_not_built_even_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], builds: Builds
) -> None:
    path = tmp_path / "dangling.toml"
    text = (TOPOLOGIES / "6.4.3.toml").read_text()
    path.write_text(text.replace('networks = ["energy"]', 'networks = ["energy", "nowhere"]', 1))

    assert main(["homenet", "up", "--topology", str(path), "--nonconforming"]) == 2

    err = capsys.readouterr().err
    assert "G.9958 5: battery is attached to unknown network nowhere" in err
    assert err.splitlines()[-1] == (
        "hemsnet homenet: not built: a home that breaks the structural rules of G.9958 5 "
        "cannot be built, even with --nonconforming"
    )
    assert builds.calls == []


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
@pytest.mark.parametrize("option", [[], ["--nonconforming"]])
def test_the_reference_configurations_conform_and_build_as_before(
    configuration: str, option: list[str], capsys: pytest.CaptureFixture[str], builds: Builds
) -> None:
    assert main(["homenet", "up", configuration, "--name", "t1", *option]) == 0

    out, err = capsys.readouterr()
    topology = reference_topology(configuration)
    assert err == ""
    assert out.splitlines() == [
        f"(built {topology.name} as t1)",
        f"testbed t1 ({configuration}, {topology.name}) is up; run directory {run_dir('t1')}",
    ]
    assert builds.calls == [(topology, None)]


def test_the_home_is_checked_before_root_is_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    path = _with_battery_on_route_b(tmp_path)
    assert main(["homenet", "up", "--topology", str(path)]) == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith(REFUSED)
    assert main(["homenet", "up", "6.4.3"]) == 2
    assert "needs root" in capsys.readouterr().err


# --- one loader for up and paths --------------------------------------------------------------


def test_the_loader_reads_a_configuration_or_a_file() -> None:
    assert topology_of("6.3.2", None) == reference_topology("6.3.2")
    path = TOPOLOGIES / "6.4.1.toml"
    assert topology_of(None, path) == load_topology(path)
    with pytest.raises(CliError, match="not both or neither"):
        topology_of("6.3.2", path)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing file", "{path}: no such file"),
        ("bad TOML", "{path}: invalid TOML: "),
        ("not a topology", "{path}: component[0].kind: missing"),
        ("unknown configuration", "configuration '6.5' is not one of Table 1: 6.2, 6.3.1"),
        ("neither", "give a configuration (6.2, 6.3.1, 6.3.2, 6.4.1, 6.4.2, 6.4.3) or --topology"),
        ("both", "or --topology FILE, not both or neither"),
    ],
)
def test_up_and_paths_say_the_same_of_what_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], builds: Builds, case: str, message: str
) -> None:
    path = tmp_path / "home.toml"
    if case == "bad TOML":
        path.write_text('name = "x"\nconfiguration = \n')
    elif case == "not a topology":
        path.write_text('configuration = "6.2"\n[[component]]\nname = "meter"\n')
    argv = {
        "unknown configuration": ["6.5"],
        "neither": [],
        "both": ["6.2", "--topology", str(path)],
    }.get(case, ["--topology", str(path)])

    errors = []
    for command in ("up", "paths"):
        assert main(["homenet", command, *argv]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        errors.append(err)

    assert errors[0] == errors[1]
    assert errors[0].count("\n") == 1
    assert errors[0].startswith("hemsnet homenet: ")
    assert message.format(path=path) in errors[0]
    assert builds.calls == []


def test_controller_config_is_checked_then_handed_to_the_controller(
    builds: Builds, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = tmp_path / "extra.toml"
    extra.write_text('[openadr]\nvtn_url = "http://[fd00::2]:8081/OpenADR2/Simple/2.0b"\n')
    assert main(["homenet", "up", "6.4.2", "--controller-config", str(extra)]) == 0
    assert builds.extras == [extra.read_text()]
    extra.write_text('[openadr]\nvtn_url = "ftp://x"\n')
    assert main(["homenet", "up", "6.4.2", "--controller-config", str(extra)]) == 2
    assert "openadr.vtn_url: 'ftp://x' is not an http:// or https:// URL" in capsys.readouterr().err
    extra.write_text("[polling]\ninstant = 5\n")
    assert main(["homenet", "up", "6.4.2", "--controller-config", str(extra)]) == 2
    assert "the testbed sets [polling] itself" in capsys.readouterr().err
    assert len(builds.calls) == 1
