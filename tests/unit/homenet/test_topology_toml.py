"""Topology files are read strictly; every error names the file and the key path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from hemsnet.errors import ConfigError
from hemsnet.homenet import ComponentKind, load_topology, parse_topology

DOC: dict[str, Any] = {
    "configuration": "6.4.1",
    "network": [{"name": "home", "kind": "general-purpose-home"}],
    "component": [
        {"name": "hems", "kind": "hems-controller", "networks": ["home"]},
        {"name": "battery", "kind": "hems-appliance", "class": "0x027d", "networks": ["home"]},
    ],
    "route": [{"router": "gw", "networks": ["home", "wan"]}],
}


def _with(path: tuple[str | int, ...], value: object) -> dict[str, Any]:
    """DOC with the key at ``path`` set to ``value`` (deleted when value is ...)."""
    doc = copy.deepcopy(DOC)
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


def test_a_document_parses_with_classes_normalised() -> None:
    topology = parse_topology(DOC, "home.toml")
    assert topology.name == "home"
    assert topology.component("battery").device_class == "0x027D"
    assert topology.component("hems").kind is ComponentKind.HEMS_CONTROLLER
    assert topology.networks_of("battery")[0].name == "home"
    assert [c.name for c in topology.members("home")] == ["hems", "battery"]


BAD = {
    "unknown key": (("component", 0, "colour"), "red", r"component\[0\]\.colour: unknown key"),
    "missing configuration": (("configuration",), ..., "configuration: missing"),
    "unknown configuration": (("configuration",), "6.5", "configuration: '6.5' is not one of"),
    "long name": (("network", 0, "name"), "livingroom1", r"network\[0\]\.name: 'livingroom1'"),
    "capital name": (("component", 0, "name"), "Hems", r"component\[0\]\.name: 'Hems' is not"),
    "duplicate name": (
        ("component", 0, "name"),
        "home",
        r"component\[0\]\.name: 'home' is already the name of network\[0\]",
    ),
    "missing kind": (("network", 0, "kind"), ..., r"network\[0\]\.kind: missing"),
    "unknown kind": (("component", 1, "kind"), "fridge", r"component\[1\]\.kind: 'fridge' is not"),
    "class on a controller": (
        ("component", 0, "class"),
        "0x05FF",
        r"component\[0\]\.class: only a hems-appliance",
    ),
    "missing class": (("component", 1, "class"), ..., r"component\[1\]\.class: missing"),
    "bad class": (("component", 1, "class"), "battery", r"component\[1\]\.class: 'battery' is"),
    "network not a string": (
        ("component", 0, "networks"),
        ["home", 3],
        r"component\[0\]\.networks\[1\]: expected a string, got an integer 3",
    ),
    "network twice": (
        ("component", 0, "networks"),
        ["home", "home"],
        r"component\[0\]\.networks: names a network twice",
    ),
    "route of three": (
        ("route", 0, "networks"),
        ["a", "b", "c"],
        r"route\[0\]\.networks: a route joins two networks, not 3",
    ),
    "route without router": (("route", 0, "router"), ..., r"route\[0\]\.router: missing"),
    "networks not an array": (("network",), {"name": "x"}, "network: expected an array"),
}


@pytest.mark.parametrize(("path", "value", "message"), BAD.values(), ids=BAD.keys())
def test_errors_name_the_file_and_key_path(
    path: tuple[str | int, ...], value: object, message: str
) -> None:
    with pytest.raises(ConfigError, match=f"^home.toml: {message}"):
        parse_topology(_with(path, value), "home.toml")


def test_a_file_with_bad_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("configuration = \n")
    with pytest.raises(ConfigError, match=r"bad\.toml: invalid TOML"):
        load_topology(path)


def test_a_file_is_named_after_its_stem(tmp_path: Path) -> None:
    path = tmp_path / "cottage.toml"
    path.write_text('configuration = "6.2"\n')
    assert load_topology(path).name == "cottage"
