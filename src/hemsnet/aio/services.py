"""Services: what a command runs until it is stopped, and the wiring of the emulators.

A service is a coroutine function taking the ``stop`` event. :func:`run_together` runs several
(a meter, a controller, a dashboard) on one event loop; :func:`meter_service` and
:func:`appliance_service` put an emulator's engine on a link with the one runner
(:class:`~hemsnet.aio.runner.EngineRunner`). The controller's wiring is
:mod:`hemsnet.aio.controller_service`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path

from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.disk_writer import DiskWriter
from hemsnet.aio.runner import EngineRunner
from hemsnet.aio.state_file import save_state
from hemsnet.aio.udp import DatagramLink
from hemsnet.appliances.engine import ApplianceEngine
from hemsnet.meter.engine import HalfHourClosed, MeterEngine, MeterEvent

__all__ = ["Service", "appliance_service", "meter_service", "run_together"]

Service = Callable[[asyncio.Event], Awaitable[None]]


async def run_together(services: Sequence[Service], stop: asyncio.Event) -> None:
    """Run every service until ``stop``. One that ends stops the others; once all have ended,
    the first failure is raised."""

    async def guarded(service: Service) -> None:
        try:
            await service(stop)
        finally:
            stop.set()

    results = await asyncio.gather(
        *(guarded(service) for service in services), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result


def meter_service(
    engine: MeterEngine,
    link: DatagramLink,
    clock: ScaledClock,
    *,
    state_path: Path | None = None,
) -> Service:
    """Serve the meter on ``link``; its state is saved at every half-hour and at the stop,
    written off the event loop."""
    writer = DiskWriter("hemsnet-meter-state")

    def save() -> None:
        if state_path is not None:
            snapshot = engine.snapshot()  # on the loop: the engine is the loop's
            writer.submit(lambda: save_state(state_path, snapshot))

    def on_events(events: Sequence[MeterEvent], now: datetime) -> None:
        if any(isinstance(event, HalfHourClosed) for event in events):
            save()

    runner = EngineRunner(engine, link, clock, on_events=on_events)

    async def run(stop: asyncio.Event) -> None:
        writer.start()
        try:
            await runner.run(stop)
        finally:
            save()
            writer.close()

    return run


def appliance_service(engine: ApplianceEngine, link: DatagramLink, clock: ScaledClock) -> Service:
    """Serve the appliances' node on ``link``."""
    return EngineRunner(engine, link, clock).run
