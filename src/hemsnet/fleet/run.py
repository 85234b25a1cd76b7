"""A fleet of homes over a few processes: each process a :class:`FleetSlice` with its share of
the homes and one connection to the provider's broker.

In backlog mode every process first simulates its homes with the WAN away; once all have done
so, they are released together, so the time from the release to the last acknowledgement is the
provider's ingest time for the whole fleet's backlog. In live mode they send after every step.
"""

from __future__ import annotations

import asyncio
import csv
import multiprocessing
import multiprocessing.synchronize
import os
import queue
import resource
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Final, Literal

from hemsnet.errors import HemsnetError
from hemsnet.fleet.home import HomeSpec
from hemsnet.fleet.link import FleetLink
from hemsnet.fleet.slice import FleetSlice, SliceResult
from hemsnet.uplink.config import Broker
from hemsnet.uplink.routec_config import RouteCConfig

__all__ = ["MODES", "FleetPlan", "FleetResult", "Mode", "home_id", "run_fleet"]

#: live: simulate and send step by step; backlog: simulate every home, then send all at once;
#: simulate: only simulate (the stores wait in the folder); replay: send what a simulate left.
Mode = Literal["live", "backlog", "simulate", "replay"]
MODES: Final[tuple[Mode, ...]] = ("live", "backlog", "simulate", "replay")

_SIMULATE_LIMIT: Final = 6 * 3600.0  # s a process may take to simulate before it is given up
_CONNECT_WITHIN: Final = 30.0  # s for the first connection to the broker
_INSTALLED_BEFORE: Final = timedelta(minutes=30)


def home_id(index: int) -> str:
    return f"h{index:05d}"


@dataclass(frozen=True, slots=True)
class FleetPlan:
    """What to run: ``homes`` homes for ``hours`` of virtual time from ``start``."""

    broker: Broker | None  # None: simulate only
    folder: Path
    homes: int
    hours: float
    start: datetime
    processes: int = 2
    mode: Mode = "backlog"
    step: timedelta = timedelta(minutes=30)
    speed: float | None = None  # live: at most this many times the wall clock's pace
    seed: int = 1
    batch_size: int = 500
    window: int = 8
    ack_timeout: float = 30.0

    @property
    def live(self) -> bool:
        return self.mode == "live"

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=self.hours)


@dataclass(frozen=True, slots=True)
class FleetResult:
    homes: int
    records: int  # acknowledged by the provider, all kinds
    simulate_s: float  # the slowest process's
    ingest_s: float  # from the release to the last ack (backlog) or the run's wall time (live)
    batches: int
    resent: int
    committed: list[Path]  # CSV files of (home, last seq, wall time), live mode


def run_fleet(plan: FleetPlan, report: Callable[[str], None]) -> FleetResult:
    """Run the fleet; HemsnetError when a process fails (with its reason)."""
    processes = max(1, min(plan.processes, plan.homes))
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(processes + 1)
    results: Queue[SliceResult | str] = context.Queue()
    workers = [
        context.Process(
            target=_slice_main, args=(plan, index, processes, ready, results), daemon=True
        )
        for index in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        try:
            ready.wait(_SIMULATE_LIMIT)
        except threading.BrokenBarrierError as exc:
            raise HemsnetError(
                f"fleet: a process failed before the release: {_first(results)}"
            ) from exc
        released = time.perf_counter()
        if plan.broker is not None and plan.mode != "simulate":
            report(f"fleet: {plan.homes:,} homes released to the broker {plan.broker}")
        done = _collect(results, workers)
        ingest_s = time.perf_counter() - released
    finally:  # a stop (Ctrl-C, SIGTERM) or a failure: no process is left behind
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join(30)
    failures = [result for result in done if isinstance(result, str)]
    if failures:
        raise HemsnetError(f"fleet: {failures[0]}")
    slices = [result for result in done if isinstance(result, SliceResult)]
    return FleetResult(
        homes=sum(s.homes for s in slices),
        records=sum(s.records for s in slices),
        simulate_s=max(s.simulate_s for s in slices),
        ingest_s=ingest_s,
        batches=sum(s.batches for s in slices),
        resent=sum(s.resent for s in slices),
        committed=[_committed_file(plan, index) for index in range(processes)] if plan.live else [],
    )


def _collect(
    results: Queue[SliceResult | str], workers: Sequence[BaseProcess]
) -> list[SliceResult | str]:
    """Every process's report; a process that ended without one is reported as such."""
    done: list[SliceResult | str] = []
    while len(done) < len(workers):
        try:
            done.append(results.get(timeout=1.0))
        except queue.Empty:
            if not any(worker.is_alive() for worker in workers):
                try:  # the last report may have come just as its process ended
                    done.append(results.get(timeout=1.0))
                except queue.Empty:
                    done.append("a process ended without a report")
    return done


def _first(results: Queue[SliceResult | str]) -> str:
    try:
        found = results.get(timeout=1)
    except queue.Empty:  # nothing came: the process died without a word
        return "it exited without a report"
    return found if isinstance(found, str) else "another process failed"


def _committed_file(plan: FleetPlan, index: int) -> Path:
    return plan.folder / f"committed-{index}.csv"


def _slice_main(
    plan: FleetPlan,
    index: int,
    processes: int,
    ready: multiprocessing.synchronize.Barrier,
    results: Queue[SliceResult | str],
) -> None:
    """One process: its homes are every ``processes``-th from ``index``."""
    _raise_file_limit()
    try:
        result = asyncio.run(_slice(plan, index, processes, ready))
    except BaseException as exc:  # the parent reports it; the barrier lets the others go
        ready.abort()
        results.put(f"process {index}: {type(exc).__name__}: {exc}")
        return
    results.put(result)


async def _slice(
    plan: FleetPlan, index: int, processes: int, ready: multiprocessing.synchronize.Barrier
) -> SliceResult:
    specs = [HomeSpec(home_id(n), plan.seed + n) for n in range(index, plan.homes, processes)]
    routec = RouteCConfig(
        broker=plan.broker,
        batch_size=plan.batch_size,
        window=plan.window,
        ack_timeout=plan.ack_timeout,
    )
    slice_ = FleetSlice(
        specs,
        plan.folder,
        start=plan.start,
        installed=plan.start - _INSTALLED_BEFORE,
        routec=routec,
        report=lambda line: print(f"[{index}] {line}", flush=True),
    )
    try:
        if plan.mode in ("backlog", "simulate"):
            slice_.simulate(plan.end)
        if plan.mode == "simulate":
            await asyncio.to_thread(ready.wait, _SIMULATE_LIMIT)
            return slice_.result()
        if plan.mode != "live":
            slice_.open_uplinks()
        broker = plan.broker
        if broker is None:
            raise HemsnetError(f"fleet: mode {plan.mode} needs a broker")
        link = FleetLink(broker, f"hemsnet-fleet-{os.getpid()}", slice_.take_ack)
        stop = asyncio.Event()
        connecting = asyncio.create_task(link.run(stop))
        try:
            await asyncio.wait_for(link.connected.wait(), _CONNECT_WITHIN)
            await asyncio.to_thread(ready.wait, _SIMULATE_LIMIT)
            await slice_.announce(link, "online")
            if plan.live:
                await slice_.live(link, plan.end, plan.step, plan.speed)
            else:
                await slice_.drain(link)
            await slice_.announce(link, "offline")
        finally:
            stop.set()
            await connecting
        result = slice_.result()
    finally:
        slice_.close()
    if plan.live:
        with _committed_file(plan, index).open("w", newline="") as out:
            csv.writer(out).writerows(result.committed)
    return SliceResult(
        result.homes, result.records, result.simulate_s, result.drain_s, result.batches,
        result.resent, [],
    )  # fmt: skip


def _raise_file_limit() -> None:
    """Two SQLite connections (and their WAL files) per home: take all the descriptors allowed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
