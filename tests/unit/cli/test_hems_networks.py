"""``--hems-iface``: refused before any socket is opened when it names Route B or repeats."""

from __future__ import annotations

from datetime import datetime

import pytest

from hemsnet.aio.udp import Interface
from hemsnet.cli.common import CliError
from hemsnet.cli.hems_networks import HemsNetworks
from hemsnet.controller.config import ApplianceConfig

ROUTE_B = Interface("rb0", 7)
NOW = datetime(2026, 11, 21, 10, 0)


def test_the_route_b_interface_is_refused() -> None:
    with pytest.raises(CliError, match=r"^--hems-iface rb0 is the Route B interface \(--iface\)$"):
        HemsNetworks(["home0", "rb0"], ROUTE_B, ApplianceConfig(), NOW)


def test_an_interface_given_twice_is_refused() -> None:
    with pytest.raises(CliError, match=r"^--hems-iface home0, home0: an interface is given twice$"):
        HemsNetworks(["home0", "home0"], ROUTE_B, ApplianceConfig(), NOW)


def test_no_hems_network_adds_nothing_to_the_lines() -> None:
    hems = HemsNetworks([], ROUTE_B, ApplianceConfig(), NOW)
    assert (hems.describe(), hems.status()) == ("", "")
