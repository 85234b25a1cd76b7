"""Benchmark the provider side of Route C end to end (not a test): simulated homes, a real broker,
``hemsnet provider`` and a real PostgreSQL, on this machine.

Run with ``.venv/bin/python -m bench.provider`` from the repository (as root or as a user that
may run PostgreSQL; it starts Debian's mosquitto and PostgreSQL as the tests do, with
``tests/broker.py`` and ``tests/postgres.py``). In one run:

1. **simulate** ``--homes`` homes for ``--hours`` of virtual time with ``hemsnet fleet``'s
   engine (a 0x028F meter and a Route B controller each, their own SQLite stores and Route C
   outboxes), the WAN away: a day's backlog waits in every outbox;
2. **ingest**, once for each ``--workers`` count (a copy of the same backlog each time, a fresh
   database): ``hemsnet provider --workers W`` is started, the fleet is released at once, and
   the time from the release to the last acknowledgement gives the ingest rate of readings into
   PostgreSQL (goal: 50,000 a second);
3. **check**: every reading of every home's store must be in the provider's ``reading`` table
   with the same raw count, once: missing, duplicated (rows the homes never stored) and
   differing are counted;
4. **latency** (``--latency-homes``, 0 to skip): a smaller fleet in live mode, paced (two hours
   of virtual time at 120 times the wall clock, a minute a step), so that what is measured is
   the pipeline and not a backlog: from the wall time each home's store held a record to the
   provider's ``received_at``, p50 and p99;
5. **faults** (``--faults``): the ingest again with the broker restarted, a worker SIGKILLed and
   the database restarted while it runs; then the same check.

``--json`` prints one JSON object (expected, stored, missing, duplicated and the rates) for
scripts. Exit status: 0 when measured and nothing is missing or duplicated, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import aiomqtt
import psycopg

from hemsnet.fleet.run import FleetPlan, home_id, run_fleet
from hemsnet.testbed.local_servers import server_bin
from hemsnet.uplink.config import parse_broker
from tests.broker import Mosquitto
from tests.postgres import Postgres, postgres_missing

#: Every reading of every home: home -> (meter, series, measured_at) -> raw count.
Truth = dict[str, dict[tuple[str, str, str], int | None]]

GOAL_RATE: Final = 50_000  # readings per second into PostgreSQL
PROBE: Final = "zz-bench-probe"
_PROBE_TOPIC: Final = f"hemsnet/v1/home/{PROBE}/up/batch"
LATENCY_HOURS: Final = 2.0
LATENCY_SPEED: Final = 120.0  # a minute of the homes' time every half second
READY_WITHIN: Final = 60.0  # s for the provider's workers to subscribe
BROKER_TUNING: Final = (
    # A shared subscription's worker may fall behind a whole fleet's release: let the broker
    # queue for it rather than drop (mosquitto drops QoS 1 past max_queued_messages).
    "max_queued_messages 0\nmax_inflight_messages 100\nsys_interval 1\n"
)


@dataclass
class Check:
    expected: int
    stored: int
    missing: int
    duplicated: int
    differing: int

    @property
    def clean(self) -> bool:
        return self.missing == self.duplicated == self.differing == 0


def main() -> int:
    args = _parser().parse_args()
    reason = postgres_missing()
    if reason is not None or not Path("/usr/sbin/mosquitto").exists():
        print(f"cannot run: {reason or 'needs mosquitto'}", file=sys.stderr)
        return 1
    out: dict[str, Any] = {"homes": args.homes, "hours": args.hours, "runs": []}
    say = _quiet if args.json else _say
    with tempfile.TemporaryDirectory(prefix="hemsnet-bench-provider-") as tmp:
        root = Path(tmp)
        midnight = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
        start = midnight - timedelta(hours=args.hours)
        backlog = root / "backlog"
        backlog.mkdir()
        plan = FleetPlan(None, backlog, args.homes, args.hours, start, args.processes, "simulate")
        began = time.perf_counter()
        run_fleet(plan, say)
        out["simulate_s"] = round(time.perf_counter() - began, 1)
        say(f"simulated {args.homes:,} homes x {args.hours:g} h in {out['simulate_s']} s")
        truth = _truth(backlog, args.homes)
        out["expected"] = sum(len(rows) for rows in truth.values())
        with _servers(root) as (broker, pg):
            runs = [(w, False) for w in args.workers] + ([(2, True)] if args.faults else [])
            for workers, faults in runs:
                run = _ingest(args, root, backlog, truth, broker, pg, workers, faults, say)
                out["runs"].append(run)
            if args.latency_homes:
                out["latency"] = _latency(args, root, start, broker, pg, say)
    ok = all(run["missing"] == run["duplicated"] == run["differing"] == 0 for run in out["runs"])
    if args.json:
        print(json.dumps(out))
    else:
        _summary(out)
    return 0 if ok else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.provider",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--homes", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument(
        "--workers",
        type=lambda t: [int(w) for w in t.split(",")],
        default=[1, 2],
        help="worker counts to compare (1,2)",
    )
    parser.add_argument("--processes", type=int, default=2, help="fleet processes (2)")
    parser.add_argument("--latency-homes", type=int, default=200)
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--json", action="store_true")
    return parser


# --- the servers ---------------------------------------------------------------------------


@contextmanager
def _servers(root: Path) -> Iterator[tuple[Mosquitto, Postgres]]:
    bin_dir = server_bin()
    assert bin_dir is not None
    broker = Mosquitto(root)
    broker.config.write_text(broker.config.read_text() + BROKER_TUNING)
    broker.start()
    pg = Postgres(bin_dir, durable=True)  # as a provider runs it: a crash loses no commit
    try:
        pg.start()
        yield broker, pg
    finally:
        broker.stop()
        pg.remove()


class Provider:
    """``hemsnet provider`` as a process, its output kept."""

    def __init__(self, broker: Mosquitto, db: str, workers: int) -> None:
        self.workers = workers
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hemsnet",
                "provider",
                "--broker",
                broker.url,
                "--db",
                db,
                "--workers",
                str(workers),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _wait_subscribed(broker: Mosquitto, workers: int) -> None:
    """Until ``workers`` workers are connected and one of them acknowledges a probe batch
    (its home, :data:`PROBE`, is left out of the check)."""

    async def watch() -> None:
        async with aiomqtt.Client("127.0.0.1", broker.port) as client:
            await client.subscribe("$SYS/broker/clients/connected")
            await client.subscribe(f"hemsnet/v1/home/{PROBE}/down/ack", qos=1)
            async with asyncio.timeout(READY_WITHIN):
                connected = False
                async for message in client.messages:
                    payload = message.payload
                    if message.topic.value.startswith("$SYS") and isinstance(payload, bytes):
                        connected = connected or int(payload) >= workers + 1
                        if connected:
                            await client.publish(_PROBE_TOPIC, _probe(), qos=1)
                    elif connected:
                        return

    asyncio.run(watch())


def _probe() -> bytes:
    at = datetime.now().replace(minute=0, second=0, microsecond=0).isoformat()
    record = {"seq": 1, "kind": "reading", "meter": "probe", "series": "power", "at": at,
              "raw": 0, "value": "0", "void": False, "source": "poll"}  # fmt: skip
    batch = {"v": 1, "home": PROBE, "first": 1, "last": 1, "sent_at": at, "records": [record]}
    return json.dumps(batch).encode()


# --- ingest and check ---------------------------------------------------------------------


def _ingest(
    args: argparse.Namespace,
    root: Path,
    backlog: Path,
    truth: Truth,
    broker: Mosquitto,
    pg: Postgres,
    workers: int,
    faults: bool,
    say: Callable[[str], None],
) -> dict[str, Any]:
    name = f"w{workers}{'f' if faults else ''}"
    folder = root / name
    # Every store is closed: its WAL is in the file, and no -wal or -shm file is left to copy.
    shutil.copytree(backlog, folder, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    db = pg.database(f"provider_{name}")
    provider = Provider(broker, db, workers)
    try:
        _wait_subscribed(broker, workers)
        plan = FleetPlan(
            parse_broker(broker.url),
            folder,
            args.homes,
            args.hours,
            datetime.now(),
            args.processes,
            "replay",
        )
        chaos = _Chaos(broker, pg, provider, db, truth, say) if faults else None
        if chaos is not None:
            chaos.start()
        result = run_fleet(plan, say)
        if chaos is not None:
            chaos.join()
    finally:
        provider.stop()
    check = _check(db, truth)
    rate = check.stored / result.ingest_s
    say(
        f"{workers} worker(s){' with faults' if faults else ''}: {check.stored:,} readings in "
        f"{result.ingest_s:.1f} s = {rate:,.0f}/s; missing {check.missing}, duplicated "
        f"{check.duplicated}, differing {check.differing}; {result.resent} batches sent again"
    )
    shutil.rmtree(folder)
    return {
        "workers": workers,
        "faults": faults,
        "ingest_s": round(result.ingest_s, 2),
        "rate": round(rate),
        "records": result.records,
        "batches": result.batches,
        "resent": result.resent,
        "expected": check.expected,
        "stored": check.stored,
        "missing": check.missing,
        "duplicated": check.duplicated,
        "differing": check.differing,
        "faults_done": [] if chaos is None else chaos.done,
    }


def _truth(folder: Path, homes: int) -> Truth:
    """Every reading each home's store holds: (meter, series, measured_at) -> raw."""
    truth = {}
    for n in range(homes):
        home = home_id(n)
        with contextlib.closing(sqlite3.connect(folder / f"{home}.db")) as db:
            truth[home] = {
                (meter, series, at): raw
                for meter, series, at, raw in db.execute(
                    "SELECT m.key, r.series, r.measured_at, r.raw FROM reading r "
                    "JOIN meter m ON m.id = r.meter_id"
                )
            }
    return truth


def _check(db: str, truth: Truth) -> Check:
    stored: Truth = {}
    with psycopg.connect(db) as conn:
        rows = conn.execute(
            "SELECT home, meter, series, to_char(measured_at, 'YYYY-MM-DD\"T\"HH24:MI:SS'), raw "
            "FROM reading"
        )
        for home, meter, series, at, raw in rows:
            if home == PROBE:
                continue
            stored.setdefault(home, {})[(meter, series, at)] = raw
    expected = sum(len(rows) for rows in truth.values())
    missing = duplicated = differing = 0
    for home in truth.keys() | stored.keys():
        want, got = truth.get(home, {}), stored.get(home, {})
        missing += len(want.keys() - got.keys())
        duplicated += len(got.keys() - want.keys())
        differing += sum(1 for key in want.keys() & got.keys() if want[key] != got[key])
    return Check(
        expected, sum(len(rows) for rows in stored.values()), missing, duplicated, differing
    )


class _Chaos(threading.Thread):
    """While the fleet sends: the broker restarted, a worker SIGKILLed, the database restarted,
    each once a share of the readings is in."""

    def __init__(
        self,
        broker: Mosquitto,
        pg: Postgres,
        provider: Provider,
        db: str,
        truth: Truth,
        say: Callable[[str], None],
    ) -> None:
        super().__init__(daemon=True)
        self.broker, self.pg, self.provider, self.db, self.say = broker, pg, provider, db, say
        self.total = sum(len(rows) for rows in truth.values())
        self.done: list[str] = []

    def run(self) -> None:
        steps: list[tuple[float, str, Callable[[], None]]] = [
            (0.2, "broker restarted", self._restart_broker),
            (0.45, "worker SIGKILLed", self._kill_worker),
            (0.7, "database restarted", self._restart_database),
        ]
        for share, what, act in steps:
            if not self._wait_for(share):
                self.say(f"faults: the run ended before {what}")
                return
            act()
            self.done.append(what)
            self.say(f"faults: {what} at {share:.0%} of the readings")

    def _wait_for(self, share: float) -> bool:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.db, connect_timeout=2) as conn:
                    (count,) = conn.execute("SELECT count(*) FROM reading").fetchone() or (0,)
                if count >= share * self.total:
                    return True
            except psycopg.Error:
                pass
            time.sleep(0.2)  # a bench's poll of a database, not a test's wait
        return False

    def _restart_broker(self) -> None:
        self.broker.stop()
        self.broker.start()

    def _kill_worker(self) -> None:
        for pid in self.provider.worker_pids():
            os.kill(pid, signal.SIGKILL)
            return
        self.say("faults: no worker process to kill (--workers 1?)")

    def _restart_database(self) -> None:
        self.pg.stop("immediate")
        self.pg.start()


# --- latency --------------------------------------------------------------------------------


def _latency(
    args: argparse.Namespace,
    root: Path,
    start: datetime,
    broker: Mosquitto,
    pg: Postgres,
    say: Callable[[str], None],
) -> dict[str, float]:
    folder = root / "live"
    folder.mkdir()
    db = pg.database("provider_live")
    provider = Provider(broker, db, 2)
    try:
        _wait_subscribed(broker, 2)
        # Paced, so that the latency is the pipeline's, not a backlog's: LATENCY_HOURS of
        # virtual time at LATENCY_SPEED times the wall clock, a minute a step.
        plan = FleetPlan(
            parse_broker(broker.url),
            folder,
            args.latency_homes,
            LATENCY_HOURS,
            start,
            args.processes,
            "live",
            step=timedelta(minutes=1),
            speed=LATENCY_SPEED,
        )
        result = run_fleet(plan, say)
    finally:
        provider.stop()
    committed: dict[str, list[tuple[int, float]]] = {}
    for path in result.committed:
        for home, seq, at in (line.split(",") for line in path.read_text().splitlines()):
            committed.setdefault(home, []).append((int(seq), float(at)))
    delays = []
    with psycopg.connect(db) as conn:
        rows = conn.execute(
            "SELECT home, seq, extract(epoch FROM received_at) FROM reading WHERE home != %s",
            (PROBE,),
        )
        for home, seq, received in rows:
            stored_at = next(at for last, at in committed[home] if last >= seq)
            delays.append(float(received) - stored_at)
    delays.sort()
    p50 = statistics.median(delays)
    p99 = delays[min(len(delays) - 1, int(0.99 * len(delays)))]
    say(
        f"latency, store to table, {len(delays):,} readings of {args.latency_homes} live homes: "
        f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"
    )
    return {
        "homes": args.latency_homes,
        "readings": len(delays),
        "p50_ms": round(p50 * 1000),
        "p99_ms": round(p99 * 1000),
    }


def _summary(out: dict[str, Any]) -> None:
    print(f"\nexpected readings: {out['expected']:,} ({out['homes']:,} homes x {out['hours']:g} h)")
    base = next((run["rate"] for run in out["runs"] if run["workers"] == 1), None)
    for run in out["runs"]:
        ratio = f" ({run['rate'] / base:.2f}x one worker)" if base else ""
        verdict = "PASS" if run["rate"] >= GOAL_RATE else "below the goal"
        print(
            f"{run['workers']} worker(s){' + faults' if run['faults'] else ''}: "
            f"{run['rate']:,}/s{ratio}, goal {GOAL_RATE:,}/s: {verdict}; stored "
            f"{run['stored']:,}, missing {run['missing']}, duplicated {run['duplicated']}, "
            f"differing {run['differing']}"
        )
    if "latency" in out:
        lat = out["latency"]
        print(f"latency store -> table: p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms")


def _say(line: str) -> None:
    print(line, flush=True)


def _quiet(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
