"""``hemsnet discover/get/set`` as subprocesses in one namespace, a node in another."""

from __future__ import annotations

import asyncio
import json

import pytest

from hemsnet.testbed.netns import Link, Namespaces
from tests.integration.commands import hemsnet_in
from tests.integration.nodes import meter_node, serve

pytestmark = pytest.mark.netns


def test_cli_discover_get_set_against_a_node(topology: Namespaces) -> None:
    meter_end, ctl_end = topology.link(topology.namespace("meter"), topology.namespace("ctl"))
    iface = ["--iface", ctl_end.iface]
    target = [meter_end.address, "028F01"]

    async def scenario() -> None:
        runner = serve(meter_end, meter_node())
        try:
            code, out, _ = await hemsnet_in(ctl_end, "discover", *iface, "--wait", "2", "--json")
            assert code == 0
            assert json.loads(out) == [{"address": meter_end.address, "instances": ["028F01"]}]

            code, out, _ = await hemsnet_in(ctl_end, "get", *iface, *target, "80", "E5", "-v")
            assert code == 0  # -v after the command, as the README shows
            assert "0x80  Operation status: ON" in out
            assert "0xE5" in out and "8" in out

            code, out, err = await hemsnet_in(ctl_end, "set", *iface, *target, "E1=02")
            assert (code, err) == (0, "")
            code, out, _ = await hemsnet_in(ctl_end, "get", *iface, *target, "E1", "--json")
            assert json.loads(out)[0]["value"] == 2

            code, out, err = await hemsnet_in(ctl_end, "get", *iface, *target, "C2", "E5")
            assert code == 1
            assert "0xC2  refused (SNA)" in out
            assert "refused EPC 0xC2" in err and "Traceback" not in err

            code, _, err = await hemsnet_in(ctl_end, "set", *iface, *target, "E1=64")
            assert code == 1 and "refused EPC 0xE1" in err

            code, _, err = await hemsnet_in(
                ctl_end, "get", *iface, meter_end.address, "028801", "80", "--timeout", "1.5"
            )
            assert code == 1 and "no response within 1.5 s" in err
            # Silent for a second, then it says what it waits for.
            waiting = f"waiting up to 1.5 s for 028801 at {meter_end.address} to answer"
            assert waiting in err.splitlines()[0]
        finally:
            runner.close()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["get", "--iface", "nosuchif0", "fe80::1", "028F01", "80"], "no network interface"),
        (["get", "--iface", "lo", "not-an-ip", "028F01", "80"], "is not an IPv6 or IPv4"),
        (["get", "--iface", "lo", "fe80::1", "028F", "80"], "EOJ"),
        (["set", "--iface", "lo", "fe80::1", "028F01", "E1"], "is not EPC=HEX"),
    ],
)
def test_cli_user_errors_are_one_line(topology: Namespaces, args: list[str], message: str) -> None:
    netns = topology.namespace("solo")

    async def scenario() -> None:
        code, _out, err = await hemsnet_in(Link(netns, "lo"), *args)
        assert code == 2
        assert message in err
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) <= 3  # argparse adds its usage line

    asyncio.run(scenario())
