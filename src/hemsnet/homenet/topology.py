"""Reading a topology from TOML: one ``[[network]]`` per network, one ``[[component]]`` each.

::

    name = "japan"
    configuration = "6.4.3"

    [[network]]
    name = "routeb"
    kind = "hems-dedicated"

    [[component]]
    name = "meter"
    kind = "smart-meter"
    networks = ["utility", "routeb"]

    [[route]]
    router = "gw"
    networks = ["home", "wan"]

Parsing is strict (unknown keys, wrong types, bad or duplicate names are a
:class:`~hemsnet.errors.ConfigError` naming the file and the key path); whether the names a
component or route refers to exist, and everything the Recommendation says, is for
:func:`hemsnet.homenet.rules.check`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Final, TypeVar

from hemsnet.errors import ConfigError
from hemsnet.homenet.configurations import CONFIGURATIONS
from hemsnet.homenet.model import (
    Attachment,
    Component,
    ComponentKind,
    Network,
    NetworkKind,
    Route,
    Topology,
)
from hemsnet.tomlconfig import TomlTable, kind_of, read_toml

__all__ = ["NAME_PATTERN", "load_topology", "parse_topology", "reference_topology"]

#: Names become network namespace and bridge names: short, and safe in a shell.
NAME_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,9}")
_CLASS_PATTERN: Final = re.compile(r"0[xX][0-9a-fA-F]{4}")
_E = TypeVar("_E", ComponentKind, NetworkKind)


def _name(table: TomlTable, key: str, seen: dict[str, str]) -> str:
    value = table.raw(key, str, "a string")
    if value is None:
        raise table.error(key, "missing")
    if not NAME_PATTERN.fullmatch(value):
        raise table.error(key, f"{value!r} is not 1-10 characters of a-z, 0-9 and -")
    if value in seen:
        raise table.error(key, f"{value!r} is already the name of {seen[value]}")
    seen[value] = table.where()
    return str(value)


def _names(table: TomlTable, key: str) -> list[str]:
    values = table.array(key)
    for index, value in enumerate(values):
        if not isinstance(value, str):
            raise table.error(f"{key}[{index}]", f"expected a string, got {kind_of(value)}")
    if len(set(values)) != len(values):
        raise table.error(key, "names a network twice")
    return values


def _device_class(table: TomlTable, kind: ComponentKind) -> str | None:
    value = table.raw("class", str, "a string")
    if kind is not ComponentKind.HEMS_APPLIANCE:
        if value is not None:
            raise table.error("class", "only a hems-appliance has an ECHONET class")
        return None
    if value is None:
        raise table.error("class", "missing (a hems-appliance names its ECHONET class)")
    if not _CLASS_PATTERN.fullmatch(value):
        raise table.error("class", f'{value!r} is not an ECHONET class like "0x027D"')
    return f"0x{value[2:].upper()}"


def _required_choice(table: TomlTable, key: str, default: _E) -> _E:
    if table.raw(key, str, "a string") is None:
        raise table.error(key, "missing")
    return table.choice(key, default)


def parse_topology(data: Mapping[str, Any], source: str) -> Topology:
    """The topology a parsed TOML document describes; ``source`` names it in errors."""
    top = TomlTable(data, source, "", ("name", "configuration", "network", "component", "route"))
    name = top.raw("name", str, "a string") or Path(source).stem
    configuration = top.raw("configuration", str, "a string")
    if configuration is None:
        raise top.error("configuration", f"missing (one of {', '.join(CONFIGURATIONS)})")
    if configuration not in CONFIGURATIONS:
        raise top.error(
            "configuration", f"{configuration!r} is not one of Table 1: {', '.join(CONFIGURATIONS)}"
        )
    seen: dict[str, str] = {}
    networks = [
        Network(_name(t, "name", seen), _required_choice(t, "kind", NetworkKind.UTILITY))
        for t in top.tables("network", ("name", "kind"))
    ]
    components = []
    attachments = []
    for table in top.tables("component", ("name", "kind", "class", "networks")):
        component_name = _name(table, "name", seen)
        kind = _required_choice(table, "kind", ComponentKind.SMART_METER)
        components.append(Component(component_name, kind, _device_class(table, kind)))
        attachments += [Attachment(component_name, n) for n in _names(table, "networks")]
    routes = []
    for table in top.tables("route", ("router", "networks")):
        router = table.raw("router", str, "a string")
        if router is None:
            raise table.error("router", "missing")
        between = _names(table, "networks")
        if len(between) != 2:
            raise table.error("networks", f"a route joins two networks, not {len(between)}")
        routes.append(Route(router, (between[0], between[1])))
    return Topology(
        name, configuration, tuple(components), tuple(networks), tuple(attachments), tuple(routes)
    )


def load_topology(path: Path) -> Topology:
    """The topology in the TOML file ``path``."""
    return parse_topology(read_toml(path), str(path))


def reference_topology(configuration: str) -> Topology:
    """The topology shipped for ``configuration`` (``hemsnet/homenet/topologies/*.toml``)."""
    if configuration not in CONFIGURATIONS:
        raise ConfigError(
            f"configuration {configuration!r} is not one of Table 1: {', '.join(CONFIGURATIONS)}"
        )
    resource = resources.files("hemsnet.homenet") / "topologies" / f"{configuration}.toml"
    with resources.as_file(resource) as path:
        return load_topology(path)
