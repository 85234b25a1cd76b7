"""The six HEMS-managed appliance tables, row by row against the MRA in ``shared/spec/mra``.

An appliance table holds a subset of its class: every mandatory property and the ones a HEMS
reads. Each row must match the MRA at Release R (sizes, access rules, state codes), every
unconditionally mandatory MRA property must be a row, and each conditional one
(``required_c``/``required_o``) that is left out is listed below with the reason.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from hemsnet.devices.codecs.primitives import CodeTable, OrNone
from hemsnet.devices.model import Access, ClassDef
from hemsnet.devices.registry import class_def
from tests.unit.devices.test_mra import SERVICES, mra_properties, mra_resolve, mra_size

pytestmark = pytest.mark.usefixtures("mra")  # skipped without it, failed in CI

APPLIANCES = (0x027D, 0x0279, 0x027E, 0x0130, 0x0290, 0x026B)
ACCESS = {
    "required": Access.MANDATORY,
    "required_c": Access.MANDATORY,  # mandatory when the unit has the function
    "required_o": Access.MANDATORY,
    "optional": Access.OPTIONAL,
    "notApplicable": Access.NOT_SUPPORTED,
}
_BATTERY_E3 = "one of E2/E3/E4 is enough: E2 and E4 are served"
_PV_CONTROL = "output control function only; the emulated unit has none"
#: Conditionally mandatory properties that are left out, with the reason (docs/appliances.md).
LEFT_OUT: dict[int, dict[int, str]] = {
    0x027D: {0xE3: _BATTERY_E3},
    0x0279: {epc: _PV_CONTROL for epc in (0xA0, 0xA1, 0xA2, 0xB0, 0xB1, 0xB2, 0xB4, 0xC3, 0xC4)},
    0x027E: {},
    0x0130: {},
    0x0290: {},
    0x026B: {0xE3: "bath function only; the emulated unit has none"},
}
#: The power reading a controller records for each class (fixed by the controller side).
POWER_EPC = {0x0130: 0x84, 0x0290: 0x84, 0x026B: 0x84, 0x0279: 0xE0, 0x027D: 0xD3, 0x027E: 0xD3}


@cache
def mra_rows(class_id: int) -> dict[int, dict[str, Any]]:
    return {
        **mra_properties("superClass/0x0000.json"),
        **mra_properties(f"devices/0x{class_id:04X}.json"),
    }


def _state_codes(node: dict[str, Any]) -> set[int]:
    """The codes of the MRA's state (or enumerated number) options of a data node."""
    node = mra_resolve(node)
    if "oneOf" in node:
        return {code for option in node["oneOf"] for code in _state_codes(option)}
    if node.get("type") == "state":
        return {int(item["edt"], 16) for item in node["enum"]}
    if node.get("type") == "level":
        return {int(node["base"], 16) + n for n in range(node["maximum"])}
    if node.get("type") == "number" and "enum" in node:
        return set(node["enum"])
    return set()


def _table(class_id: int) -> ClassDef:
    table = class_def(class_id)
    assert table is not None
    return table


_IDS = [f"0x{c:04X}" for c in APPLIANCES]


@pytest.mark.parametrize("class_id", APPLIANCES, ids=_IDS)
def test_every_row_is_an_mra_property_of_the_same_size(class_id: int) -> None:
    mra = mra_rows(class_id)
    for prop in _table(class_id):
        assert prop.epc in mra, f"0x{class_id:04X} EPC 0x{prop.epc:02X} is not in the MRA"
        expected = mra_size(mra[prop.epc]["data"])
        assert (prop.min_size, prop.max_size) == expected, f"EPC 0x{prop.epc:02X}"


@pytest.mark.parametrize("class_id", APPLIANCES, ids=_IDS)
def test_access_rules_match(class_id: int) -> None:
    mra = mra_rows(class_id)
    for prop in _table(class_id):
        for service, key in SERVICES.items():
            theirs = ACCESS[mra[prop.epc]["accessRule"][key]]
            assert getattr(prop, service) is theirs, f"EPC 0x{prop.epc:02X} {service}"


@pytest.mark.parametrize("class_id", APPLIANCES, ids=_IDS)
def test_state_codes_match(class_id: int) -> None:
    mra = mra_rows(class_id)
    checked = 0
    for prop in _table(class_id):
        codec = prop.codec
        if isinstance(codec, CodeTable):
            ours = set(codec.table)
        elif isinstance(codec, OrNone):
            ours = {int.from_bytes(code, "big") for code in codec.codes}
        else:
            continue
        assert ours == _state_codes(mra[prop.epc]["data"]), f"EPC 0x{prop.epc:02X}"
        checked += 1
    assert checked >= 1


@pytest.mark.parametrize("class_id", APPLIANCES, ids=_IDS)
def test_mandatory_properties_are_rows_or_listed(class_id: int) -> None:
    table = _table(class_id)
    missing = {}
    for epc, entry in mra_rows(class_id).items():
        rules = {entry["accessRule"][key] for key in ("get", "set")}
        if epc not in table and rules & {"required", "required_c", "required_o"}:
            missing[epc] = rules
    assert set(missing) == set(LEFT_OUT[class_id])
    for epc in LEFT_OUT[class_id]:
        assert "required" not in missing[epc], f"0x{epc:02X} is unconditionally mandatory"


@pytest.mark.parametrize("class_id", APPLIANCES, ids=_IDS)
def test_the_recorded_power_reading_is_readable(class_id: int) -> None:
    prop = _table(class_id)[POWER_EPC[class_id]]
    assert prop.get.allowed
    assert "W" in prop.codec.describe(1)
