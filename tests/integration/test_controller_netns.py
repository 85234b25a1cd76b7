"""``hemsnet controller`` against ``hemsnet meter`` over real UDP between network namespaces.

Both run faster than real time (``--speed``), so that minutes of meter time pass in seconds.
The tests wait on the controller's status lines and on the SQLite file, never on a fixed delay.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hemsnet.metering.gaps import GapStatus
from hemsnet.metering.series import Series
from hemsnet.store import Store
from hemsnet.store.outbox import Outbox
from hemsnet.testbed.netns import Link, Namespaces

pytestmark = pytest.mark.netns

SPEED = 60.0


class Process:
    """A hemsnet subprocess in a namespace, with its stdout lines as they come."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []

    async def wait_for_line(self, match: Callable[[str], bool], seconds: float = 60) -> str:
        async def scan() -> str:
            for line in self.lines:
                if match(line):
                    return line
            assert self.proc.stdout is not None
            while True:
                raw = await self.proc.stdout.readline()
                if not raw:
                    stderr = await self._stderr()
                    raise AssertionError(f"the process ended: {self.lines[-3:]} {stderr}")
                line = raw.decode().rstrip()
                self.lines.append(line)
                if match(line):
                    return line

        return await asyncio.wait_for(scan(), seconds)

    async def stop(self, signum: int = signal.SIGINT) -> int:
        if self.proc.returncode is None:
            self.proc.send_signal(signum)
        assert self.proc.stdout is not None
        rest = await self.proc.stdout.read()
        self.lines += rest.decode().splitlines()
        return await self.proc.wait()

    async def _stderr(self) -> str:
        assert self.proc.stderr is not None
        return (await self.proc.stderr.read()).decode()


@asynccontextmanager
async def hemsnet(link: Link, command: str, *args: str) -> AsyncIterator[Process]:
    proc = await asyncio.create_subprocess_exec(
        "ip", "netns", "exec", link.netns, sys.executable, "-m", "hemsnet", command,
        "--iface", link.iface, *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        yield Process(proc)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def hemsnet_once(link: Link, command: str, *args: str) -> int:
    proc = await asyncio.create_subprocess_exec(
        "ip", "netns", "exec", link.netns, sys.executable, "-m", "hemsnet", command,
        "--iface", link.iface, *args,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    return await proc.wait()


def now() -> datetime:
    return datetime.now().replace(microsecond=0)


def meter_args(start: datetime, *extra: str) -> tuple[str, ...]:
    return ("--speed", str(SPEED), "--start", start.isoformat(), *extra)


def controller_args(db: Path, *extra: str) -> tuple[str, ...]:
    return ("--speed", str(SPEED), "--db", str(db), "--status-every", "1", *extra)


def backfilled(line: str) -> bool:
    return "backfill done" in line and "gaps 0 open" in line


def test_discovery_to_stored_data(topology: Namespaces, tmp_path: Path) -> None:
    meter_end, ctl_end = topology.link(topology.namespace("meter"), topology.namespace("ctl"))
    db = tmp_path / "hemsnet.db"
    installed = now() - timedelta(days=2)
    with Store.open(db), Outbox.open(db) as outbox:
        outbox.enable(True)  # as a controller with [routec] left it (route-c.md R6)

    async def scenario() -> None:
        async with (
            hemsnet(meter_end, "meter", *meter_args(installed)),
            hemsnet(ctl_end, "controller", *controller_args(db)) as controller,
        ):
            line = await controller.wait_for_line(lambda text: "meter 028F01 at" in text)
            assert meter_end.address in line
            await controller.wait_for_line(backfilled)
            assert await controller.stop() == 0

    asyncio.run(scenario())
    with Store.open(db) as store:
        (meter,) = store.meters()
        assert meter.key == meter_end.address
        attributes = store.attributes(meter.id)
        assert {0x82, 0x9F, 0xC0, 0xD3, 0xD4, 0xE5, 0xE6, 0xC4, 0xC5} <= set(attributes)
        first = datetime.combine(installed.date(), datetime.min.time())
        latest = store.latest(meter.id, Series.ENERGY_NORMAL)
        assert latest is not None
        missing = store.missing_half_hours(
            meter.id, Series.ENERGY_NORMAL, installed + timedelta(minutes=30), latest.measured_at
        )
        assert missing == []
        assert store.readings(meter.id, Series.ENERGY_NORMAL, first, installed)  # voids kept
        assert store.stats(meter.id).answered > 0
        assert store.gaps(meter.id, GapStatus.OPEN) == []
    with Outbox.open(db) as outbox:
        assert outbox.backlog() == 0  # without [routec], nothing is queued for the provider


def test_a_third_namespace_is_ignored(topology: Namespaces, tmp_path: Path) -> None:
    """Frames from anyone but the meter on the Route B link are dropped and counted."""
    meter_ns, ctl_ns, intruder_ns = (topology.namespace(n) for n in ("meter", "ctl", "intr"))
    bridge = topology.bridge("routeb")
    meter_end = topology.attach(meter_ns, bridge)
    ctl_end = topology.attach(ctl_ns, bridge)
    intruder_end = topology.attach(intruder_ns, bridge)
    db = tmp_path / "hemsnet.db"

    async def scenario() -> None:
        async with (
            hemsnet(meter_end, "meter", *meter_args(now() - timedelta(hours=3))),
            hemsnet(
                ctl_end, "controller", *controller_args(db, "--meter", meter_end.address)
            ) as controller,
        ):
            await controller.wait_for_line(backfilled)
            for _ in range(5):  # a Get of the controller's node profile, and a fake D5
                await hemsnet_once(
                    intruder_end, "get", "--timeout", "0.2", ctl_end.address, "0EF001", "D6"
                )
            assert await controller.stop() == 0

    asyncio.run(scenario())
    with Store.open(db) as store:
        (meter,) = store.meters()
        assert meter.key == meter_end.address
        assert store.stats(meter.id).foreign_dropped >= 5
