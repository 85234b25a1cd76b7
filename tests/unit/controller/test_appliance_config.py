"""The ``[appliances]`` table of controller.toml."""

from __future__ import annotations

from typing import Any

import pytest

from hemsnet.controller.config import ApplianceConfig, ControllerConfig, parse_config
from hemsnet.errors import ConfigError


def appliances(table: dict[str, Any]) -> ApplianceConfig:
    return parse_config({"appliances": table}, "ctl.toml").appliances


def refused(table: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        appliances(table)
    return str(caught.value)


def test_defaults() -> None:
    assert ControllerConfig().appliances == ApplianceConfig(
        interval=30.0, discovery_interval=300.0, timeout=5.0, retries=1, unreachable_after=3
    )
    assert appliances({}) == ApplianceConfig()


def test_a_full_table_parses() -> None:
    table = {
        "interval": 10,
        "discovery_interval": 60.5,
        "timeout": 2.5,
        "retries": 0,
        "unreachable_after": 5,
    }
    assert appliances(table) == ApplianceConfig(10.0, 60.5, 2.5, 0, 5)


def test_the_timeout_must_be_shorter_than_the_interval() -> None:
    message = refused({"interval": 10, "timeout": 10})
    assert message == "ctl.toml: appliances.timeout: 10 s is not shorter than the interval (10 s)"
    assert appliances({"interval": 10, "timeout": 9.5}).timeout == 9.5


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("interval", 0.5, "expected >= 1"),
        ("discovery_interval", 0, "expected >= 1"),
        ("timeout", 0, "expected > 0"),
        ("retries", -1, "expected 0..10"),
        ("retries", 11, "expected 0..10"),
        ("unreachable_after", 0, "expected 1..100"),
    ],
)
def test_values_out_of_range_are_refused(key: str, value: float, expected: str) -> None:
    message = refused({key: value})
    assert message.startswith(f"ctl.toml: appliances.{key}: {value} is out of range")
    assert expected in message


def test_an_unknown_key_is_refused_with_a_suggestion() -> None:
    message = refused({"intervall": 30})
    assert message == "ctl.toml: appliances.intervall: unknown key (did you mean 'interval'?)"
