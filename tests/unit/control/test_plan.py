"""The demand plan's TOML and the shed actions, checked against the MRA."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from hemsnet.control.actions import ACTION_CLASSES, Action
from hemsnet.control.plan import parse_plan
from hemsnet.errors import ConfigError

PLAN = """
[demand]
target_kw = 380
guard_s = 45

[[demand.appliance]]
name = "aircon-2f"
eoj = "013001"
priority = 2
action = "setpoint"
shed_value = 28
normal_value = 26
units = 40
room_max_c = 29

[[demand.appliance]]
name = "lights"
eoj = "029001"
priority = 1
action = "level"
shed_value = 30
"""


def test_a_plan_reads_in_priority_order() -> None:
    plan = parse_plan(tomllib.loads(PLAN), "hemsnet.toml")
    assert plan.enabled and plan.target_kw == 380 and plan.guard_s == 45
    assert [a.name for a in plan.appliances] == ["lights", "aircon-2f"]
    aircon = plan.appliances[1]
    assert aircon.action == Action("setpoint", 0xB3, b"\x1c", b"\x1a")
    assert aircon.units == 40 and aircon.room_max_c == 29
    assert plan.appliances[0].action.restore == b"\x64"


def test_no_table_no_control() -> None:
    assert not parse_plan({}).enabled


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('action = "setpoint"', "setpoint applies to class 0x0130, not 029001"),
        ('action = "dim"', "'dim' is not one of"),
        ('eoj = "01300"', "an EOJ is 3 bytes"),
        ("units = 0", "units: 0 is out of range"),
        ("min_off_s = 600\nmax_off_s = 300", "shorter than min_off_s"),
        ("colour = 1", "unknown key"),
    ],
)
def test_a_bad_plan_says_what_and_where(change: str, message: str) -> None:
    text = PLAN.replace('action = "level"', "").replace('eoj = "029001"', "")
    text = text.rstrip() + "\n" + ('eoj = "029001"\n' if "eoj" not in change else "")
    text += ('action = "level"\n' if "action" not in change else "") + change + "\n"
    with pytest.raises(ConfigError) as caught:
        parse_plan(tomllib.loads(text), "hemsnet.toml")
    assert str(caught.value).startswith("hemsnet.toml: demand.appliance[1].")
    assert message in str(caught.value)


def test_appliances_need_a_target() -> None:
    with pytest.raises(ConfigError, match=r"demand\.target_kw: controllable appliances need"):
        parse_plan(tomllib.loads(PLAN.replace("target_kw = 380", "")), "x")


def test_twice_the_same_name_is_refused() -> None:
    with pytest.raises(ConfigError, match="'lights' is given twice"):
        parse_plan(tomllib.loads(PLAN.replace('"aircon-2f"', '"lights"')), "x")


def test_every_action_sets_an_epc_the_mra_makes_settable(mra: Path) -> None:
    superclass = json.loads((mra / "superClass" / "0x0000.json").read_text())
    settable_super = {
        int(p["epc"], 16)
        for p in superclass["elProperties"]
        if p["accessRule"]["set"] in ("required", "optional")
    }
    for name, classes in ACTION_CLASSES.items():
        action = Action.of(name)
        for class_id in classes:
            data = json.loads((mra / "devices" / f"0x{class_id:04X}.json").read_text())
            rules = {int(p["epc"], 16): p["accessRule"]["set"] for p in data["elProperties"]}
            settable = {e for e, rule in rules.items() if rule in ("required", "optional")}
            assert action.epc in settable | settable_super, (name, hex(class_id))
