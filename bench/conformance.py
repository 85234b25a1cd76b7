"""Benchmark the conformance tester and the dissector (not a test).

Run with ``.venv/bin/python bench/conformance.py`` (from the repository root, tshark installed
for the last part). It measures:

* a full meter conformance run (``MeterChecker`` against hemsnet's meter engine) in virtual
  time: the wall time it takes, against the meter time it spans, which is what a run with real
  timers takes (the scheduled-notification wait and the absent object's silence dominate);
* the controller watch of three hours of meter time around hemsnet's controller, in virtual
  time;
* tshark reading frames of hemsnet's meters and appliances with the generated Lua dissector,
  against tshark without it (Wireshark 4.0 has no ECHONET Lite dissector; the payload shows as
  data): the cost per frame of decoding every property.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hemsnet.conformance.meter_checks import MeterCheckOptions
from tests.tshark import write_lua
from tests.unit.conformance.harness import check_meter, hemsnet_meter
from tests.unit.conformance.watch_harness import (
    hemsnet_controller,
    watch_controller,
)
from tests.unit.dissector.test_tshark import own_frames, to_pcap

REPEATS = 5


def _meter_runs() -> None:
    print(
        "| meter | notification | clauses | datagrams sent | meter time spanned | wall (median) |"
    )
    print("|---|---|---|---|---|---|")
    for class_id in (0x028F, 0x0288):
        for notification in (True, False):
            walls, span, clauses, requests = [], timedelta(), 0, 0
            for _ in range(REPEATS):
                options = MeterCheckOptions(class_id=class_id, notification=notification)
                started = time.perf_counter()
                report, pair = check_meter(
                    hemsnet_meter(class_id=class_id), options=options, device_class=class_id
                )
                walls.append(time.perf_counter() - started)
                assert report.passed
                span = pair.now - report.started
                clauses = len(report.outcomes)
                requests = sum(1 for _, name, _ in pair.wire if name == "tester")
            print(
                f"| 0x{class_id:04X} | {'waited' if notification else 'skipped'} | {clauses} | "
                f"{requests} | {span.total_seconds() / 60:.1f} min | "
                f"{statistics.median(walls) * 1000:.0f} ms |"
            )


def _watch_runs() -> None:
    walls = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        report, pair = watch_controller(hemsnet_controller())
        walls.append(time.perf_counter() - started)
        assert report.passed
    frames = len(pair.wire)
    print(
        f"\ncontroller watch, 3 h of meter time, {frames} datagrams: "
        f"{statistics.median(walls) * 1000:.0f} ms wall (median of {REPEATS})"
    )


def _tshark() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        frames = own_frames()
        frames = (frames * (20_000 // len(frames) + 1))[:20_000]
        capture = to_pcap(frames, folder / "bench.pcap")
        lua = write_lua(folder)
        for name, extra in (
            ("no dissector (data)", []),
            ("hemsnet Lua", ["-X", f"lua_script:{lua}"]),
        ):
            walls = []
            for _ in range(3):
                started = time.perf_counter()
                subprocess.run(
                    ["tshark", "-n", "-r", str(capture), *extra, "-V"],
                    check=True, capture_output=True,
                )  # fmt: skip
                walls.append(time.perf_counter() - started)
            best = min(walls)
            print(
                f"tshark -V, {len(frames)} frames, {name}: {best:.2f} s "
                f"({best / len(frames) * 1e6:.0f} us per frame, start-up included)"
            )


def main() -> None:
    _meter_runs()
    _watch_runs()
    print()
    _tshark()


if __name__ == "__main__":
    main()
