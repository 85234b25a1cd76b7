"""Benchmark how long the controller's event loop stalls during a backfill with the dashboard
open (not a test).

Run with ``.venv/bin/python bench/loop_stall.py``. In one process, as ``hemsnet demo`` and
``hemsnet controller --web`` run: a 0x028F meter emulator installed ``--days`` days ago, the
Route B controller with its SQLite store (a file in a temporary folder on this disk) and the
dashboard, over real UDP on the IPv6 loopback. A second process plays the open page: it holds
the server-sent-event stream open and reloads the page's data (``/api/now``, ``/api/demand``,
``/api/energy``, ``/api/health``) every ``--reload`` seconds. Meanwhile a ticker on the event
loop sleeps 1 ms at a time and records how late each wake-up is: the loop's stall, which is
what delays every datagram and every response-wait timer. It runs until the backfill is done
and ``--after`` seconds more, then prints the stall's maximum, 99th percentile and median, the
backfill's duration and the number of store writes (``--json`` for scripts).

The store is written on its own thread (hemsnet.aio.disk_writer): a commit's fsync must not
show up in the loop. ``--slow-fsync MS`` makes every fsync of this process take MS
milliseconds more, as on a busy SD card: it builds a small preload library with ``cc`` that
wraps ``fsync`` and ``fdatasync``, and runs the bench again under ``LD_PRELOAD``. Exit status:
0 when measured, 1 when it could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from hemsnet.aio.clock import ScaledClock, wait_for_stop
from hemsnet.aio.controller_service import ControllerService, ControllerSetup
from hemsnet.aio.services import Service, meter_service, run_together
from hemsnet.aio.udp import Address, UdpTransport, peer_identity
from hemsnet.cli.demo import demo_meter_config
from hemsnet.controller import ControllerConfig
from hemsnet.meter.engine import MeterEngine
from hemsnet.web.app import bind, build_app, serve
from hemsnet.web.config import DashboardConfig, Listen

TICK = 0.001  # s
SLOW_FSYNC = """
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
static void wait_(void) {
    long ms = atol(getenv("HEMSNET_SLOW_FSYNC_MS") ? getenv("HEMSNET_SLOW_FSYNC_MS") : "0");
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, 0);
}
int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    wait_();
    return real(fd);
}
int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    wait_();
    return real(fd);
}
"""

# The open page, in a process of its own: the event stream, and the page's data reloaded.
PAGE = """
import sys, threading, time, urllib.request
base, every = sys.argv[1], float(sys.argv[2])
def stream():
    with urllib.request.urlopen(base + "api/stream", timeout=600) as answer:
        for _ in answer:
            pass
threading.Thread(target=stream, daemon=True).start()
while True:
    for route in ("api/now", "api/demand", "api/energy", "api/health"):
        try:
            urllib.request.urlopen(base + route, timeout=30).read()
        except OSError:
            pass
    time.sleep(every)
"""


@dataclass
class Measure:
    lags: list[float] = field(default_factory=list)  # s late, per 1 ms tick
    backfill_s: float | None = None


async def _ticker(stop: asyncio.Event, measure: Measure) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(TICK)
        measure.lags.append(loop.time() - start - TICK)


async def _until_backfilled(
    backfilled: asyncio.Event, after: float, measure: Measure, stop: asyncio.Event
) -> None:
    started = time.monotonic()
    await backfilled.wait()
    measure.backfill_s = time.monotonic() - started
    await wait_for_stop(stop, after)
    stop.set()


def run(days: int, after: float, reload: float) -> dict[str, float | int]:
    now = datetime.now().replace(microsecond=0)
    clock = ScaledClock(now, 1.0)
    meter = MeterEngine(
        demo_meter_config(now),
        now=now,
        seed=1,
        installed=now - timedelta(days=days),
        identify=peer_identity,
    )
    meter_link = UdpTransport.loopback()
    config = ControllerConfig()
    measure = Measure()
    backfilled = asyncio.Event()
    loop = asyncio.new_event_loop()

    def report(line: str) -> None:  # on the store's thread, once the line's data is written
        if "backfill done" in line:
            loop.call_soon_threadsafe(backfilled.set)

    with tempfile.TemporaryDirectory(prefix="hemsnet-bench-") as folder:
        db = Path(folder) / "bench.db"
        setup = ControllerSetup(
            config,
            UdpTransport.loopback(),
            db,
            clock,
            meter=Address("::1", meter_link.port),
            report=report,
            status_every=3600.0,
        )
        with ControllerService.open(setup) as controller:
            dashboard = DashboardConfig(listen=Listen("127.0.0.1", 0))
            sock = bind(dashboard.listen)
            url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
            app = build_app(db, dashboard, clock.now, config)
            page = subprocess.Popen([sys.executable, "-c", PAGE, url, str(reload)])
            try:

                async def main() -> None:
                    stop = asyncio.Event()
                    services: list[Service] = [
                        meter_service(meter, meter_link, clock),
                        controller.run,
                        partial(serve, app, sock),
                        partial(_ticker, measure=measure),
                        partial(_until_backfilled, backfilled, after, measure),
                    ]
                    await run_together(services, stop)

                loop.run_until_complete(main())
            finally:
                loop.close()
                page.terminate()
                page.wait()
            counters = controller.engine.status.counters
    lags_ms = sorted(lag * 1000 for lag in measure.lags)
    return {
        "days": days,
        "slow_fsync_ms": int(os.environ.get("HEMSNET_SLOW_FSYNC_MS", "0")),
        "backfill_s": round(measure.backfill_s or 0.0, 2),
        "requests": counters.get("sent", 0),
        "ticks": len(lags_ms),
        "stall_max_ms": round(lags_ms[-1], 2),
        "stall_p99_ms": round(lags_ms[int(0.99 * (len(lags_ms) - 1))], 2),
        "stall_p50_ms": round(statistics.median(lags_ms), 3),
    }


def _with_slow_fsync(args: argparse.Namespace) -> int:
    """Run this bench again with every fsync ``--slow-fsync`` ms slower; its exit status."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        print("loop_stall: --slow-fsync needs a C compiler (cc)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="hemsnet-slowsync-") as folder:
        source, library = Path(folder) / "slow.c", Path(folder) / "slow.so"
        source.write_text(SLOW_FSYNC)
        subprocess.run([compiler, "-shared", "-fPIC", "-o", library, source, "-ldl"], check=True)
        env = {**os.environ, "LD_PRELOAD": str(library)}
        env["HEMSNET_SLOW_FSYNC_MS"] = str(args.slow_fsync)
        argv = ["--days", str(args.days), "--after", str(args.after), "--reload", str(args.reload)]
        argv += ["--json"] if args.json else []
        return subprocess.run([sys.executable, __file__, *argv], check=False, env=env).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=40, help="history to backfill (40)")
    parser.add_argument("--after", type=float, default=5.0, help="s to go on after it (5)")
    parser.add_argument("--reload", type=float, default=0.5, help="s between page reloads")
    parser.add_argument("--slow-fsync", type=int, default=0, metavar="MS", help="fsync slower")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    if args.slow_fsync:
        return _with_slow_fsync(args)
    try:
        result = run(args.days, args.after, args.reload)
    except OSError as exc:
        print(f"loop_stall: cannot run: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            print(f"{name:>14}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
