"""The real runners on one shared endpoint: the Route B engine reads a meter and the monitor
reads a battery on the same link, in memory, faster than real time [G.9958 6.3.2, 6.4.1]."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from hemsnet.aio.appliance import ApplianceRunner as ApplianceNodeRunner
from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.controller import ControllerRunner
from hemsnet.aio.meter import MeterRunner
from hemsnet.aio.recorder import Recorder
from hemsnet.aio.udp import peer_identity, peer_key
from hemsnet.appliances.catalogue import parse_kind
from hemsnet.appliances.engine import ApplianceEngine
from hemsnet.cli.common import run_together
from hemsnet.cli.hems_networks import HemsNetworks
from hemsnet.controller import ControllerConfig, ControllerEngine
from hemsnet.meter.config import MeterConfig
from hemsnet.meter.engine import MeterEngine
from hemsnet.metering.series import Series
from hemsnet.store import Store
from tests.unit.aio.memory_link import IFACE, Segment

T0 = datetime(2026, 11, 21, 10, 0)
SPEED = 60.0


def read_both(store: Store) -> bool:
    meters = store.meters()
    appliances = store.appliances()
    return (
        len(meters) == 1
        and store.latest(meters[0].id, Series.POWER) is not None
        and any(store.latest_appliance_power(a.id) is not None for a in appliances)
    )


def test_the_meter_and_a_battery_are_read_over_one_endpoint(tmp_path: Path) -> None:
    segment = Segment()
    clock = ScaledClock(T0, SPEED)
    meter = MeterEngine(MeterConfig(), now=T0, seed=1, installed=T0, identify=peer_identity)
    battery = ApplianceEngine([parse_kind("battery").build(T0, 2)], now=T0)
    controller_end = segment.endpoint("fe80::2")
    engine = ControllerEngine(ControllerConfig(), now=T0, identify=peer_identity)
    hems = HemsNetworks([IFACE.name], engine, controller_end, ControllerConfig().appliances, T0)
    lines: list[str] = []

    async def scenario(store: Store) -> None:
        services = [
            MeterRunner(meter, segment.endpoint("fe80::1"), clock).run,
            ApplianceNodeRunner(battery, segment.endpoint("fe80::5"), clock).run,
            ControllerRunner(engine, hems.route_b, Recorder(store, peer_key), clock).run,
            *(runner.run for runner in hems.runners(store, clock, lines.append)),
        ]
        stop = asyncio.Event()
        running = asyncio.create_task(run_together(services, stop))

        async def wait() -> None:
            while not read_both(store):
                await asyncio.sleep(0.05)  # polling the store for the condition

        try:
            await asyncio.wait_for(wait(), 20)
        finally:
            stop.set()
            await running

    with Store.open(tmp_path / "hemsnet.db") as store:
        asyncio.run(scenario(store))
        (stored_meter,) = store.meters()
        assert stored_meter.key == "fe80::1"
        # The meter is Route B's alone: not an appliance, though it answers the discovery.
        assert [(a.key, a.eoj) for a in store.appliances()] == [("fe80::5", "027D01")]
        stats = store.stats(stored_meter.id)
        assert (stats.foreign_dropped, stats.late_discarded, stats.timed_out) == (0, 0, 0)
    ((monitor, _),) = hems.monitors
    assert monitor.counters.get("late_discarded", 0) == 0
    assert monitor.counters["answered"] >= 1
    assert lines == [
        "hemsnet controller: appliance 027D01 (Storage battery) at fe80::5 on mem0 found"
    ]
    assert controller_end.closed and controller_end.starts == 1
    assert hems.describe() == "; HEMS networks mem0 (shared with Route B)"
