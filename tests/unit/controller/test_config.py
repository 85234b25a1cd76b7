"""The controller's configuration: hemsnet.controller.config."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from hemsnet.controller.config import ControllerConfig, load_config, parse_config
from hemsnet.errors import ConfigError
from tests.conftest import REPO

FULL_TOML = """\
[timers]
timer_1 = 45
timer_2 = 200.5

[requests]
max_opc = 2
pace = 30
search_interval = 120

[polling]
instant = 0
minute = 90
present = 600.0
attributes = 3600
fault_check = 30

[recovery]
fetch_after = 420
history_days = 30
minute_history_hours = 12.5
retry_base = 30
retry_max = 900
history_retries = 7
seed = 12345
"""


def write(tmp_path: Path, text: str, name: str = "controller.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(data: dict[str, Any]) -> str:
    """The message of the ConfigError that ``data`` raises."""
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "ctl.toml")
    return str(caught.value)


# --- defaults -----------------------------------------------------------------------------


def test_defaults() -> None:
    config = ControllerConfig()
    assert config.timer_1 == 40.0
    assert config.timer_2 == 180.0
    assert config.max_opc == 12
    assert config.pace == 10.0
    assert config.search_interval == 40.0
    assert config.instant_interval == 20.0
    assert config.minute_interval == 60.0
    assert config.present_interval == 300.0
    assert config.attribute_interval == 86_400.0
    assert config.fault_check_interval == 300.0
    assert config.fetch_after == 300.0
    assert config.history_days == 99
    assert config.minute_history_hours == 24.0
    assert config.retry_base == 60.0
    assert config.retry_max == 1800.0
    assert config.history_retries == 5
    assert config.seed == 0


def test_an_empty_document_gives_the_defaults() -> None:
    assert parse_config({}) == ControllerConfig()


def test_empty_tables_give_the_defaults() -> None:
    data: dict[str, Any] = {"timers": {}, "requests": {}, "polling": {}, "recovery": {}}
    assert parse_config(data) == ControllerConfig()


def test_an_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "")) == ControllerConfig()


def test_config_is_frozen() -> None:
    config = ControllerConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.timer_1 = 50.0  # type: ignore[misc]


# --- a full file --------------------------------------------------------------------------


def test_a_full_file_parses(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL_TOML))
    assert config == ControllerConfig(
        timer_1=45.0,
        timer_2=200.5,
        max_opc=2,
        pace=30.0,
        search_interval=120.0,
        instant_interval=0.0,
        minute_interval=90.0,
        present_interval=600.0,
        attribute_interval=3600.0,
        fault_check_interval=30.0,
        fetch_after=420.0,
        history_days=30,
        minute_history_hours=12.5,
        retry_base=30.0,
        retry_max=900.0,
        history_retries=7,
        seed=12345,
    )


def test_numbers_read_from_integers_are_floats(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL_TOML))
    assert isinstance(config.timer_1, float)
    assert isinstance(config.attribute_interval, float)
    assert isinstance(config.history_days, int)
    assert isinstance(config.max_opc, int)


def test_a_partial_file_keeps_the_other_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[timers]\ntimer_2 = 240\n"))
    assert config == dataclasses.replace(ControllerConfig(), timer_2=240.0)


@pytest.mark.parametrize("max_opc", [1, 2, 3, 12])
def test_max_opc_1_to_12_is_allowed(max_opc: int) -> None:
    """A controller supports 3 at least, a meter 12 at least [AIF 2.4.4]: 12 is no cap of 3."""
    assert parse_config({"requests": {"max_opc": max_opc}}).max_opc == max_opc


# --- the spec's minimums ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("timer_1", 39, ">= 40"),
        ("timer_1", 39.9, ">= 40"),
        ("timer_1", 0, ">= 40"),
        ("timer_2", 179, ">= 180"),
        ("timer_2", 40, ">= 180"),
    ],
)
def test_timers_below_the_minimum_are_refused(
    tmp_path: Path, key: str, value: float, expected: str
) -> None:
    path = write(tmp_path, f"[timers]\n{key} = {value}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: timers.{key}: ")
    assert f"{value} is out of range" in message
    assert expected in message


@pytest.mark.parametrize(("key", "value"), [("timer_1", 40), ("timer_2", 180)])
def test_timers_at_the_minimum_are_allowed(key: str, value: int) -> None:
    config = parse_config({"timers": {key: value}})
    assert getattr(config, key) == float(value)


@pytest.mark.parametrize("value", [13, 0, -1, 255])
def test_max_opc_out_of_range_is_refused(value: int) -> None:
    message = refused({"requests": {"max_opc": value}})
    assert message == f"ctl.toml: requests.max_opc: {value} is out of range (expected 1..12)"


@pytest.mark.parametrize("value", [0, 0.5, 30])
def test_any_pace_from_zero_is_allowed(value: float) -> None:
    assert parse_config({"requests": {"pace": value}}).pace == value


def test_a_negative_pace_is_refused() -> None:
    message = refused({"requests": {"pace": -1}})
    assert message.startswith("ctl.toml: requests.pace: -1")


@pytest.mark.parametrize("value", [299, 0, 299.9])
def test_fetch_after_below_five_minutes_is_refused(value: float) -> None:
    message = refused({"recovery": {"fetch_after": value}})
    assert message.startswith("ctl.toml: recovery.fetch_after: ")
    assert "out of range" in message


def test_fetch_after_above_25_minutes_is_refused() -> None:
    message = refused({"recovery": {"fetch_after": 1501}})
    assert message.startswith("ctl.toml: recovery.fetch_after: ")
    assert "300..1500" in message


@pytest.mark.parametrize("value", [300, 1500])
def test_fetch_after_bounds_are_allowed(value: int) -> None:
    assert parse_config({"recovery": {"fetch_after": value}}).fetch_after == float(value)


@pytest.mark.parametrize("value", [100, -1])
def test_history_days_out_of_range_is_refused(value: int) -> None:
    message = refused({"recovery": {"history_days": value}})
    assert message == f"ctl.toml: recovery.history_days: {value} is out of range (expected 0..99)"


@pytest.mark.parametrize("value", [0, 99])
def test_history_days_bounds_are_allowed(value: int) -> None:
    assert parse_config({"recovery": {"history_days": value}}).history_days == value


def test_search_interval_below_timer_1_minimum_is_refused() -> None:
    message = refused({"requests": {"search_interval": 39}})
    assert message.startswith("ctl.toml: requests.search_interval: ")


def test_retry_max_below_retry_base_is_refused() -> None:
    message = refused({"recovery": {"retry_base": 100, "retry_max": 50}})
    assert message.startswith("ctl.toml: recovery.retry_max: 50 is out of range")
    assert ">= 100" in message


@pytest.mark.parametrize(
    ("key", "value"), [("history_retries", 0), ("history_retries", 101), ("seed", -1)]
)
def test_recovery_integers_out_of_range_are_refused(key: str, value: int) -> None:
    message = refused({"recovery": {key: value}})
    assert message.startswith(f"ctl.toml: recovery.{key}: {value} is out of range")


# --- poll intervals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "attr"),
    [
        ("instant", "instant_interval"),
        ("minute", "minute_interval"),
        ("present", "present_interval"),
    ],
)
def test_poll_interval_0_switches_it_off(key: str, attr: str) -> None:
    config = parse_config({"polling": {key: 0}})
    assert getattr(config, attr) == 0.0


@pytest.mark.parametrize(
    ("key", "attr"),
    [
        ("instant", "instant_interval"),
        ("minute", "minute_interval"),
        ("present", "present_interval"),
    ],
)
def test_poll_interval_of_one_second_is_allowed(key: str, attr: str) -> None:
    assert getattr(parse_config({"polling": {key: 1}}), attr) == 1.0


@pytest.mark.parametrize("key", ["instant", "minute", "present"])
@pytest.mark.parametrize("value", [0.5, 0.001, 0.999])
def test_poll_interval_below_one_second_is_refused(key: str, value: float) -> None:
    message = refused({"polling": {key: value}})
    assert message.startswith(f"ctl.toml: polling.{key}: ")
    assert "too short" in message
    assert "0 switches it off" in message


@pytest.mark.parametrize("key", ["instant", "minute", "present"])
def test_negative_poll_interval_is_refused(key: str) -> None:
    message = refused({"polling": {key: -10}})
    assert message.startswith(f"ctl.toml: polling.{key}: -10 is out of range")


@pytest.mark.parametrize(
    ("key", "value"), [("attributes", 59), ("fault_check", 9), ("fault_check", 0)]
)
def test_attribute_and_fault_intervals_have_floors(key: str, value: int) -> None:
    message = refused({"polling": {key: value}})
    assert message.startswith(f"ctl.toml: polling.{key}: {value} is out of range")


# --- unknown keys and wrong types ---------------------------------------------------------


def test_an_unknown_key_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "[timers]\ntimer1 = 45\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: timers.timer1: unknown key (did you mean 'timer_1'?)"


def test_an_unknown_table_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "[poling]\ninstant = 10\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: poling: unknown table (did you mean 'polling'?)"


def test_an_unknown_top_level_key_lists_the_known_tables() -> None:
    message = refused({"zzz": 1})
    known = "timers, requests, polling, recovery, routeb, appliances, dashboard, mqtt, link, "
    known += "store, demand, openadr, routec"
    assert message == f"ctl.toml: zzz: unknown key (known: {known})"


def test_a_key_in_the_wrong_table_is_refused() -> None:
    message = refused({"timers": {"max_opc": 2}})
    assert message.startswith("ctl.toml: timers.max_opc: unknown key")


@pytest.mark.parametrize(
    ("data", "path", "reason"),
    [
        ({"timers": {"timer_1": "40"}}, "timers.timer_1", "expected a number, got a string '40'"),
        ({"timers": {"timer_2": True}}, "timers.timer_2", "expected a number, got a boolean true"),
        ({"requests": {"max_opc": 2.0}}, "requests.max_opc", "expected an integer, got a float"),
        ({"requests": {"max_opc": True}}, "requests.max_opc", "expected an integer, got a boolean"),
        ({"recovery": {"seed": "x"}}, "recovery.seed", "expected an integer, got a string"),
        ({"polling": {"instant": [10]}}, "polling.instant", "expected a number, got an array"),
        ({"timers": 40}, "timers", "expected a table, got an integer 40"),
    ],
)
def test_a_wrong_type_is_refused(data: dict[str, Any], path: str, reason: str) -> None:
    message = refused(data)
    assert message.startswith(f"ctl.toml: {path}: {reason}")


def test_a_wrong_type_in_a_file_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[requests]\nmax_opc = "3"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: requests.max_opc: expected an integer, got a string '3'"


@pytest.mark.parametrize("text", ["inf", "nan", "-inf"])
def test_non_finite_numbers_are_refused(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, f"[timers]\ntimer_2 = {text}\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path}: timers.timer_2: ")):
        load_config(path)


def test_parse_config_default_source_is_config() -> None:
    with pytest.raises(ConfigError, match=r"^config: timers\.timer_1: "):
        parse_config({"timers": {"timer_1": 1}})


# --- the dataclass itself -----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{"timer_1": 39}, {"timer_1": 39.99}, {"timer_2": 179}, {"max_opc": 13}, {"max_opc": 0}],
)
def test_controller_config_refuses_values_below_the_spec(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ControllerConfig(**kwargs)


def test_controller_config_timer_1_39_message() -> None:
    with pytest.raises(ValueError, match=r"AIF 2\.4\.2"):
        ControllerConfig(timer_1=39)


def test_controller_config_error_is_not_a_config_error() -> None:
    with pytest.raises(ValueError) as caught:
        ControllerConfig(max_opc=13)
    assert not isinstance(caught.value, ConfigError)
    assert "max_opc is 1..12" in str(caught.value)


# --- files --------------------------------------------------------------------------------


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: no such file"


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[timers\ntimer_1 = 45\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: invalid TOML: ")
    assert "line 1" in message


def test_a_duplicate_key_is_invalid_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "[timers]\ntimer_1 = 45\ntimer_1 = 50\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(path)


def test_a_non_utf8_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b"# caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


def test_the_shipped_example_is_the_defaults() -> None:
    assert load_config(REPO / "examples" / "controller.toml") == ControllerConfig()


def test_routeb_names_the_dongle_the_secret_files_and_the_pan() -> None:
    config = parse_config(
        {
            "routeb": {
                "dongle": "/dev/ttyUSB0",
                "id_file": "/etc/hemsnet/routeb-id",
                "password_file": "/etc/hemsnet/routeb-password",
                "channel": 33,
                "pan_id": 0x8888,
                "meter_mac": "00:1D:12:90:12:34:56:78",
            }
        }
    )
    routeb = config.routeb
    assert (routeb.dongle, routeb.id_file, routeb.password_file) == (
        "/dev/ttyUSB0",
        "/etc/hemsnet/routeb-id",
        "/etc/hemsnet/routeb-password",
    )
    assert (routeb.channel, routeb.pan_id, routeb.meter_mac, routeb.baud) == (
        33,
        0x8888,
        "001D129012345678",
        115_200,
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"meter_mac": "001D12"}, "routeb.meter_mac: '001D12' is not 16 hexadecimal digits"),
        ({"channel": 20}, "routeb.channel: 20 is out of range (expected 33..60)"),
        ({"password": "secret"}, "routeb.password: unknown key"),  # secrets stay in files
    ],
)
def test_a_bad_routeb_table_is_refused(table: dict[str, Any], message: str) -> None:
    assert refused({"routeb": table}).startswith(f"ctl.toml: {message}")
