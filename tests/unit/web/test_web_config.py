"""The [dashboard] table and --listen parsing: defaults, every refusal, the token rule."""

from __future__ import annotations

from typing import Any

import pytest

from hemsnet.controller.config import parse_config
from hemsnet.errors import ConfigError
from hemsnet.tomlconfig import read_toml
from hemsnet.web.config import DashboardConfig, Listen, parse_dashboard, parse_listen, secured
from tests.conftest import REPO


def refused(table: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_dashboard({"dashboard": table}, "ctl.toml")
    return str(caught.value)


def test_the_shipped_example_holds_the_defaults() -> None:
    data = read_toml(REPO / "examples" / "controller.toml")
    assert parse_dashboard(data) == DashboardConfig()
    parse_config(data)  # the controller accepts the table beside its own


def test_a_full_table() -> None:
    data = {
        "timers": {"timer_1": 40},  # the controller's: not looked at
        "dashboard": {
            "listen": "[::]:9000",
            "token": "s3cret",
            "target_kw": 450,
            "warning": 0.8,
            "alarm": 0.95,
            "max_streams": 2000,
        },
    }
    assert parse_dashboard(data) == DashboardConfig(
        Listen("::", 9000), "s3cret", 450, 0.8, 0.95, max_streams=2000
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"listn": "x"}, "ctl.toml: dashboard.listn: unknown key (did you mean 'listen'?)"),
        ({"listen": 8080}, "dashboard.listen: expected a string ADDR:PORT, got an integer 8080"),
        ({"listen": "localhost:80"}, "'localhost' is not an IP address"),
        ({"listen": "::1:80"}, "write an IPv6 address in brackets, [::1]:PORT"),
        ({"listen": "127.0.0.1"}, "is not ADDR:PORT"),
        ({"listen": "127.0.0.1:70000"}, "the port '70000' is not a number 0..65535"),
        ({"token": "two words"}, "dashboard.token: a token has no spaces or control characters"),
        ({"target_kw": -1}, "dashboard.target_kw: -1 is out of range (expected >= 0)"),
        ({"warning": 0}, "dashboard.warning: 0 is out of range (expected > 0)"),
        ({"warning": 0.9, "alarm": 0.8}, "dashboard.alarm: 0.8 is out of range (expected >= 0.9)"),
        ({"max_streams": 0}, "dashboard.max_streams: 0 is out of range (expected >= 1)"),
        ({"max_streams": 1.5}, "dashboard.max_streams: expected an integer, got a float 1.5"),
    ],
)
def test_refusals_name_the_key(table: dict[str, Any], message: str) -> None:
    assert message in refused(table)


def test_dashboard_must_be_a_table() -> None:
    with pytest.raises(ConfigError, match="dashboard: expected a table"):
        parse_dashboard({"dashboard": 3}, "ctl.toml")


def test_listen_forms_and_urls() -> None:
    assert parse_listen("127.0.0.1:8080") == Listen("127.0.0.1", 8080)
    v6 = parse_listen("[::1]:0")
    assert v6 == Listen("::1", 0)
    assert v6.loopback
    assert v6.url(4321) == "http://[::1]:4321/"
    assert str(v6) == "[::1]:0"
    assert not parse_listen("0.0.0.0:80").loopback


def test_a_token_is_generated_beyond_loopback_only() -> None:
    local = DashboardConfig()
    assert secured(local) is local
    assert local.url(8080) == "http://127.0.0.1:8080/"
    wide = secured(DashboardConfig(listen=Listen("0.0.0.0", 8080)))
    assert len(wide.token) >= 32
    assert wide.url() == f"http://0.0.0.0:8080/?token={wide.token}"
    assert secured(DashboardConfig(listen=Listen("0.0.0.0", 1))).token != wide.token
    given = DashboardConfig(listen=Listen("::", 1), token="a&b")
    assert secured(given) is given
    assert given.url() == "http://[::]:1/?token=a%26b"
