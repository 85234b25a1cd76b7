"""Benchmark the dashboard with thousands of event streams open (not a test).

Run with ``.venv/bin/python bench/sse.py``. It writes a store as bench/dashboard.py does
(``--days`` days of half-hours, the last hour of EA and D0), starts ``hemsnet dashboard --db
FILE`` as a process of its own pinned to CPU 0, and, like a controller polling EA every 10 s,
adds a power reading to the store every ``--every`` seconds, so that every stream has news to
carry. Then two phases of ``--seconds`` each:

1. no stream open: the baseline;
2. ``--streams`` streams open (2,000), held by another process (asyncio and the aiohttp client,
   pinned to CPU 1), opened 100 at a time; each counts the ``now`` events it receives.

In each phase it reads the dashboard's CPU time from ``/proc/PID/stat`` (user + system) at
both ends, and meanwhile makes ordinary requests from this process, one at a time on a new
connection, alternating ``/api/now`` and ``/api/demand`` every 0.1 s, timing each to its last
byte. It prints a table: streams open, streams refused (503 beyond ``dashboard.max_streams``),
the dashboard's CPU as a share of one core, the median and 95th percentile of the ordinary
requests, and the ``now`` events each stream got (each should get one per new reading).

``--max-streams N`` gives the dashboard a config with ``[dashboard] max_streams = N`` (code
without the cap refuses the key; leave it out there). The open-files limit of this process and
its children is raised to the hard limit when the sockets need it. Exit status: 0 when
measured, 1 when it could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import aiohttp

from dashboard import build_store, dashboard
from hemsnet.metering.series import Series, Source
from hemsnet.store.model import Reading
from hemsnet.store.store import Store

BATCH = 100  # streams opened at once
REQUEST_EVERY = 0.1  # s between ordinary requests


def raise_open_files(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise SystemExit(f"bench: {needed} open files needed, the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


# The streams, in a process of their own: ``--client URL N``.


async def _hold(
    session: aiohttp.ClientSession, url: str, status: Counter[str], events: list[int]
) -> None:
    index = len(events)
    events.append(0)
    try:
        async with session.get(url) as response:
            status[str(response.status)] += 1
            if response.status != 200:
                events[index] = -1
                return
            async for line in response.content:
                if line.startswith(b"event: now"):
                    events[index] += 1
            status["ended by the server"] += 1
    except aiohttp.ClientError as exc:
        status[type(exc).__name__] += 1


async def _client(url: str, count: int) -> None:
    status: Counter[str] = Counter()
    events: list[int] = []
    timeout = aiohttp.ClientTimeout(total=None, sock_read=None, sock_connect=60)
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks = []
        for start in range(0, count, BATCH):
            batch = [
                asyncio.create_task(_hold(session, url, status, events))
                for _ in range(min(BATCH, count - start))
            ]
            tasks += batch
            while sum(status.values()) < start + len(batch):  # their answers' headers
                await asyncio.sleep(0.01)
        print(json.dumps({"open": dict(status)}), flush=True)
        baseline = list(events)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until closed
        got = [n - b for n, b in zip(events, baseline, strict=True) if b >= 0]
        print(json.dumps({"status": dict(status), "now_events": got}), flush=True)
        for task in tasks:
            task.cancel()


# The measurement, in this process.


@dataclass
class Phase:
    streams_open: int
    refused: int
    cpu_percent: float
    timings_ms: dict[str, list[float]]
    now_events: list[int]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def fetch_ms(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as answer:
        answer.read()
    return (time.perf_counter() - started) * 1000


def measure(url: str, pid: int, seconds: float) -> tuple[float, dict[str, list[float]]]:
    """The dashboard's CPU share over ``seconds``, and the ordinary requests' times."""
    timings: dict[str, list[float]] = {"api/now": [], "api/demand": []}
    cpu_start, started = cpu_seconds(pid), time.monotonic()
    turn = 0
    while time.monotonic() - started < seconds:
        path = list(timings)[turn % 2]
        timings[path].append(fetch_ms(url + path))
        turn += 1
        time.sleep(max(0.0, started + turn * REQUEST_EVERY - time.monotonic()))
    elapsed = time.monotonic() - started
    return 100 * (cpu_seconds(pid) - cpu_start) / elapsed, timings


def with_streams(url: str, pid: int, streams: int, seconds: float) -> Phase:
    command = [sys.executable, __file__, "--client", f"{url}api/stream", str(streams)]
    taskset = shutil.which("taskset")
    if taskset and (os.cpu_count() or 1) > 1:
        command = [taskset, "-c", "1", *command]
    client = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert client.stdin is not None and client.stdout is not None
    try:
        opened = json.loads(client.stdout.readline())["open"]
        cpu, timings = measure(url, pid, seconds)
        client.stdin.close()
        summary = json.loads(client.stdout.readline())
    finally:
        client.kill()
        client.wait()
    refused = sum(n for code, n in opened.items() if code != "200")
    return Phase(opened.get("200", 0), refused, cpu, timings, summary["now_events"])


def writer(db: Path, every: float, stop: threading.Event) -> None:
    """Add a power reading every ``every`` s, as the controller's EA poll does."""
    with Store.open(db) as store:
        meter = store.meters()[0].id
        watts = 300_000
        while not stop.wait(every):
            at = datetime.now().replace(microsecond=0)
            watts += 1
            store.record([Reading(meter, Series.POWER, at, watts, Decimal(watts), Source.POLL, at)])


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=2000, help="streams to open (2000)")
    parser.add_argument("--seconds", type=float, default=30, help="length of each phase (30)")
    parser.add_argument("--days", type=int, default=35, help="days of readings stored (35)")
    parser.add_argument("--every", type=float, default=10, help="s between new readings (10)")
    parser.add_argument("--max-streams", type=int, help="dashboard.max_streams for the server")
    parser.add_argument("--client", nargs=2, metavar=("URL", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        asyncio.run(_client(args.client[0], int(args.client[1])))
        return
    raise_open_files(args.streams + 1024)
    with tempfile.TemporaryDirectory(prefix="hemsnet-bench-") as folder:
        db = Path(folder) / "store.db"
        build_store(db, args.days, datetime.now().replace(microsecond=0))
        options: list[str] = []
        if args.max_streams is not None:
            config = Path(folder) / "controller.toml"
            config.write_text(f"[dashboard]\nmax_streams = {args.max_streams}\n")
            options = ["--config", str(config)]
        print(
            f"store: {args.days} days; Python {platform.python_version()}, {platform.machine()}, "
            f"{os.cpu_count()} CPUs; a new power reading every {args.every:g} s; "
            f"phases of {args.seconds:g} s",
            flush=True,
        )
        stop = threading.Event()
        thread = threading.Thread(target=writer, args=(db, args.every, stop))
        thread.start()
        try:
            with dashboard(db, options) as (url, pid):
                cpu, timings = measure(url, pid, args.seconds)
                phases = [Phase(0, 0, cpu, timings, [])]
                phases.append(with_streams(url, pid, args.streams, args.seconds))
        finally:
            stop.set()
            thread.join()
    print(
        "| streams open | refused | dashboard CPU (% of a core) | /api/now median / p95 ms "
        "| /api/demand median / p95 ms | `now` events per stream (min / median) |"
    )
    print("|---|---|---|---|---|---|")
    for phase in phases:
        now, demand = phase.timings_ms["api/now"], phase.timings_ms["api/demand"]
        events = (
            f"{min(phase.now_events)} / {statistics.median(phase.now_events):g}"
            if phase.now_events
            else "-"
        )
        print(
            f"| {phase.streams_open} | {phase.refused} | {phase.cpu_percent:.1f} "
            f"| {statistics.median(now):.1f} / {p95(now):.1f} "
            f"| {statistics.median(demand):.1f} / {p95(demand):.1f} | {events} |"
        )


if __name__ == "__main__":
    main()
