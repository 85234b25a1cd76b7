"""The real services on one shared endpoint: the Route B engine reads a meter and the monitor
reads a battery on the same link, in memory, faster than real time [G.9958 6.3.2, 6.4.1]."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.controller_service import ControllerService, ControllerSetup
from hemsnet.aio.services import appliance_service, meter_service, run_together
from hemsnet.aio.udp import peer_identity
from hemsnet.appliances.catalogue import parse_kind
from hemsnet.appliances.engine import ApplianceEngine
from hemsnet.controller import ControllerConfig
from hemsnet.meter.config import MeterConfig
from hemsnet.meter.engine import MeterEngine
from hemsnet.metering.series import Series
from hemsnet.store import Store
from tests.unit.aio.memory_link import IFACE, Segment

T0 = datetime(2026, 11, 21, 10, 0)
SPEED = 60.0
DEADLINE = 20.0  # s of real time


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
    lines: list[str] = []

    async def scenario() -> ControllerService:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        both_read = asyncio.Event()

        def report(line: str) -> None:  # on the store's writer thread, after what it wrote
            lines.append(line)
            if read_both(service.store):
                loop.call_soon_threadsafe(both_read.set)

        setup = ControllerSetup(
            ControllerConfig(),
            segment.endpoint("fe80::2"),
            tmp_path / "hemsnet.db",
            clock,
            hems=[IFACE.name],
            report=report,
            status_every=0.1,
        )
        service = ControllerService.open(setup)
        services = [
            meter_service(meter, segment.endpoint("fe80::1"), clock),
            appliance_service(battery, segment.endpoint("fe80::5"), clock),
            service.run,  # after the nodes: its first search must find the meter listening
        ]
        running = asyncio.create_task(run_together(services, stop))
        try:
            await asyncio.wait_for(both_read.wait(), DEADLINE)
        finally:
            stop.set()
            await running
        return service

    with asyncio.run(scenario()) as service:
        store = service.store
        (stored_meter,) = store.meters()
        assert stored_meter.key == "fe80::1"
        # The meter is Route B's alone: not an appliance, though it answers the discovery.
        assert [(a.key, a.eoj) for a in store.appliances()] == [("fe80::5", "027D01")]
        stats = store.stats(stored_meter.id)
        assert (stats.foreign_dropped, stats.late_discarded, stats.timed_out) == (0, 0, 0)
        (monitor,) = service.monitors
        assert monitor.counters.get("late_discarded", 0) == 0
        assert any("appliance 027D01" in line and "found" in line for line in lines)
