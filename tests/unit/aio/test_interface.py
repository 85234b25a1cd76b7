"""Looking up an interface and what the kernel says about it."""

from __future__ import annotations

import pytest

from hemsnet.aio.udp import Interface
from hemsnet.errors import ConfigError


def test_interface_lists_its_ipv6_addresses() -> None:
    assert "::1" in Interface.lookup("lo").ipv6_addresses()


def test_an_unknown_interface_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="no network interface named 'nope0'"):
        Interface.lookup("nope0")
