"""The demand plan: the ``[demand]`` table of the controller's TOML file.

::

    [demand]
    target_kw = 380             # the 30-minute demand to stay under
    guard_s = 60                # nothing is sent in the last guard_s of a half-hour (E5)
    settle_s = 10               # a command's effect shows this long into the next minute (E4)
    hysteresis = 0.05           # restore only with the projection this far under target (E6)
    band_share = 0.5            # shed on the projection plus this share of the band (E3)
    retries = 2                 # a command refused or unanswered is sent again this often (E8)

    [[demand.appliance]]
    name = "aircon-floor-2"     # how the dashboard, the store and the override name it
    eoj = "013001"
    node = "fe80::2:1"          # optional: the node's address; any node with the object if absent
    priority = 1                # shed lowest first, restored in reverse
    action = "setpoint"         # power-saving, setpoint, level, stop, discharge, defer, off
    shed_value = 28             # setpoint °C, level %; normal_value: what restore sets
    normal_value = 26
    shed_kw = 0.8               # expected reduction of one unit when shed
    units = 1                   # identical units the object commands (a group controller)
    min_off_s = 300             # shed at least this long (unless comfort ends it)
    min_on_s = 300              # restored at least this long before a new shed
    max_off_s = 1800            # comfort: never shed longer
    room_max_c = 28             # comfort (0x0130): restored when the room is warmer
    reserve_percent = 30        # comfort (0x027D, 0x027E): kept above this charge

Only the appliances listed here are ever commanded (E7). A ConfigError names the file and key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from hemsnet.control.actions import ACTION_CLASSES, Action
from hemsnet.echonet.eoj import Eoj, parse_eoj
from hemsnet.errors import ConfigError
from hemsnet.tomlconfig import TomlTable, read_toml

__all__ = ["DemandPlan", "PlanAppliance", "load_plan", "parse_plan"]

_KEYS: Final = ("target_kw", "guard_s", "settle_s", "hysteresis", "band_share", "retries")
_APPLIANCE_KEYS: Final = (
    *("name", "eoj", "node", "priority", "action", "shed_value", "normal_value", "shed_kw"),
    *("units", "min_off_s", "min_on_s", "max_off_s", "room_max_c", "reserve_percent"),
)


@dataclass(frozen=True, slots=True)
class PlanAppliance:
    """One appliance object the plan may command, and its limits."""

    name: str
    eoj: Eoj
    action: Action
    priority: int = 1
    node: str | None = None
    shed_kw: float = 1.0
    units: int = 1
    min_off_s: float = 300.0
    min_on_s: float = 300.0
    max_off_s: float = 1800.0
    room_max_c: float | None = None
    reserve_percent: float | None = None

    @property
    def expected_kw(self) -> float:
        """What shedding it is expected to take off the meter's load."""
        return self.shed_kw * self.units


@dataclass(frozen=True, slots=True)
class DemandPlan:
    """The target and the controllable appliances, lowest priority number first."""

    target_kw: float = 0.0
    appliances: tuple[PlanAppliance, ...] = field(default=())
    guard_s: float = 60.0
    settle_s: float = 10.0
    hysteresis: float = 0.05
    band_share: float = 0.5
    retries: int = 2

    @property
    def enabled(self) -> bool:
        return self.target_kw > 0 and bool(self.appliances)

    def named(self, name: str) -> PlanAppliance | None:
        return next((a for a in self.appliances if a.name == name), None)


def _appliance(table: TomlTable) -> PlanAppliance:
    name = table.raw("name", str, "a string")
    if not name or not name.strip():
        raise table.error("name", "every appliance needs a name")
    eoj_text = table.raw("eoj", str, 'a string like "013001"')
    if eoj_text is None:
        raise table.error("eoj", 'every appliance needs its object, e.g. eoj = "013001"')
    try:
        eoj = parse_eoj(eoj_text)
    except ValueError as exc:
        raise table.error("eoj", str(exc)) from None
    action_name = table.raw("action", str, "a string")
    if action_name not in ACTION_CLASSES:
        raise table.error("action", f"{action_name!r} is not one of {', '.join(ACTION_CLASSES)}")
    if eoj.class_id not in ACTION_CLASSES[action_name]:
        classes = ", ".join(f"0x{c:04X}" for c in sorted(ACTION_CLASSES[action_name]))
        raise table.error("action", f"{action_name} applies to class {classes}, not {eoj}")
    shed = table.integer("shed_value", -1, 0, 255)
    normal = table.integer("normal_value", -1, 0, 255)
    action = Action.of(action_name, None if shed < 0 else shed, None if normal < 0 else normal)
    min_off = table.number("min_off_s", 300.0, 0.0)
    max_off = table.number("max_off_s", 1800.0, 1.0)
    if max_off < min_off:
        raise table.error("max_off_s", f"{max_off:g} s is shorter than min_off_s ({min_off:g} s)")
    room = None
    if table.raw("room_max_c", (int, float), "a number") is not None:
        room = table.number("room_max_c", 0.0, 0.0, 50.0)
    reserve = table.number("reserve_percent", -1.0, 0.0, 100.0)
    return PlanAppliance(
        name=name.strip(),
        eoj=eoj,
        action=action,
        priority=table.integer("priority", 1, 0, 1000),
        node=table.raw("node", str, "an address") or None,
        shed_kw=table.number("shed_kw", 1.0, 0.0, above=True),
        units=table.integer("units", 1, 1, 100_000),
        min_off_s=min_off,
        min_on_s=table.number("min_on_s", 300.0, 0.0),
        max_off_s=max_off,
        room_max_c=room,
        reserve_percent=None if reserve < 0 else reserve,
    )


def parse_plan(data: Mapping[str, Any], source: str = "config") -> DemandPlan:
    """The ``[demand]`` table of a parsed TOML document (no control when absent)."""
    value = data.get("demand", {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: demand: expected a table ([demand])")
    table = TomlTable(value, source, "demand", (*_KEYS, "appliance"))
    default = DemandPlan()
    appliances = [_appliance(t) for t in table.tables("appliance", _APPLIANCE_KEYS)]
    names = [a.name for a in appliances]
    for name in names:
        if names.count(name) > 1:
            raise table.error("appliance", f"the name {name!r} is given twice")
    plan = DemandPlan(
        target_kw=table.number("target_kw", 0.0, 0.0),
        appliances=tuple(sorted(appliances, key=lambda a: a.priority)),
        guard_s=table.number("guard_s", default.guard_s, 0.0, 600.0),
        settle_s=table.number("settle_s", default.settle_s, 0.0, 300.0),
        hysteresis=table.number("hysteresis", default.hysteresis, 0.0, 0.5),
        band_share=table.number("band_share", default.band_share, 0.0, 1.0),
        retries=table.integer("retries", default.retries, 0, 10),
    )
    if plan.appliances and not plan.target_kw:
        raise table.error("target_kw", "controllable appliances need a target (> 0 kW)")
    return plan


def load_plan(path: Path) -> DemandPlan:
    return parse_plan(read_toml(path), str(path))
