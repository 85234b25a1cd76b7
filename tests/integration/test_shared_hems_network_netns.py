"""The meter and an appliance on the controller's one network [G.9958 6.3.2, 6.4.1]:
``hemsnet controller --iface X --hems-iface X`` reads both over one UDP 3610 socket."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hemsnet.store import Store
from hemsnet.testbed.netns import Namespaces
from tests.integration.test_appliance_monitor_netns import until
from tests.integration.test_controller_netns import (
    SPEED,
    backfilled,
    controller_args,
    hemsnet,
    hemsnet_once,
    meter_args,
    now,
)

pytestmark = pytest.mark.netns


def test_the_meter_and_a_battery_share_the_controllers_network(
    topology: Namespaces, tmp_path: Path
) -> None:
    meter_ns, battery_ns, ctl_ns, other_ns = (
        topology.namespace(n) for n in ("meter", "bat", "ctl", "other")
    )
    bridge = topology.bridge("hems")
    meter_end, battery_end, ctl_end, other_end = (
        topology.attach(ns, bridge) for ns in (meter_ns, battery_ns, ctl_ns, other_ns)
    )
    db = tmp_path / "hemsnet.db"
    start = now()
    battery_args = ("battery", "--speed", str(SPEED), "--start", start.isoformat())
    answered_other: list[int] = []

    async def scenario() -> None:
        async with (
            hemsnet(meter_end, "meter", *meter_args(start - timedelta(hours=2))),
            hemsnet(battery_end, "appliance", *battery_args),
            hemsnet(
                ctl_end, "controller", *controller_args(db, "--hems-iface", ctl_end.iface)
            ) as controller,
        ):
            line = await controller.wait_for_line(lambda text: "HEMS networks" in text)
            assert f"HEMS networks {ctl_end.iface} (shared with Route B);" in line
            found = await controller.wait_for_line(lambda text: "appliance 027D01 (" in text)
            assert battery_end.address in found and found.endswith(" found")
            await controller.wait_for_line(
                lambda text: backfilled(text) and "appliances 1 (1 reachable)" in text
            )
            # Another node asks the controller: the monitor's own node answers it.
            code = await hemsnet_once(
                other_end, "get", "--timeout", "2", ctl_end.address, "0EF001", "D6"
            )
            answered_other.append(code)
            await until(lambda: battery_polls(db) >= 3)
            assert await controller.stop() == 0
            assert not any("027D01" in text and "lost" in text for text in controller.lines)

    asyncio.run(scenario())
    assert answered_other == [0]
    with Store.open(db) as store:
        (meter,) = store.meters()
        assert meter.key == meter_end.address
        stats = store.stats(meter.id)
        assert stats.answered > 0
        # Nothing on the shared network is foreign: the appliances' traffic and the other
        # node's Get went to the monitor, and no discovery answer passed for a late response.
        assert (stats.foreign_dropped, stats.late_discarded) == (0, 0)
        (battery,) = store.appliances()  # the meter answers the discovery but is not listed
        assert (battery.key, battery.eoj) == (battery_end.address, "027D01")
        polls = store.appliance_readings(battery.id, start, start + timedelta(days=1))
        assert len(polls) >= 3 and all(p.watts is not None for p in polls)


def battery_polls(db: Path) -> int:
    """The polls stored for the one appliance (0 before it is known)."""
    with Store.open(db) as store:
        return sum(
            len(store.appliance_readings(a.id, datetime.min, datetime.max))
            for a in store.appliances()
        )
