"""OpenADR 2.0b over real HTTP on the loopback: the provider's VTN (``hemsnet.uplink.vtn``)
and the controller's VEN (``hemsnet.uplink.openadr``) with openleadr on both sides. The event
lowers the demand plan's target during its window and gives it back after; the VEN opts in
(or out, when told), the event is stored, and the meter's power goes back as telemetry."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.controller_service import ControllerService, ControllerSetup
from hemsnet.aio.demand_service import attach_demand
from hemsnet.aio.udp import UdpTransport
from hemsnet.controller import ControllerConfig
from hemsnet.store import Store
from hemsnet.uplink.openadr import attach_ven
from hemsnet.uplink.openadr_config import OpenAdrConfig
from hemsnet.uplink.vtn import PATH, DrEventSpec, Vtn
from tests.unit.control.site import plan

DEADLINE = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _until(done: Callable[[], bool], what: str) -> None:
    """Wait for ``done`` on the loop's own turns, with a deadline (no fixed sleep)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + DEADLINE
    event = asyncio.Event()

    def check() -> None:
        if done():
            event.set()
        elif loop.time() < end:
            loop.call_later(0.05, check)

    check()
    await asyncio.wait_for(event.wait(), DEADLINE + 1)
    assert done(), what


@pytest.mark.parametrize("opt", ["in", "out"])
def test_an_event_lowers_the_target_within_its_window(tmp_path: Path, opt: str) -> None:
    db = tmp_path / "hemsnet.db"
    port = _free_port()
    lines: list[str] = []
    setup = ControllerSetup(
        ControllerConfig(), UdpTransport.loopback(), db, ScaledClock(datetime.now(), 1.0)
    )
    event = DrEventSpec(
        "LOAD_DISPATCH", "setpoint", 300.0, timedelta(seconds=2), timedelta(seconds=3)
    )
    vtn = Vtn("127.0.0.1", port, "hemsnet", event, timedelta(seconds=0.5), lines.append)
    targets: list[float | None] = []

    async def scenario() -> None:
        with ControllerService.open(setup) as controller:
            demand = attach_demand(controller, plan(330.0))
            config = OpenAdrConfig(f"http://127.0.0.1:{port}{PATH}", "hemsnet", opt)
            ven = attach_ven(controller, demand, config, lines.append)
            ven.power_w = 123_000.0  # what the meter's 0xE7 said last
            stop = asyncio.Event()
            vtn_task = asyncio.create_task(vtn.run(stop))
            ctl_task = asyncio.create_task(controller.run(stop))

            def seen() -> bool:
                targets.append(demand.control.dr_target_kw)
                return bool(vtn.responses)

            await _until(seen, "the VEN answered the event")
            if opt == "in":
                await _until(lambda: demand.control.target_kw == 300.0, "the target lowered")
                await _until(lambda: demand.control.target_kw == 330.0, "the target back")
                await _until(lambda: bool(vtn.telemetry), "telemetry")
            stop.set()
            await asyncio.gather(vtn_task, ctl_task)

    asyncio.run(scenario())
    assert vtn.responses == ["optIn" if opt == "in" else "optOut"]
    if opt == "in":
        assert vtn.telemetry and vtn.telemetry[-1] == 123_000.0
        assert any("demand response target 300 kW" in line for line in lines)
    else:
        assert all(target is None for target in targets)
    with Store.open(db) as store:
        (stored,) = store.dr_events(datetime.now() - timedelta(minutes=5))
    assert stored["signal"] == "LOAD_DISPATCH/setpoint" and stored["payload"] == 300.0
    assert stored["opt"] == ("optIn" if opt == "in" else "optOut")
    assert stored["end"] - stored["start"] == timedelta(seconds=3)
