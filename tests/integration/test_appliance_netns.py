"""``hemsnet appliance battery`` in one namespace; ``hemsnet discover/get/set`` in another."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import Any

import pytest

from hemsnet.testbed.netns import Link, Namespaces
from tests.integration.commands import hemsnet_in

pytestmark = pytest.mark.netns

DEADLINE = 30.0  # s for the appliance to show up


async def _discovered(link: Link, iface: list[str], address: str) -> list[Any]:
    """Discover until the appliance's node answers (its process may still be starting)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + DEADLINE
    while loop.time() < end:
        code, out, err = await hemsnet_in(link, "discover", *iface, "--wait", "1", "--json")
        assert code == 0, err
        nodes: list[Any] = json.loads(out)
        if any(node["address"] == address for node in nodes):
            return nodes
    raise AssertionError(f"{address} never answered a discovery")


def test_battery_is_discovered_read_and_driven_by_setc(topology: Namespaces) -> None:
    battery_end, ctl_end = topology.link(topology.namespace("battery"), topology.namespace("ctl"))
    iface = ["--iface", ctl_end.iface]
    target = [battery_end.address, "027D01"]

    async def get(*epcs: str) -> dict[int, Any]:
        code, out, err = await hemsnet_in(ctl_end, "get", *iface, *target, *epcs, "--json")
        assert code == 0, err
        return {int(item["epc"], 16): item["value"] for item in json.loads(out)}

    async def set_mode(code_hex: str) -> None:
        code, _out, err = await hemsnet_in(ctl_end, "set", *iface, *target, f"DA={code_hex}")
        assert (code, err) == (0, "")

    async def scenario() -> None:
        proc = await asyncio.create_subprocess_exec(
            "ip", "netns", "exec", battery_end.netns, sys.executable, "-m", "hemsnet",
            "appliance", "battery", "--iface", battery_end.iface,
            "--start", "2026-07-15T12:00", "--seed", "4",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            banner = (await asyncio.wait_for(proc.stdout.readline(), DEADLINE)).decode()
            assert "objects 0EF001, 027D01 on" in banner

            nodes = await _discovered(ctl_end, iface, battery_end.address)
            assert {"address": battery_end.address, "instances": ["027D01"]} in nodes

            values = await get("80", "D3", "E4")
            assert values[0x80] == "ON"
            assert values[0xD3] == 0  # auto mode at noon: standby
            assert 0 < values[0xE4] < 100

            await set_mode("42")  # charging
            assert (await get("D3", "DA"))[0xD3] > 0
            await set_mode("43")  # discharging
            assert (await get("D3"))[0xD3] < 0
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                out, _err = await asyncio.wait_for(proc.communicate(), 20)
                assert proc.returncode == 0
                assert "hemsnet appliance: stopped" in out.decode()

    asyncio.run(scenario())
