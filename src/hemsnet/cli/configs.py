"""One TOML file for a whole deployment: what ``--config FILE`` gives every long-running
command.

Each table is read by its owner: the controller's (``[timers]`` … ``[appliances]``,
:mod:`hemsnet.controller.config`), ``[dashboard]`` (:mod:`hemsnet.web.config`), ``[mqtt]``
(:mod:`hemsnet.uplink.config`), ``[demand]`` (:mod:`hemsnet.control.plan`), ``[openadr]``
(:mod:`hemsnet.uplink.openadr_config`), ``[routec]`` (:mod:`hemsnet.uplink.routec_config`), and
here where the
controller runs, so that a service needs no other argument (examples/hemsnet.toml)::

    [link]
    iface = "eth1"              # the Route B interface (--iface)
    meter = "fe80::1:1"         # optional: the meter's address (--meter)
    hems_iface = ["eth2"]       # optional: HEMS networks (--hems-iface)
    ipv4 = false                # also IPv4 (--ipv4)

    [store]
    db = "/var/lib/hemsnet/hemsnet.db"   # the SQLite store (--db)

A command-line option wins over the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from hemsnet.control.plan import DemandPlan, parse_plan
from hemsnet.controller.config import ControllerConfig, parse_config
from hemsnet.tomlconfig import TomlTable, read_toml
from hemsnet.uplink.config import MqttConfig, parse_mqtt
from hemsnet.uplink.openadr_config import OpenAdrConfig, parse_openadr
from hemsnet.uplink.routec_config import RouteCConfig, parse_routec
from hemsnet.web.config import DashboardConfig, parse_dashboard

__all__ = ["Configs", "Deployment", "configs_of", "read_configs"]

_LINK_KEYS: Final = ("iface", "meter", "hems_iface", "ipv4")


@dataclass(frozen=True, slots=True)
class Deployment:
    """Where the controller runs: ``[link]`` and ``[store]``; ``None`` where not given."""

    iface: str | None = None
    meter: str | None = None
    hems_ifaces: tuple[str, ...] = ()
    ipv4: bool = False
    db: Path | None = None


@dataclass(frozen=True, slots=True)
class Configs:
    """Every table of one ``--config`` file (the defaults without one)."""

    controller: ControllerConfig = field(default_factory=ControllerConfig)
    dashboard: DashboardConfig = field(default_factory=DashboardConfig)
    mqtt: MqttConfig = field(default_factory=MqttConfig)
    deployment: Deployment = field(default_factory=Deployment)
    demand: DemandPlan = field(default_factory=DemandPlan)
    openadr: OpenAdrConfig = field(default_factory=OpenAdrConfig)
    routec: RouteCConfig = field(default_factory=RouteCConfig)


def _deployment(data: dict[str, Any], source: str) -> Deployment:
    tables = ("link", "store")
    root = TomlTable({k: v for k, v in data.items() if k in tables}, source, "", tables)
    link = root.table("link", _LINK_KEYS)
    store = root.table("store", ("db",))
    hems = link.array("hems_iface")
    if not all(isinstance(name, str) and name for name in hems):
        raise link.error("hems_iface", "expected a list of interface names")
    db = store.raw("db", str, "a path")
    return Deployment(
        iface=link.raw("iface", str, "an interface name") or None,
        meter=link.raw("meter", str, "an address") or None,
        hems_ifaces=tuple(hems),
        ipv4=link.boolean("ipv4", default=False),
        db=Path(db) if db else None,
    )


def read_configs(path: Path | None) -> Configs:
    """Every table of ``path`` (defaults without one); a ConfigError names the file and key."""
    if path is None:
        return Configs()
    return configs_of(read_toml(path), str(path))


def configs_of(data: dict[str, Any], source: str) -> Configs:
    """Every table of a parsed TOML document, each read by its owner."""
    return Configs(
        parse_config(data, source),
        parse_dashboard(data, source),
        parse_mqtt(data, source),
        _deployment(data, source),
        parse_plan(data, source),
        parse_openadr(data, source),
        parse_routec(data, source),
    )
