"""Benchmark the controller on a lossy Route B link: how long until the first data, until today
and yesterday, until a complete week, and how often it asks (not a test).

Run with ``.venv/bin/python bench/controller_lossy.py [--loss 0.2] [--days 7] [--seeds 10]``.

The controller and meter engines of hemsnet run against each other with the spec's timers
(40 s, 180 s [AIF Table 2-5]) and the default plan and pace; every datagram is lost with
probability ``--loss``, each way, from a seeded generator; a datagram takes 50 ms. The engines
are sans-I/O, so the run is in virtual time: an hour simulated is an hour of the controller's
clock, exactly as at real time, in a fraction of a second (``--real-time`` instead waits out
each moment on the wall clock, up to the first data). The meter was installed ``--days`` + 1
days before; "a complete week" is every half-hour of energy, demand and reactive energy of the
last ``--days`` days stored, with no open gap.

Figures, the median and the range over ``--seeds`` runs (the losses and the load seeded 1..N):
the time to the first stored reading of any kind, to the first power (EA), to today and
yesterday complete, to the week complete; the requests sent in the first 10 minutes and how
many timed out; the most requests in any hour; the requests per hour at steady state.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from hemsnet.aio.recorder import Recorder
from hemsnet.controller import ControllerConfig, ControllerEngine
from hemsnet.controller.events import MeterPaired, Recorded
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, decode_frame
from hemsnet.echonet.send import Send
from hemsnet.meter.config import MeterConfig
from hemsnet.meter.engine import MeterEngine
from hemsnet.metering.gaps import GapStatus
from hemsnet.metering.series import HALF_HOUR, HALF_HOUR_SERIES, Series
from hemsnet.store import Store

START = datetime(2026, 11, 16, 9, 7)
LATENCY = timedelta(milliseconds=50)
CONTROLLER = "controller"
METER = "meter"


@dataclass
class Run:
    """The two engines on a lossy link, the store, and the moments that matter."""

    controller: ControllerEngine
    meter: MeterEngine
    store: Store
    recorder: Recorder
    loss: float
    seed: int
    now: datetime = START
    in_flight: list[tuple[datetime, int, str, bytes]] = field(default_factory=list)
    sent: list[tuple[datetime, bool]] = field(default_factory=list)  # (time, answered?)
    first_data: datetime | None = None
    first_power: datetime | None = None

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._seq = itertools.count()

    def start(self) -> None:
        self._send(METER, self.meter.announce(self.now))
        self._send(CONTROLLER, self.controller.announce(self.now))
        self._send(CONTROLLER, self.controller.advance(self.now))
        self._events()

    def step(self, until: datetime, wait: Callable[[datetime], None] | None = None) -> None:
        while True:
            wakes = [self.controller.next_wakeup(), self.meter.next_wakeup()]
            if self.in_flight:
                wakes.append(self.in_flight[0][0])
            at = max(min(wakes), self.now)
            if at > until:
                self.now = until
                return
            if wait is not None:
                wait(at)
            self.now = at
            while self.in_flight and self.in_flight[0][0] <= at:
                _, _, to, data = heapq.heappop(self.in_flight)
                if to == CONTROLLER:
                    self._send(CONTROLLER, self.controller.receive(data, METER, at))
                else:
                    self._send(METER, self.meter.receive(data, CONTROLLER, at))
            if self.meter.next_wakeup() <= at:
                self._send(METER, self.meter.advance(at))
            if self.controller.next_wakeup() <= at:
                self._send(CONTROLLER, self.controller.advance(at))
            self._events()

    def _send(self, source: str, sends: list[Send]) -> None:
        to = METER if source == CONTROLLER else CONTROLLER
        for send in sends:
            if source == CONTROLLER:
                frame = decode_frame(send.data)
                if isinstance(frame, Frame) and frame.esv in (Esv.GET, Esv.SETC):
                    self.sent.append((self.now, False))
            if self._random.random() < self.loss:
                continue
            at = max(send.at or self.now, self.now) + LATENCY
            heapq.heappush(self.in_flight, (at, next(self._seq), to, send.data))

    def _events(self) -> None:
        events = self.controller.take_events()
        if not events:
            return
        self.recorder.apply(events, self.now)
        for event in events:
            if isinstance(event, MeterPaired):
                config = self.controller.config
                held = self.recorder.held(
                    self.now, days=config.history_days, minute_hours=config.minute_history_hours
                )
                self.controller.restore(held)
            if isinstance(event, Recorded) and event.samples:
                if self.first_data is None:
                    self.first_data = self.now
                if self.first_power is None and any(
                    s.series is Series.POWER and s.raw is not None for s in event.samples
                ):
                    self.first_power = self.now

    def complete(self, days: int) -> bool:
        """Every half-hour of the last ``days`` days (before the running one) stored."""
        meter_id = self.recorder.meter_id
        if meter_id is None:
            return False
        end = self.meter.now.replace(second=0, microsecond=0)
        end -= timedelta(minutes=end.minute % 30) + HALF_HOUR
        start = datetime.combine(end.date() - timedelta(days=days - 1), datetime.min.time())
        return not any(
            self.store.missing_half_hours(meter_id, series, start, end)
            for series in HALF_HOUR_SERIES
        ) and not any(gap.end > start for gap in self.store.gaps(meter_id, GapStatus.OPEN))


def busiest_hour(times: list[datetime]) -> int:
    most, first = 0, 0
    for last, at in enumerate(times):
        while times[first] <= at - timedelta(hours=1):
            first += 1
        most = max(most, last - first + 1)
    return most


def measure(args: argparse.Namespace, folder: Path, seed: int) -> dict[str, float]:
    meter = MeterEngine(
        MeterConfig(), now=START, seed=seed, installed=START - timedelta(days=args.days + 1)
    )
    store = Store.open(folder / "hemsnet.db")
    run = Run(
        ControllerEngine(ControllerConfig(), now=START),
        meter,
        store,
        Recorder(store),
        args.loss,
        seed,
    )
    run.start()
    if args.real_time:
        wall = time.monotonic()

        def wait(at: datetime) -> None:
            time.sleep(max(0.0, (at - START).total_seconds() - (time.monotonic() - wall)))

        while run.first_power is None and run.now < START + timedelta(hours=2):
            run.step(run.now + timedelta(seconds=10), wait)
    moments: dict[str, datetime | None] = {"today and yesterday": None, "a complete week": None}
    limit = START + timedelta(days=3)
    while run.now < limit and moments["a complete week"] is None:
        run.step(run.now + timedelta(minutes=1))
        if moments["today and yesterday"] is None and run.complete(2):
            moments["today and yesterday"] = run.now
        if run.complete(args.days):
            moments["a complete week"] = run.now
    run.step(run.now + timedelta(hours=2))
    stats = store.stats(run.recorder.meter_id or 0)
    times = [at for at, _ in run.sent]
    first_ten = [at for at in times if at < START + timedelta(minutes=10)]
    steady = [at for at in times if at >= run.now - timedelta(hours=1)]

    def since(at: datetime | None) -> float:
        return float("inf") if at is None else (at - START).total_seconds() / 60

    store.close()
    return {
        "first reading stored, min": since(run.first_data),
        "first power (EA) stored, min": since(run.first_power),
        "today and yesterday complete, min": since(moments["today and yesterday"]),
        f"the last {args.days} days complete (a week), min": since(moments["a complete week"]),
        "requests in the first 10 minutes": len(first_ten),
        "requests timed out, all told": stats.timed_out,
        "most requests in any hour (one per 10 s is 360)": busiest_hour(times),
        "requests in an hour at steady state": len(steady),
    }


def report(args: argparse.Namespace, results: list[dict[str, float]]) -> None:
    print(
        f"hemsnet controller against hemsnet meter, {args.loss:.0%} of datagrams lost each way, "
        f"timers 40 s / 180 s, default plan and pace; {len(results)} seeds; "
        f"{'real time to the first data, then ' if args.real_time else ''}virtual time"
    )
    print("| figure | median | range |")
    print("|---|---|---|")
    for name in results[0]:
        values = sorted(result[name] for result in results)
        median = statistics.median(values)
        print(f"| {name} | {median:.1f} | {values[0]:.1f} .. {values[-1]:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loss", type=float, default=0.2, help="loss each way (0.2)")
    parser.add_argument("--days", type=int, default=7, help="days that make the week (7)")
    parser.add_argument("--seeds", type=int, default=10, help="runs, seeds 1..N (10)")
    parser.add_argument(
        "--real-time", action="store_true", help="wait on the wall clock up to the first data"
    )
    args = parser.parse_args()
    if not 0 <= args.loss < 1 or args.days < 1:
        sys.exit("--loss is in [0, 1), --days at least 1")
    results = []
    for seed in range(1, args.seeds + 1):
        with tempfile.TemporaryDirectory() as folder:
            results.append(measure(args, Path(folder), seed))
    report(args, results)


if __name__ == "__main__":
    main()
