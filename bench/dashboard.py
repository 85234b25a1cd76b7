"""Benchmark how fast ``hemsnet dashboard`` answers on a store a year old (not a test).

Run with ``.venv/bin/python bench/dashboard.py``. It writes a store through the ``Store`` API:
one meter with a Route B meter's attributes (0.1 kWh, 8 digits) and ``--days`` days of
30-minute readings of the six half-hour series (cumulative active and reactive energy, both
directions, and demand), the month maximum, and the last hour of EA and D0 at their poll
rates. Then it starts ``hemsnet dashboard --db FILE`` as a separate process, pinned to CPU 0
when ``taskset`` exists, and asks each route ``--rounds`` times in turn from this process
(one request at a time, a new HTTP connection each, as a browser's first visit), timing each
answer to its last byte. It prints the median and the 95th percentile per route and the
page's first load (every route the page asks for on opening). The goal: each request the
page makes (on opening, and for a past day) under 250 ms at the 95th percentile, a month's
export under 1 s; a year of daily energy is shown for information. Exit status: 0 when
measured (PASS or FAIL printed), 1 when it could not run.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as day_time
from decimal import Decimal
from pathlib import Path

from hemsnet.metering.series import Series, Source
from hemsnet.store.model import Reading
from hemsnet.store.store import Store

ATTRIBUTES = {
    0x82: bytes.fromhex("00005200"),
    0x8A: bytes.fromhex("FFFFFF"),
    0x8D: b"HEMSNET00001",
    0xC0: bytes.fromhex("00FFFFFF") + bytes(12),
    0xD3: (1).to_bytes(4, "big"),
    0xD4: b"\x00",
    0xE5: b"\x08",
    0xE6: b"\x01",
    0xC4: b"\x08",
    0xC5: b"\x01",
    0xCC: b"\x08",
    0xCD: b"\x01",
    0xE0: b"\x01",
}
TENTH = Decimal("0.1")
HALF_HOUR = timedelta(minutes=30)
PAGE_GOAL_MS = 250.0
EXPORT_GOAL_MS = 1000.0


def _reading(meter: int, series: Series, at: datetime, raw: int, arrived: datetime) -> Reading:
    return Reading(meter, series, at, raw, raw * TENTH, Source.HISTORY, arrived)


def build_store(path: Path, days: int, now: datetime) -> None:
    """``days`` of an office's half-hours (a daily curve), the month maximum, EA and D0."""
    start = datetime.combine(now.date() - timedelta(days=days), day_time())
    with Store.open(path) as store:
        meter = store.meter("fe80::1", "fe80::1%rb0", start)
        for epc, edt in ATTRIBUTES.items():
            store.record_attribute(meter, epc, edt, start)
        energy = reactive = 0
        at = start
        batch: list[Reading] = []
        while at <= now:
            hour = at.hour + at.minute / 60
            demand = int(2000 + 1500 * max(0.0, math.sin(math.pi * (hour - 7) / 12)))  # 0.1 kW
            energy += demand // 2
            reactive += demand // 4
            batch += [
                _reading(meter, Series.ENERGY_NORMAL, at, energy, at),
                _reading(meter, Series.ENERGY_REVERSE, at, 0, at),
                _reading(meter, Series.DEMAND_NORMAL, at, demand, at),
                _reading(meter, Series.DEMAND_REVERSE, at, 0, at),
                _reading(meter, Series.REACTIVE_NORMAL, at, reactive, at),
                _reading(meter, Series.REACTIVE_REVERSE, at, 0, at),
            ]
            at += HALF_HOUR
        latest = at - HALF_HOUR
        batch.append(_reading(meter, Series.MAX_DEMAND_NORMAL, now, 3500, now))
        batch.append(_reading(meter, Series.MAX_DEMAND_REVERSE, now, 0, now))
        for second in range(0, 3600, 10):
            at = now - timedelta(seconds=second)
            batch.append(_reading(meter, Series.POWER, at, 300_000, at))
        minute = now.replace(second=0)
        for back in range(60):
            at = minute - timedelta(minutes=back)
            raw = energy + (at - latest) // timedelta(minutes=1) * 5
            batch.append(_reading(meter, Series.MINUTE_ENERGY_NORMAL, at, raw, at))
        store.record(batch)


@contextmanager
def dashboard(db: Path, options: Sequence[str] = ()) -> Iterator[tuple[str, int]]:
    """``hemsnet dashboard`` on ``db`` with ``options``, pinned to CPU 0 if possible; yields
    its URL and pid (``taskset`` execs it, so the pid is the dashboard's)."""
    command = [sys.executable, "-m", "hemsnet", "dashboard", "--db", str(db)]
    command += ["--listen", "127.0.0.1:0", *options]
    taskset = shutil.which("taskset")
    if taskset and (os.cpu_count() or 1) > 1:
        command = [taskset, "-c", "0", *command]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "http://" not in line:
            raise SystemExit(f"bench: the dashboard did not start: {line!r}")
        yield line.split()[-1], proc.pid
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def fetch_ms(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as answer:
        answer.read()
    return (time.perf_counter() - started) * 1000


def routes(today: date, days: int) -> dict[str, str]:
    year = today - timedelta(days=min(days, 400) - 1)
    month = today - timedelta(days=30)
    return {
        "page /": "",
        "now": "api/now",
        "demand today": "api/demand",
        "demand a past day": f"api/demand?date={today - timedelta(days=7)}",
        "energy 31 days (page)": "api/energy",
        f"energy {min(days, 400)} days": f"api/energy?from={year}&to={today + timedelta(days=1)}",
        "health": "api/health",
        "power 10 min (page)": "api/power?minutes=10",
        "appliances (page)": "api/appliances",
        "metrics (a Prometheus scrape)": "metrics",
        "export a day": f"api/export.csv?from={today - timedelta(days=1)}&to={today}"
        "&quantity=energy&quantity=demand",
        "export a month": f"api/export.csv?from={month}&to={today}"
        "&quantity=energy&quantity=demand&quantity=reactive",
    }


PAGE_LOAD = (
    "page /",
    "now",
    "power 10 min (page)",
    "demand today",
    "energy 31 days (page)",
    "health",
    "appliances (page)",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365, help="days of readings stored (365)")
    parser.add_argument("--rounds", type=int, default=20, help="requests per route (20)")
    args = parser.parse_args()
    now = datetime.now().replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="hemsnet-bench-") as folder:
        db = Path(folder) / "year.db"
        started = time.perf_counter()
        build_store(db, args.days, now)
        size = db.stat().st_size / 1e6
        print(
            f"store: {args.days} days of 30-minute readings, {size:.1f} MB, written in "
            f"{time.perf_counter() - started:.1f} s; Python {platform.python_version()}, "
            f"{platform.machine()}, {os.cpu_count()} CPUs"
        )
        with dashboard(db) as (url, _):
            table = routes(now.date(), args.days)
            timings: dict[str, list[float]] = {name: [] for name in table}
            for _ in range(args.rounds):
                for name, path in table.items():
                    timings[name].append(fetch_ms(url + path))
    print("| route | median ms | p95 ms |")
    print("|---|---|---|")
    p95 = {}
    for name, values in timings.items():
        p95[name] = statistics.quantiles(values, n=20)[-1]
        print(f"| {name} | {statistics.median(values):.1f} | {p95[name]:.1f} |")
    first_load = sum(statistics.median(timings[name]) for name in PAGE_LOAD)
    print(
        f"page's first load (its {len(PAGE_LOAD)} requests, one after another): {first_load:.0f} ms"
    )
    views = [*PAGE_LOAD, "demand a past day"]
    passed = all(p95[name] < PAGE_GOAL_MS for name in views)
    passed = passed and p95["export a month"] < EXPORT_GOAL_MS
    print(
        f"goal: each view of the page < {PAGE_GOAL_MS:g} ms at p95, a month's export "
        f"< {EXPORT_GOAL_MS:g} ms: {'PASS' if passed else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
