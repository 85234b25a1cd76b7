"""meter.toml: defaults, every key, every refusal naming the file and the key path."""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hemsnet.devices.units import MULTIPLIER_CODES, UNIT_CODES_BIDIR
from hemsnet.errors import ConfigError
from hemsnet.meter.config import (
    OPTIONAL_EPCS,
    MeterConfig,
    MixedHistory,
    load_config,
    parse_config,
)
from hemsnet.physics.load import LoadSettings, Profile, Surge
from hemsnet.tomlconfig import TomlTable, read_toml
from tests.conftest import REPO

EXAMPLE = REPO / "examples" / "meter.toml"


def _meter(**keys: Any) -> MeterConfig:
    return parse_config({"meter": keys}, "meter.toml")


def _refused(data: dict[str, Any], path: str, *fragments: str) -> str:
    """The message of the ConfigError ``data`` raises; it names the source and ``path``."""
    with pytest.raises(ConfigError) as info:
        parse_config(data, "meter.toml")
    message = str(info.value)
    assert message.startswith(f"meter.toml: {path}: "), message
    for fragment in fragments:
        assert fragment in message, message
    return message


def _meter_refused(key: str, value: Any, *fragments: str) -> str:
    return _refused({"meter": {key: value}}, f"meter.{key}", *fragments)


# --- defaults and the example ---------------------------------------------------------------


def test_empty_document_is_the_default() -> None:
    assert parse_config({}) == MeterConfig()
    assert parse_config({"meter": {}, "load": {}}) == MeterConfig()


def test_defaults() -> None:
    config = MeterConfig()
    assert config.manufacturer == b"\xff\xff\xff"
    assert config.optional == OPTIONAL_EPCS
    assert (config.energy_unit, config.multiplier_code, config.coefficient) == (0x01, 0x00, 1)
    assert config.mixed_history is MixedHistory.REFUSE
    assert config.load == LoadSettings()


def test_example_lists_the_defaults_and_writes_out_the_route_b_id() -> None:
    config = load_config(EXAMPLE)
    default = MeterConfig()
    assert config == replace(default, route_b_id=default.effective_route_b_id)
    assert config.effective_route_b_id == default.effective_route_b_id


def test_example_names_every_key() -> None:
    data = tomllib.loads(EXAMPLE.read_text())
    meter = {key for key in data["meter"] if key != "optional"}
    renamed = {"multiplier": "multiplier_code", "class": "meter_class"}
    fields = {renamed.get(key, key) for key in meter} | {"optional", "load"}
    assert fields == set(MeterConfig.__dataclass_fields__)
    assert {int(key, 16) for key in data["meter"]["optional"]} == OPTIONAL_EPCS
    assert {{"surge": "surges"}.get(key, key) for key in data["load"]} == set(
        LoadSettings.__dataclass_fields__
    )


def test_load_surges_are_windows_with_a_factor() -> None:
    config = parse_config(
        {
            "load": {
                "surge": [
                    {"start": datetime(2026, 11, 21, 10, 10), "minutes": 30, "factor": 4.0},
                    {"start": datetime(2026, 11, 22, 9), "end": datetime(2026, 11, 22, 9, 5)},
                ]
            }
        }
    )
    assert config.load.surges == (
        Surge(datetime(2026, 11, 21, 10, 10), datetime(2026, 11, 21, 10, 40), 4.0),
        Surge(datetime(2026, 11, 22, 9), datetime(2026, 11, 22, 9, 5), 1.0),
    )


@pytest.mark.parametrize(
    ("surge", "fragment"),
    [
        ({"start": datetime(2026, 11, 21, 10), "minutes": 5, "factor": 0}, "load.surge[0].factor"),
        ({"start": datetime(2026, 11, 21, 10), "minutes": 5, "factor": 11}, "<= 10"),
        ({"minutes": 5, "factor": 2.0}, "needs a start"),
        ({"start": datetime(2026, 11, 21, 10), "factor": 2.0}, "give either end or minutes"),
        ({"start": datetime(2026, 11, 21, 10), "minutes": 5, "level": 2}, "level"),
    ],
)
def test_bad_surges_are_refused_by_key_path(surge: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        parse_config({"load": {"surge": [surge]}})


# --- files ------------------------------------------------------------------------------------


def test_load_config_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "meter.toml"
    path.write_text("[meter]\nfixed_date = 15\n")
    assert load_config(path) == MeterConfig(fixed_date=15)


def test_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "meter.toml"
    path.write_text("[meter]\nfixed_date = 0\n")
    with pytest.raises(ConfigError, match=r"meter\.toml: meter\.fixed_date: 0 is out of range"):
        load_config(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(ConfigError, match=re.escape(f"{path}: no such file")):
        load_config(path)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"{tmp_path}: cannot read")):
        load_config(tmp_path)  # a directory


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "meter.toml"
    path.write_bytes(b"[meter]\n# \xff\n")
    with pytest.raises(ConfigError, match=r"meter\.toml: not UTF-8 text \(byte 10\)"):
        load_config(path)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "meter.toml"
    path.write_text("[meter]\n\nfixed_date = = 3\n")
    with pytest.raises(ConfigError, match=r"meter\.toml: invalid TOML: .*line 3"):
        load_config(path)


def test_read_toml(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text("a = 1\n[b]\nc = 'd'\n")
    assert read_toml(path) == {"a": 1, "b": {"c": "d"}}


# --- structure and types ----------------------------------------------------------------------


def test_unknown_table_suggests_the_closest() -> None:
    _refused({"metre": {}}, "metre", "unknown table", "did you mean 'meter'?")


def test_unknown_top_level_key_lists_the_known() -> None:
    _refused({"zzz": 1}, "zzz", "unknown key", "known: meter, load")


def test_key_outside_its_table() -> None:
    _refused({"fixed_date": 3}, "fixed_date", "belongs in the [meter] table")
    _refused({"peak_kw": 3}, "peak_kw", "belongs in the [load] table")


def test_unknown_meter_key_suggests_the_closest() -> None:
    _meter_refused("retained_day", 3, "unknown key", "did you mean 'retained_days'?")


def test_unknown_load_key() -> None:
    _refused({"load": {"peak": 3}}, "load.peak", "unknown key", "did you mean 'peak_kw'?")


def test_table_given_as_a_value() -> None:
    _refused({"meter": 3}, "meter", "expected a table, got an integer 3")


@pytest.mark.parametrize(
    ("key", "value", "expected", "given"),
    [
        ("fixed_date", "1", "expected an integer", "got a string '1'"),
        ("fixed_date", 1.0, "expected an integer", "got a float 1.0"),
        ("fixed_date", True, "expected an integer", "got a boolean true"),
        ("reverse_measurement", 1, "expected a boolean", "got an integer 1"),
        ("manufacturer", 0xFFFFFF, "expected a hex string of 3 bytes", "got an integer"),
        ("production_number", ["x"], "expected a string", "got an array"),
        ("controllers", "fe80::1", "expected an array", "got a string 'fe80::1'"),
        ("optional", True, "expected a table of EPC = true/false", "got a boolean true"),
        ("energy_unit", True, "expected a number or a string", "got a boolean true"),
        ("mixed_history", False, "expected a string", "got a boolean false"),
    ],
)
def test_wrong_types_name_key_expected_and_given(
    key: str, value: Any, expected: str, given: str
) -> None:
    _meter_refused(key, value, expected, given)


def test_load_wrong_type() -> None:
    _refused({"load": {"peak_kw": "300"}}, "load.peak_kw", "expected a number, got a string")
    _refused({"load": {"peak_kw": True}}, "load.peak_kw", "expected a number, got a boolean")


# --- hex identities ---------------------------------------------------------------------------


def test_hex_keys() -> None:
    config = _meter(
        manufacturer="0x00 00 77",
        unique_id="01:02:03:04:05:06:07:08:09:0A:0B:0C:0D",
        route_b_id="00000077" + "AB" * 12,
    )
    assert config.manufacturer == b"\x00\x00\x77"
    assert config.unique_id == bytes(range(1, 14))
    assert config.route_b_id == b"\x00\x00\x00\x77" + b"\xab" * 12


def test_effective_route_b_id_follows_the_manufacturer() -> None:
    config = _meter(manufacturer="000077")
    assert config.route_b_id is None
    assert config.effective_route_b_id == bytes.fromhex("00000077") + bytes(12)
    given = _meter(route_b_id="11" * 16)
    assert given.effective_route_b_id == b"\x11" * 16


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("manufacturer", "FFFF", "'FFFF' is 2 bytes, expected 3"),
        ("manufacturer", "FFFFFFFF", "is 4 bytes, expected 3"),
        ("manufacturer", "GGGGGG", "'GGGGGG' is not hexadecimal bytes"),
        ("unique_id", "00", "is 1 bytes, expected 13"),
        ("route_b_id", "00" * 17, "is 17 bytes, expected 16"),
        ("route_b_id", "", "'' is 0 bytes, expected 16"),
    ],
)
def test_bad_hex(key: str, value: str, fragment: str) -> None:
    _meter_refused(key, value, fragment)


def test_production_number() -> None:
    assert _meter(production_number="ABC-12345678").production_number == "ABC-12345678"
    _meter_refused("production_number", "SHORT", "'SHORT' is not 12 printable ASCII")
    _meter_refused("production_number", "THIRTEEN-CHAR", "is not 12 printable ASCII")
    _meter_refused("production_number", "ÄBCDEFGHIJKL", "is not 12 printable ASCII")
    _meter_refused("production_number", "ABCDEFGHIJK\n", "is not 12 printable ASCII")


# --- ranges -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "good", "bad", "span"),
    [
        ("location", [0x00, 0x08, 0x7F, 0x80, 0xFF], [-1, 0x100], "0..255"),
        ("fixed_date", [1, 31], [0, 32], "1..31"),
        ("retained_days", [0, 99], [-1, 100], "0..99"),
        ("coefficient", [1, 999_999], [0, 1_000_000], "1..999999"),
        ("energy_digits", [1, 8], [0, 9], "1..8"),
        ("demand_digits", [1, 8], [0, 9], "1..8"),
        ("reactive_digits", [1, 8], [0, 9], "1..8"),
        ("max_controllers", [1, 3], [0, 4], "1..3"),
    ],
)
def test_integer_ranges(key: str, good: list[int], bad: list[int], span: str) -> None:
    for value in good:
        assert getattr(_meter(**{key: value}), key) == value
    for value in bad:
        _meter_refused(key, value, f"{value} is out of range (expected {span})")


def test_location_position_form_is_refused() -> None:
    _meter_refused("location", 0x01, "0x01 needs 16 bytes of position")


@pytest.mark.parametrize("code", range(0x02, 0x08))
def test_reserved_locations_are_refused(code: int) -> None:
    _meter_refused("location", code, f"0x{code:02X} is reserved")


def test_minute_history_days() -> None:
    assert _meter(retained_days=10, minute_history_days=10).minute_history_days == 10
    assert _meter(retained_days=0, minute_history_days=1).minute_history_days == 1
    _refused(
        {"meter": {"retained_days": 10, "minute_history_days": 11}},
        "meter.minute_history_days",
        "11 is more than retained_days (10)",
    )
    _refused(
        {"meter": {"retained_days": 0, "minute_history_days": 2}},
        "meter.minute_history_days",
        "2 is more than retained_days (0)",
    )
    _meter_refused("minute_history_days", 0, "0 is out of range (expected 1..99)")
    _refused(
        {"meter": {"retained_days": 99, "minute_history_days": 100}},
        "meter.minute_history_days",
        "100 is out of range (expected 1..99)",
    )


def test_booleans_and_choices() -> None:
    config = _meter(reverse_measurement=False, companion_028a=True, mixed_history="serve")
    assert config.reverse_measurement is False
    assert config.companion_028a is True
    assert config.mixed_history is MixedHistory.SERVE
    _meter_refused("mixed_history", "ignore", "'ignore' is not one of refuse, serve")


# --- units and multiplier ---------------------------------------------------------------------

UNIT_KEYS = ("energy_unit", "demand_unit", "max_demand_unit", "reactive_unit")


@pytest.mark.parametrize("key", UNIT_KEYS)
@pytest.mark.parametrize(("code", "factor"), UNIT_CODES_BIDIR.items())
def test_every_unit_maps_to_its_code(key: str, code: int, factor: Any) -> None:
    assert getattr(_meter(**{key: str(factor)}), key) == code
    assert getattr(_meter(**{key: float(factor)}), key) == code
    assert getattr(_meter(**{key: f"0x{code:02x}"}), key) == code


@pytest.mark.parametrize(
    ("value", "code"),
    [(1, 0x00), (10, 0x0A), (100000, 0x0E), (0.1, 0x01), (1e-4, 0x04), ("1e5", 0x0E),
     ("0.10", 0x01), (" 1000 ", 0x0C), (1.0, 0x00)],
)  # fmt: skip
def test_unit_spellings_compare_exactly(value: Any, code: int) -> None:
    assert _meter(energy_unit=value).energy_unit == code


@pytest.mark.parametrize("value", [0.5, "0.00001", 1000000, 0.1000000001, 0, -1, "nan", "inf"])
def test_unknown_unit_value(value: Any) -> None:
    # 0.1000000001 is within math.isclose of 0.1: the match must be exact, not approximate.
    message = _meter_refused("energy_unit", value, f"{value!r} is not a unit (known: 1, 0.1,")
    assert "100000)" in message


def test_unknown_unit_code_lists_the_codes() -> None:
    # The message of the brief: codes 0x05..0x09 do not exist [MRA 0x028F].
    message = _meter_refused("energy_unit", "0x05", "0x05 is not a unit code")
    assert message == (
        "meter.toml: meter.energy_unit: 0x05 is not a unit code (known: 0x00..0x04, 0x0A..0x0E)"
    )
    _meter_refused("reactive_unit", "0xZZ", "'0xZZ' is not a hex code")


@pytest.mark.parametrize(("code", "factor"), MULTIPLIER_CODES.items())
def test_multiplier(code: int, factor: Any) -> None:
    assert _meter(multiplier=str(factor)).multiplier_code == code
    assert _meter(multiplier=float(factor)).multiplier_code == code
    assert _meter(multiplier=f"0x{code:02X}").multiplier_code == code


def test_bad_multiplier() -> None:
    _meter_refused(
        "multiplier", 10, "10 is not a coefficient multiplier (known: 1, 0.1, 0.01, 0.001)"
    )
    _meter_refused(
        "multiplier", "0x04", "0x04 is not a coefficient multiplier code (known: 0x00..0x03)"
    )


# --- optional EPCs and the cross-field rules ----------------------------------------------------


def test_optional_switches_off_and_keeps_the_rest() -> None:
    config = _meter(optional={"0x8D": False, "0xe4": False, "0xC2": True})
    assert config.optional == OPTIONAL_EPCS - {0x8D, 0xE4}


def test_all_reactive_off_is_allowed() -> None:
    off = dict.fromkeys(("0xCA", "0xCB", "0xCC", "0xCD", "0xCE", "0xCF"), False)
    assert _meter(optional=off).optional == frozenset({0x8D, 0xC2, 0xC7, 0xE4})
    units_only = {"0xC2": False}
    assert 0xC7 in _meter(optional=units_only).optional  # a unit without its reading is harmless


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("0x80", "Operation status is mandatory [AIF Tables 2-3, 2-4]"),
        ("0x81", "Installation location is mandatory"),
        ("0xE7", "is mandatory"),
        ("0xD1", "is not implemented by the emulator"),
        ("0x01", "unknown EPC for class 0x028F"),
        ("C2", "not an EPC name like 0xC2"),
        ("0xC", "not an EPC name like 0xC2"),
        ("0xG1", "not an EPC name like 0xC2"),
    ],
)
def test_epcs_that_cannot_be_switched(key: str, fragment: str) -> None:
    message = _refused({"meter": {"optional": {key: False}}}, f"meter.optional.{key}", fragment)
    assert "switchable: 0x8D, 0xC2, 0xC7, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF, 0xE4" in message


def test_optional_value_must_be_a_boolean() -> None:
    _refused(
        {"meter": {"optional": {"0xC2": "off"}}},
        "meter.optional.0xC2",
        "expected a boolean, got a string 'off'",
    )


def test_optional_epc_given_twice() -> None:
    _refused(
        {"meter": {"optional": {"0xc2": True, "0xC2": False}}},
        "meter.optional.0xC2",
        "the same EPC as '0xc2'",
    )


def test_c2_needs_c7() -> None:
    _refused(
        {"meter": {"optional": {"0xC7": False}}},
        "meter.optional",
        "0xC2 needs 0xC7 (its unit) on too",
    )
    assert _meter(optional={"0xC7": False, "0xC2": False}).optional.isdisjoint({0xC2, 0xC7})


@pytest.mark.parametrize("reading", ["0xCA", "0xCB", "0xCE", "0xCF"])
@pytest.mark.parametrize(
    ("off", "needs"), [("0xCC", "0xCC (its effective digits)"), ("0xCD", "0xCD (its unit)")]
)
def test_reactive_readings_need_digits_and_unit(reading: str, off: str, needs: str) -> None:
    others = {"0xCA", "0xCB", "0xCE", "0xCF"} - {reading}
    switches = {off: False, **dict.fromkeys(others, False)}
    _refused({"meter": {"optional": switches}}, "meter.optional", f"{reading} needs {needs} on")


def test_reactive_reading_without_both_names_both() -> None:
    _refused(
        {"meter": {"optional": {"0xCC": False, "0xCD": False}}},
        "meter.optional",
        "0xCA needs 0xCC (its effective digits) and 0xCD (its unit) on too",
    )


# --- controllers ------------------------------------------------------------------------------


def test_controllers() -> None:
    config = _meter(max_controllers=2, controllers=["fe80::1%eth0", "192.0.2.7"])
    assert config.controllers == ("fe80::1%eth0", "192.0.2.7")


def test_more_controllers_than_allowed() -> None:
    _refused(
        {"meter": {"controllers": ["fe80::1", "fe80::2"]}},
        "meter.controllers",
        "2 addresses, more than max_controllers (1)",
    )


@pytest.mark.parametrize(
    ("value", "given"), [("", "a string ''"), ("  ", "a string"), (7, "an integer 7")]
)
def test_controller_must_be_a_non_empty_string(value: Any, given: str) -> None:
    _refused(
        {"meter": {"max_controllers": 3, "controllers": ["fe80::1", value]}},
        "meter.controllers[1]",
        f"expected a non-empty string, got {given}",
    )


# --- [load] -----------------------------------------------------------------------------------


def test_load_settings() -> None:
    load = {
        "profile": "factory",
        "peak_kw": 1200,
        "noise": 0,
        "pv_kw": 500.5,
        "power_factor": 1,
        "pv_power_factor": 0.5,
        "voltage_v": 22000,
    }
    settings = parse_config({"load": load}).load
    assert settings == LoadSettings(Profile.FACTORY, 1200.0, 0.0, 500.5, 1.0, 0.5, 22000.0)
    assert all(isinstance(getattr(settings, key), float) for key in load if key != "profile")


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("profile", "home", "'home' is not one of factory, office, school"),
        ("peak_kw", 0, "0 is out of range (expected > 0 and <= 100000)"),
        ("peak_kw", 100000.5, "100000.5 is out of range (expected > 0 and <= 100000)"),
        ("noise", -0.01, "-0.01 is out of range (expected 0..0.5)"),
        ("noise", 0.51, "0.51 is out of range (expected 0..0.5)"),
        ("pv_kw", -1, "-1 is out of range (expected 0..100000)"),
        ("pv_kw", 100001, "100001 is out of range (expected 0..100000)"),
        ("power_factor", 0.49, "0.49 is out of range (expected 0.5..1)"),
        ("power_factor", 1.01, "1.01 is out of range (expected 0.5..1)"),
        ("pv_power_factor", 0.4, "0.4 is out of range (expected 0.5..1)"),
        ("voltage_v", 0, "0 is out of range (expected > 0)"),
        ("voltage_v", float("inf"), "inf is not a finite number"),
        ("noise", float("nan"), "nan is not a finite number"),
    ],
)
def test_load_ranges(key: str, value: Any, fragment: str) -> None:
    _refused({"load": {key: value}}, f"load.{key}", fragment)


@pytest.mark.parametrize(
    ("key", "value"),
    [("peak_kw", 100000), ("noise", 0.5), ("pv_kw", 0), ("power_factor", 0.5),
     ("pv_power_factor", 1), ("voltage_v", 1e-3)],
)  # fmt: skip
def test_load_bounds_are_inclusive(key: str, value: float) -> None:
    assert getattr(parse_config({"load": {key: value}}).load, key) == value


# --- the reader itself ------------------------------------------------------------------------


def test_toml_table_paths() -> None:
    root = TomlTable({"a": {"b": [{"c": 1}, 2]}}, "src", "", ("a",))
    inner = root.table("a", ("b",))
    assert inner.where("b") == "a.b"
    assert inner.where() == "a"
    with pytest.raises(ConfigError, match=r"^src: a\.b\[1\]: expected a table, got an integer 2$"):
        inner.tables("b", ("c",))
    with pytest.raises(ConfigError, match=r"^src: a\.b: expected an array of tables \(\[\[b\]\]\)"):
        TomlTable({"b": {}}, "src", "a", ("b",)).tables("b", ())


def test_class_0288_takes_a_homes_defaults() -> None:
    config = parse_config({"meter": {"class": "0288"}, "load": {"peak_kw": 6}})
    assert config.meter_class == 0x0288 and config.low_voltage_meter
    assert (config.energy_unit, config.energy_digits) == (0x01, 6)
    assert config.load.profile is Profile.HOUSEHOLD and config.load.peak_kw == 6.0
    assert config.load.voltage_v == 200.0 and config.load.pv_kw == 3.0


def test_an_unknown_meter_class_is_refused() -> None:
    with pytest.raises(ConfigError, match="'028A' is not a meter class hemsnet emulates"):
        parse_config({"meter": {"class": "028A"}})
