"""The dashboard's API against a SQLite file written by a real controller run.

``hemsnet meter`` and ``hemsnet controller --web`` run in two namespaces at 60x. The
controller's dashboard is queried inside its namespace (its 127.0.0.1 is there); once the
controller stops, ``hemsnet dashboard`` serves the same file in the root namespace and its
answers are checked against the store and against ``hemsnet export``.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import sys
from dataclasses import asdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hemsnet.metering.gaps import GapStatus
from hemsnet.metering.series import Series, Source
from hemsnet.store import Store
from hemsnet.testbed.netns import Namespaces
from tests.integration.test_controller_netns import (
    backfilled,
    controller_args,
    hemsnet,
    meter_args,
    now,
)

pytestmark = pytest.mark.netns

URL_LINE = re.compile(r"hemsnet dashboard: (http://127\.0\.0\.1:\d+/)$")


async def get_in_namespace(netns: str, url: str) -> Any:
    """GET ``url`` from inside ``netns`` (where the controller's dashboard listens)."""
    script = (
        "import sys, urllib.request; "
        "sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())"
    )
    proc = await asyncio.create_subprocess_exec(
        "ip", "netns", "exec", netns, sys.executable, "-c", script, url,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    return json.loads(out)


async def cli_export(db: Path, start: str, end: str, *quantities: str) -> str:
    args = [f"--quantity={q}" for q in quantities]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hemsnet", "export", "--db", str(db), "--from", start, "--to", end,
        *args, "--format", "csv", stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    return out.decode()


def day_energy(export_csv: str, day: date) -> Decimal | None:
    """The sum of the exported half-hour energies ending (day 00:00, next day 00:00]."""
    first = datetime.combine(day, datetime.min.time())
    values = [
        Decimal(row["energy_normal_kwh"])
        for row in csv.DictReader(io.StringIO(export_csv))
        if first < datetime.fromisoformat(row["time"]) <= first + timedelta(days=1)
        and row["energy_normal_kwh"]
    ]
    return sum(values, Decimal(0)) if values else None


def test_dashboard_api_on_a_real_controller_store(topology: Namespaces, tmp_path: Path) -> None:
    meter_end, ctl_end = topology.link(topology.namespace("meter"), topology.namespace("ctl"))
    db = tmp_path / "hemsnet.db"
    installed = now() - timedelta(days=2)

    async def controller_run() -> None:
        async with (
            hemsnet(meter_end, "meter", *meter_args(installed)),
            hemsnet(ctl_end, "controller", *controller_args(db, "--web", "127.0.0.1:0")) as ctl,
        ):
            line = await ctl.wait_for_line(lambda text: URL_LINE.match(text) is not None)
            match = URL_LINE.match(line)
            assert match is not None
            url = match.group(1)
            await ctl.wait_for_line(backfilled)
            health = await get_in_namespace(ctl_end.netns, f"{url}api/health")
            assert health["link"]["state"] == "up"
            assert health["meter"]["key"] == meter_end.address
            assert (await get_in_namespace(ctl_end.netns, f"{url}api/now"))["power_w"] is not None
            assert await ctl.stop() == 0

    asyncio.run(controller_run())

    async def dashboard_checks() -> None:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hemsnet", "dashboard", "--db", str(db),
            "--listen", "127.0.0.1:0", stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().rstrip()
            match = URL_LINE.match(line)
            assert match is not None, line
            async with aiohttp.ClientSession(match.group(1)) as http:
                await check_api(http)
        finally:
            proc.terminate()
            await proc.wait()

    async def check_demand(http: aiohttp.ClientSession, day: date | None) -> date:
        """/api/demand of ``day`` (the meter's today when None) against the store."""
        query = "" if day is None else f"?date={day}"
        demand = await (await http.get(f"/api/demand{query}")).json()
        day = date.fromisoformat(demand["date"])
        start = datetime.combine(day, datetime.min.time())
        with Store.open(db) as store:
            (meter,) = store.meters()
            stored = {
                r.measured_at.isoformat(): float(r.value)
                for r in store.readings(
                    meter.id, Series.DEMAND_NORMAL, start, start + timedelta(days=1, minutes=1)
                )
                if r.value is not None
            }
        slots = {s["end"]: s["normal_kw"] for s in demand["slots"]}
        assert {at: kw for at, kw in slots.items() if kw is not None} == {
            at: kw for at, kw in stored.items() if at in slots
        }
        return day

    async def check_api(http: aiohttp.ClientSession) -> None:
        today = await check_demand(http, None)
        await check_demand(http, today - timedelta(days=1))  # a whole day: the meter ran
        with Store.open(db) as store:
            (meter,) = store.meters()
            gaps = store.gaps(meter.id)
            stats = asdict(store.stats(meter.id))
            recovered = store.count_by_source(meter.id, Series.ENERGY_NORMAL)[Source.HISTORY]
            yesterday = store.readings(
                meter.id,
                Series.DEMAND_NORMAL,
                datetime.combine(today - timedelta(days=1), datetime.min.time()),
                datetime.combine(today, datetime.min.time()),
            )
        assert sum(r.value is not None for r in yesterday) >= 47

        first_day = installed.date()
        energy = await (
            await http.get(f"/api/energy?from={first_day}&to={today + timedelta(days=1)}")
        ).json()
        exported = await cli_export(
            db, first_day.isoformat(), (today + timedelta(days=2)).isoformat(), "energy"
        )
        for day in energy["days"]:
            expected = day_energy(exported, date.fromisoformat(day["date"]))
            assert day["imported_kwh"] == (None if expected is None else float(expected)), day
        assert any(day["complete"] for day in energy["days"])

        span = f"from={first_day}T10:00&to={today}T03:30"
        response = await http.get(f"/api/export.csv?{span}&quantity=energy&quantity=demand")
        assert response.status == 200
        assert (
            await response.read()
            == (
                await cli_export(db, f"{first_day}T10:00", f"{today}T03:30", "energy", "demand")
            ).encode()
        )

        health = await (await http.get("/api/health")).json()
        assert health["requests"] == stats
        assert health["gaps"]["open"] == sum(g.status is GapStatus.OPEN for g in gaps) == 0
        assert health["gaps"]["filled"] == sum(g.status is GapStatus.FILLED for g in gaps)
        assert health["recovered_half_hours"] == recovered > 0
        assert health["missing_half_hours"] == 0
        assert health["faults"] == []
        assert health["meter"]["digits"]["energy"] is not None

    asyncio.run(dashboard_checks())
