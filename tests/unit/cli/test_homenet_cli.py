"""``hemsnet homenet check`` and ``hemsnet homenet paths``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hemsnet.cli.main import main
from hemsnet.homenet import Protocol, diagram, reference_topology

TOPOLOGIES = Path(__file__).parents[3] / "src" / "hemsnet" / "homenet" / "topologies"


def test_check_a_conforming_file(capsys: pytest.CaptureFixture[str]) -> None:
    path = TOPOLOGIES / "6.4.3.toml"
    assert main(["homenet", "check", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: conforms to G.9958 6.4.3\n"


def test_check_prints_every_violation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (TOPOLOGIES / "6.4.3.toml").read_text()
    text = text.replace('networks = ["energy"]', 'networks = ["energy", "routeb"]', 1)
    path = tmp_path / "two.toml"
    path.write_text(text)
    assert main(["homenet", "check", str(path)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "G.9958 I.2: Route B joins only the smart meter and its controller, not a "
        "HEMS-managed appliance (components: battery, routeb)"
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ('configuration = "6.9"\n', "configuration: '6.9' is not one of Table 1"),
        ('configuration = "6.2"\n[[component]]\nname = "meter"\n', r"component[0].kind: missing"),
    ],
)
def test_check_a_bad_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "home.toml"
    if content is not None:
        path.write_text(content)
    assert main(["homenet", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"hemsnet homenet: {path}: ")
    assert message in err


def test_paths_prints_an_aligned_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["homenet", "paths", "6.4.3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "japan: G.9958 6.4.3, via = the networks crossed"
    assert lines[1].split() == ["source", "target", *(p.value for p in Protocol), "via", "clause"]
    n = len(reference_topology("6.4.3").components)
    assert len(lines) == 2 + n * (n - 1)
    route_c = "hems      provider  yes      no                 yes     home > wan  G.9958 6.4.3"
    assert route_c in lines
    column = lines[1].index("via")
    assert all(line[column - 2 : column] == "  " for line in lines[2:])


def test_paths_json_has_one_record_per_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["homenet", "paths", "6.2", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == 2 * 3
    assert {
        "source": "meter",
        "target": "headend",
        "protocol": "echonet-multicast",
        "allowed": True,
        "via": ["utility"],
        "clause": "G.9958 6.2",
    } in records


def test_paths_of_a_topology_file_as_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    path = TOPOLOGIES / "6.3.1.toml"
    assert main(["homenet", "paths", "--topology", str(path), "--mermaid"]) == 0
    assert capsys.readouterr().out == diagram(reference_topology("6.3.1"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["6.5"], "configuration '6.5' is not one of Table 1: 6.2, 6.3.1"),
        ([], "give a configuration (6.2, 6.3.1, 6.3.2, 6.4.1, 6.4.2, 6.4.3) or --topology FILE"),
        (["6.2", "--topology", "x.toml"], "not both or neither"),
    ],
)
def test_paths_needs_one_known_configuration(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["homenet", "paths", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hemsnet homenet: ") and message in err
