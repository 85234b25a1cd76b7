"""The controller through a SKSTACK IP dongle over a real pseudo-terminal: the dongle emulator on
one side, the controller's serial link (pyserial-asyncio-fast) on the other, both on one event
loop, faster than real time. Scan and join, a wrong password, the session expiring in the middle
of a backfill, the dongle unplugged and plugged back; and the two commands as a user runs them.

The tests wait on the controller's lines (events with deadlines), never on a fixed delay.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.controller_service import ControllerService, ControllerSetup, DongleSetup
from hemsnet.aio.pty_dongle import PtyDongle
from hemsnet.controller import ControllerConfig
from hemsnet.meter.config import MeterConfig
from hemsnet.meter.engine import MeterEngine
from hemsnet.metering.gaps import GapStatus
from hemsnet.metering.series import Series
from hemsnet.skstack.driver import RouteBCredentials
from hemsnet.skstack.emulator import DongleEmulator, Firmware, MeterRadio, RadioSettings
from hemsnet.store import Store
from hemsnet.web.app import build_app
from hemsnet.web.config import DashboardConfig

ID = "00112233445566778899AABBCCDDEEFF"
PASSWORD = "0123456789AB"
SPEED = 60.0
DEADLINE = 60.0  # s of real time for one wait


@dataclass
class Running:
    """The controller's lines as they come, waited on."""

    loop: asyncio.AbstractEventLoop
    lines: list[str] = field(default_factory=list)
    _waiters: list[tuple[Callable[[str], bool], asyncio.Future[str]]] = field(default_factory=list)

    def report(self, line: str) -> None:  # from the writer's thread too
        self.loop.call_soon_threadsafe(self._line, line)

    def _line(self, line: str) -> None:
        self.lines.append(line)
        for match, future in list(self._waiters):
            if not future.done() and match(line):
                future.set_result(line)

    async def wait_for(self, match: Callable[[str], bool], seconds: float = DEADLINE) -> str:
        for line in self.lines:
            if match(line):
                return line
        future: asyncio.Future[str] = self.loop.create_future()
        self._waiters.append((match, future))
        try:
            return await asyncio.wait_for(future, seconds)
        except TimeoutError:
            raise AssertionError(f"no such line in time; the last: {self.lines[-4:]}") from None

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)


def backfilled(line: str) -> bool:
    return "backfill done" in line and "gaps 0 open" in line


@asynccontextmanager
async def controller_through_a_dongle(
    tmp_path: Path,
    *,
    password: str = PASSWORD,
    settings: RadioSettings | None = None,
    firmware: Firmware = Firmware.BP35A1,
    days: float = 2,
    config: MeterConfig | None = None,
) -> AsyncIterator[tuple[Running, PtyDongle, ControllerService]]:
    now = datetime.now().replace(microsecond=0)
    clock = ScaledClock(now, SPEED)
    meter = MeterEngine(
        config or MeterConfig(), now=now, seed=3, installed=now - timedelta(days=days)
    )
    emulator = DongleEmulator(
        meter, MeterRadio(ID, PASSWORD), now=now, firmware=firmware, settings=settings
    )
    pty = PtyDongle(emulator, clock, link=tmp_path / "wisun")
    running = Running(asyncio.get_running_loop())
    setup = ControllerSetup(
        ControllerConfig(),
        DongleSetup(str(tmp_path / "wisun"), RouteBCredentials(ID, password)),
        tmp_path / "hemsnet.db",
        clock,
        report=running.report,
        status_every=0.2,
    )
    pty.plug()
    stop = asyncio.Event()
    with ControllerService.open(setup) as service:
        task = asyncio.create_task(service.run(stop))
        try:
            yield running, pty, service
        finally:
            stop.set()
            await task
            pty.unplug()


def truth(meter: MeterEngine, until: datetime) -> dict[datetime, int | None]:
    """The meter's own E7 history for today and yesterday, slots before ``until``."""
    found: dict[datetime, int | None] = {}
    for day in range(2):
        history = meter.readings.day_history(0xE7, day)
        midnight = datetime.combine(meter.now.date() - timedelta(days=day), datetime.min.time())
        for slot, raw in enumerate(history.slots):
            if midnight + slot * timedelta(minutes=30) < until:
                found[midnight + slot * timedelta(minutes=30)] = raw
    return found


def assert_complete(db: Path, meter: MeterEngine, until: datetime) -> None:
    with Store.open(db) as store:
        (stored,) = store.meters()
        want = truth(meter, until)
        got = {
            r.measured_at: r.raw
            for r in store.readings(stored.id, Series.ENERGY_NORMAL, min(want), until)
        }
        assert got == want
        assert store.gaps(stored.id, GapStatus.OPEN) == []
        assert store.latest(stored.id, Series.POWER) is not None


def meter_of(pty: PtyDongle) -> MeterEngine:
    meter = pty.emulator.meter
    assert isinstance(meter, MeterEngine)
    return meter


def test_scan_join_and_stored_data_then_a_restart_skips_the_scan(tmp_path: Path) -> None:
    async def first() -> None:
        async with controller_through_a_dongle(tmp_path, firmware=Firmware.BP35C2) as (
            running,
            pty,
            _service,
        ):
            await running.wait_for(lambda line: "the meter's PAN: channel 33" in line)
            await running.wait_for(lambda line: "PANA session with the meter" in line)
            await running.wait_for(backfilled)
            until = datetime.combine(meter_of(pty).now.date(), datetime.min.time())
        assert_complete(tmp_path / "hemsnet.db", meter_of(pty), until)
        assert running.count("scanning every channel") == 1
        assert all(PASSWORD not in line and ID not in line for line in running.lines)

    asyncio.run(first())
    with Store.open(tmp_path / "hemsnet.db") as store:
        assert store.kept_pan() == (33, 0x8888, "001D129012345678")

    async def again() -> None:
        async with controller_through_a_dongle(tmp_path) as (running, _, _):
            await running.wait_for(lambda line: "PANA session with the meter" in line)
        assert running.count("scanning every channel") == 0

    asyncio.run(again())


def test_a_wrong_password_says_so_with_a_hint(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with controller_through_a_dongle(tmp_path, password="0123456789AX") as (
            running,
            _,
            service,
        ):
            line = await running.wait_for(lambda line: "refused the PANA authentication" in line)
            assert "Route B ID (32 characters) and password (12)" in line
            await running.wait_for(lambda line: "trying again in" in line)
            assert not service.engine.meter.paired

    asyncio.run(scenario())


def test_the_session_expiring_during_a_backfill_is_joined_again_and_the_store_completed(
    tmp_path: Path,
) -> None:
    settings = RadioSettings(session_lifetime=240, reauthentication_fails=True)

    async def scenario() -> None:
        async with controller_through_a_dongle(tmp_path, settings=settings, days=3) as (
            running,
            pty,
            _,
        ):
            await running.wait_for(lambda line: "the PANA session expired (EVENT 29)" in line)
            assert "backfill done" not in " ".join(running.lines)  # it came mid-backfill
            await running.wait_for(backfilled, seconds=2 * DEADLINE)
            until = datetime.combine(meter_of(pty).now.date(), datetime.min.time())
        assert running.count("PANA session with the meter") >= 2
        assert_complete(tmp_path / "hemsnet.db", meter_of(pty), until)

    asyncio.run(scenario())


def test_the_dongle_unplugged_and_plugged_back(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with controller_through_a_dongle(tmp_path) as (running, pty, _):
            await running.wait_for(lambda line: "PANA session with the meter" in line)
            pty.unplug()
            await running.wait_for(lambda line: "went away" in line and "unplugged?" in line)
            pty.plug()
            await running.wait_for(lambda line: "is back" in line)
            await running.wait_for(lambda line: running.count("PANA session with") >= 2)
            await running.wait_for(backfilled)
            until = datetime.combine(meter_of(pty).now.date(), datetime.min.time())
        assert running.count("scanning every channel") == 1  # the PAN was kept
        assert_complete(tmp_path / "hemsnet.db", meter_of(pty), until)

    asyncio.run(scenario())


def test_a_low_voltage_meter_from_discovery_to_the_store_export_and_dashboard(
    tmp_path: Path,
) -> None:
    db = tmp_path / "hemsnet.db"

    async def scenario() -> datetime:
        async with controller_through_a_dongle(tmp_path, config=MeterConfig.low_voltage()) as (
            running,
            pty,
            _,
        ):
            line = await running.wait_for(lambda text: "meter 028801 at" in text)
            assert "fe80::21d:1290:1234:5678" in line
            await running.wait_for(backfilled)
            until = datetime.combine(meter_of(pty).now.date(), datetime.min.time())
        assert_complete(db, meter_of(pty), until)
        return until

    today = asyncio.run(scenario())
    with Store.open(db) as store:
        (meter,) = store.meters()
        assert meter.class_id == 0x0288
        assert {0xD7, 0xE1, 0xC0} <= set(store.attributes(meter.id))
    yesterday = today - timedelta(days=1)
    exported = subprocess.run(
        [sys.executable, "-m", "hemsnet", "export", "--db", str(db), "--from",
         yesterday.isoformat(), "--to", today.isoformat(), "--quantity", "energy",
         "--format", "json"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    rows = json.loads(exported.stdout)
    assert len(rows) == 48 and all(row["energy_normal_kwh"] is not None for row in rows[1:])

    async def dashboard() -> None:
        clock = ScaledClock(today + timedelta(hours=12), 1.0)
        app = build_app(db, DashboardConfig(), clock.now)
        async with TestClient(TestServer(app)) as http:
            health = await (await http.get("/api/health")).json()
            assert health["meter"]["class"] == "0288"
            assert health["meter"]["units"]["energy"] == "0.1 kWh"
            assert health["meter"]["digits"]["energy"] == 6
            now = await (await http.get("/api/now")).json()
            assert now["power_w"] is not None
            energy = await (
                await http.get(f"/api/energy?from={yesterday.date()}&to={today.date()}")
            ).json()
            (day,) = energy["days"]
            imported = Decimal(str(day["imported_kwh"]))
            assert imported == sum(Decimal(row["energy_normal_kwh"]) for row in rows[1:]) + (
                Decimal(rows[0]["energy_normal_kwh"] or 0)
            )
            assert day["exported_kwh"] is not None  # the home's PV fed some back

    asyncio.run(dashboard())


def test_the_two_commands_as_a_user_runs_them(tmp_path: Path) -> None:
    (tmp_path / "id").write_text(ID + "\n")
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    for name in ("id", "pw"):
        (tmp_path / name).chmod(0o600)
    link = tmp_path / "wisun"
    start = (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    dongle = subprocess.Popen(
        [sys.executable, "-m", "hemsnet", "dongle", "--pty", "--link", str(link),
         "--speed", str(SPEED), "--start", start],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert dongle.stdout is not None
        first = dongle.stdout.readline()
        assert re.match(r"hemsnet dongle: SKSTACK IP \(bp35a1\) on .*wisun \(/dev/pts/\d+\)", first)
        controller = subprocess.Popen(
            [sys.executable, "-m", "hemsnet", "controller", "--dongle", str(link),
             "--routeb-id-file", str(tmp_path / "id"), "--routeb-password-file",
             str(tmp_path / "pw"), "--db", str(tmp_path / "cli.db"), "--speed", str(SPEED),
             "--status-every", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert controller.stdout is not None
            seen = []
            for line in controller.stdout:
                seen.append(line)
                if backfilled(line):
                    break
            assert any("through the dongle" in line for line in seen[:1])
            assert any("PANA session with the meter" in line for line in seen)
        finally:
            controller.send_signal(2)
            assert controller.wait(30) == 0
    finally:
        dongle.send_signal(2)
        assert dongle.wait(30) == 0
    assert not link.exists()
