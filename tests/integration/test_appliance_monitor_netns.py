"""``hemsnet controller --hems-iface`` reads the meter over Route B and the appliances on a HEMS
network, each over its own veth link [G.9958 6.4.3, I.3]: ``hemsnet meter`` on one side,
``hemsnet appliance battery pv`` on the other, both faster than real time.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from hemsnet.store import Store
from hemsnet.testbed.netns import Namespaces
from tests.integration.test_controller_netns import (
    SPEED,
    controller_args,
    hemsnet,
    meter_args,
    now,
)

pytestmark = pytest.mark.netns


def _found(eoj: str, line: str) -> bool:
    return f"appliance {eoj} (" in line and line.endswith(" found")


def fewest_polls(db: Path) -> int:
    """The polls stored for the appliance polled least (0 before there are two)."""
    with Store.open(db) as store:
        counts = [
            len(store.appliance_readings(a.id, datetime.min, datetime.max))
            for a in store.appliances()
        ]
    return min(counts) if len(counts) == 2 else 0


async def until(done: Callable[[], bool], seconds: float = 30) -> None:
    """Check ``done`` every 0.1 s until it holds; fail after ``seconds``."""

    async def check() -> None:
        while not done():
            await asyncio.sleep(0.1)

    await asyncio.wait_for(check(), seconds)


def test_meter_and_appliances_are_recorded_side_by_side(
    topology: Namespaces, tmp_path: Path
) -> None:
    ctl, meter_ns, home = (topology.namespace(n) for n in ("ctl", "meter", "home"))
    meter_end, route_b = topology.link(meter_ns, ctl)
    home_end, hems = topology.link(home, ctl)
    db = tmp_path / "hemsnet.db"
    start = now()
    appliance_args = ("battery", "pv", "--speed", str(SPEED), "--start", start.isoformat())

    async def scenario() -> None:
        async with (
            hemsnet(meter_end, "meter", *meter_args(start - timedelta(hours=2))),
            hemsnet(home_end, "appliance", *appliance_args) as appliances,
            hemsnet(
                route_b, "controller", *controller_args(db, "--hems-iface", hems.iface)
            ) as controller,
        ):
            line = await controller.wait_for_line(lambda text: "HEMS networks" in text)
            assert f"on {route_b.iface} " in line and f"HEMS networks {hems.iface};" in line
            for eoj in ("027D01", "027901"):
                found = await controller.wait_for_line(partial(_found, eoj))
                assert home_end.address in found and hems.iface in found
            await controller.wait_for_line(
                lambda text: "backfill done" in text and "appliances 2 (2 reachable)" in text
            )
            await until(lambda: fewest_polls(db) >= 3)
            await appliances.stop()  # switched off: its node stops answering
            lost = await controller.wait_for_line(
                lambda text: "appliance 027D01" in text and "lost" in text
            )
            assert home_end.address in lost
            await controller.wait_for_line(lambda text: "appliances 2 (0 reachable)" in text)
            assert await controller.stop() == 0

    asyncio.run(scenario())
    with Store.open(db) as store:
        (meter,) = store.meters()
        assert meter.key == meter_end.address
        assert store.stats(meter.id).answered > 0
        by_eoj = {a.eoj: a for a in store.appliances()}
        assert set(by_eoj) == {"027D01", "027901"}
        assert all(a.key == home_end.address and not a.reachable for a in by_eoj.values())
        for appliance in by_eoj.values():
            polls = store.appliance_readings(appliance.id, start, start + timedelta(days=1))
            assert len(polls) >= 3
            assert all(p.watts is not None and p.operating is not None for p in polls)
        pv_polls = store.appliance_readings(by_eoj["027901"].id, start, start + timedelta(days=1))
        assert all(p.watts is not None and p.watts >= 0 for p in pv_polls)  # generation

    shown = subprocess.run(
        [sys.executable, "-m", "hemsnet", "status", "--db", str(db)],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.splitlines()  # fmt: skip
    assert "appliances: 2" in shown
    battery_line = next(line for line in shown if " 027D01 " in line)
    assert home_end.address in battery_line and "Storage battery" in battery_line
    assert "unreachable" in battery_line and " W at " in battery_line
