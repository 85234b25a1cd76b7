"""A simulated home of the fleet: hemsnet's meter and controller engines in virtual time, into
the home's own store, whose outbox queues every stored reading for Route C."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from hemsnet.fleet.home import HomeSpec, VirtualHome
from hemsnet.metering.series import Series
from hemsnet.store.outbox import Outbox

START = datetime(2026, 12, 1, 0, 0)


def test_a_home_stores_every_half_hour_and_queues_every_reading(tmp_path: Path) -> None:
    home = VirtualHome(
        HomeSpec("h00001", seed=3), tmp_path, start=START, installed=START - timedelta(hours=1)
    )
    home.run_until(START + timedelta(hours=6))
    home.close()
    with sqlite3.connect(tmp_path / "h00001.db") as db:
        halves = {
            at
            for (at,) in db.execute(
                "SELECT measured_at FROM reading WHERE series = ?", (Series.ENERGY_NORMAL.value,)
            )
        }
        stored = db.execute("SELECT count(*) FROM reading").fetchone()[0]
    # Every half-hour boundary from the installation's to the last one before 06:00 (the
    # fetch of 06:00 itself comes at 06:05 or later [AIF 3.3.1]).
    boundaries = {
        (START - timedelta(hours=1) + timedelta(minutes=30 * n)).isoformat() for n in range(14)
    }
    assert boundaries <= halves
    with Outbox.open(tmp_path / "h00001.db") as outbox:
        records = [json.loads(r.text) for r in outbox.after(0, 100_000)]
    readings = [r for r in records if r["kind"] == "reading"]
    assert len(readings) >= stored  # an updated row is queued again
    assert {(r["series"], r["at"]) for r in readings} >= {
        (Series.ENERGY_NORMAL.value, at) for at in boundaries
    }
    assert [r["seq"] for r in records] == sorted(r["seq"] for r in records)


def test_two_homes_with_two_seeds_differ(tmp_path: Path) -> None:
    energies = []
    for n in (1, 2):
        home = VirtualHome(HomeSpec(f"h{n}", seed=n), tmp_path, start=START, installed=START)
        home.run_until(START + timedelta(hours=2))
        home.close()
        with sqlite3.connect(tmp_path / f"h{n}.db") as db:
            energies.append(
                db.execute(
                    "SELECT group_concat(raw) FROM reading WHERE series = 'demand_normal'"
                ).fetchone()[0]
            )
    assert energies[0] and energies[1] and energies[0] != energies[1]
