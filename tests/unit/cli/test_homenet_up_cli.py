"""``hemsnet homenet up`` and ``paths`` read a topology with the one loader.

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
from hemsnet.homenet import Topology, load_topology, reference_topology

TOPOLOGIES = Path(__file__).parents[3] / "src" / "hemsnet" / "homenet" / "topologies"


@dataclass
class Builds:
    """What ``up`` asked to build."""

    calls: list[tuple[Topology, Path | None]] = field(default_factory=list)

    def __call__(
        self,
        topology: Topology,
        name: str,
        *,
        topology_file: Path | None,
        report: Callable[[str], None],
    ) -> None:
        report(f"(built {topology.name} as {name})")
        self.calls.append((topology, topology_file))


@pytest.fixture(autouse=True)
def builds(monkeypatch: pytest.MonkeyPatch) -> Builds:
    """Never build for real; run as root, so that the root check is not what refuses."""
    recorder = Builds()
    monkeypatch.setattr(testbed, "bring_up", recorder)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    return recorder


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
