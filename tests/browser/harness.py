"""The parts the browser tests run: hemsnet subprocesses in namespaces, a link from the root
namespace (where Chromium runs) to the controller's namespace, and the meter's timeline."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from hemsnet.physics.load import LoadModel, LoadSettings, Surge
from hemsnet.physics.timeline import minute_index
from hemsnet.testbed.netns import run

SPEED = 60.0  # one real second is one meter minute
# A large site: one count (0.1 kWh) in the first minute of a half-hour moves the forecast by
# 6 kW, about 1 % of the demand, so the level is steady from the first forecast on.
PEAK_KW = 3000.0
HALF_HOUR = timedelta(minutes=30)


class Process:
    """A hemsnet subprocess in a namespace; its stdout lines are collected as they come."""

    def __init__(self, netns: str, command: str, *args: str) -> None:
        self.name = command
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", netns, sys.executable, "-m", "hemsnet", command, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip())
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for_line(self, match: Callable[[str], bool], seconds: float) -> str:
        def found() -> str | None:
            return next((line for line in self.lines if match(line)), None)

        with self._changed:
            ended = self._changed.wait_for(
                lambda: found() is not None or not self._reader.is_alive(), seconds
            )
            line = found()
        if line is None:
            why = "ended" if ended else f"printed nothing matching in {seconds} s"
            raise AssertionError(f"hemsnet {self.name} {why}: {self.lines[-3:]} {self._stderr()}")
        return line

    def _stderr(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return ""
        return self.proc.stderr.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)


def web_link(tag: str, netns: str) -> str:
    """A veth pair from the root namespace into ``netns``; the address of the ``netns`` end.

    The pair goes with the namespace: deleting ``netns`` deletes both ends. The /30 is drawn
    from 198.18.0.0/16 (RFC 2544, for tests) so that parallel runs do not share it.
    """
    block = random.randrange(1 << 14) * 4
    near, far = (
        f"198.18.{block >> 8}.{(block & 0xFF) + 1}",
        f"198.18.{block >> 8}.{(block & 0xFF) + 2}",
    )
    root_end, ns_end = f"{tag}wr", f"{tag}wc"
    run("ip", "link", "add", root_end, "type", "veth", "peer", "name", ns_end, "netns", netns)
    run("ip", "addr", "add", f"{near}/30", "dev", root_end)
    run("ip", "link", "set", root_end, "up")
    run("ip", "addr", "add", f"{far}/30", "dev", ns_end, netns=netns)
    run("ip", "link", "set", ns_end, "up", netns=netns)
    return far


SURGE_FACTORS = (4.0, 5.0, 6.0, 8.0, 10.0)  # 10 is the meter's limit
HISTORY_DAYS = 30  # a month of bars in the energy chart; the backfill takes about a second


@dataclass(frozen=True)
class Timeline:
    """Meter times of one run: installation a month back (whole past days to chart), a fault
    window and a half-hour of surged load, both after the controller has caught up.

    ``target_kw`` sits between the demand of the surged half-hour and the next one, worked out
    with the meter's own load model, so the forecast must reach alarm and fall back to normal.
    """

    started: float  # time.monotonic() when meter time was ``now``
    now: datetime
    installed: datetime
    fault_start: datetime
    fault_end: datetime
    surge_start: datetime
    surge_end: datetime
    surge_factor: float
    target_kw: float

    @classmethod
    def plan(cls, seed: int) -> Timeline:
        now = datetime.now().replace(microsecond=0)
        fault_start = now.replace(second=0) + timedelta(minutes=35)
        after = now + timedelta(minutes=55)
        surge_start = after.replace(minute=0 if after.minute < 30 else 30, second=0) + HALF_HOUR
        surge_end = surge_start + HALF_HOUR
        plain = LoadModel(LoadSettings(peak_kw=PEAK_KW), seed)
        low = _demand_kw(plain, surge_end)
        # The smallest surge that clears the next half-hour's plain load: where the morning
        # ramp makes that load high (about 07:00), 4x is not always enough.
        for factor in SURGE_FACTORS:
            surge = Surge(surge_start, surge_end, factor)
            surged = LoadModel(LoadSettings(peak_kw=PEAK_KW, surges=(surge,)), seed)
            high = _demand_kw(surged, surge_start)
            if low < 0.8 * high / 2:
                break
        else:
            raise AssertionError(f"no surge up to {factor}x clears the next {low:.1f} kW")
        return cls(
            started=time.monotonic(),
            now=now,
            installed=now - timedelta(days=HISTORY_DAYS),
            fault_start=fault_start,
            fault_end=fault_start + timedelta(minutes=10),
            surge_start=surge_start,
            surge_end=surge_end,
            surge_factor=factor,
            target_kw=round(high / 2, 1),
        )

    def seconds_until(self, at: datetime) -> float:
        """Real seconds left until meter time ``at`` (0 when it has passed)."""
        elapsed = time.monotonic() - self.started
        return max(0.0, (at - self.now).total_seconds() / SPEED - elapsed)

    def meter_config(self, path: Path) -> Path:
        path.write_text(
            f"[load]\npeak_kw = {PEAK_KW}\n"
            "[[load.surge]]\n"
            f"start = {self.surge_start.isoformat()}\n"
            f"end = {self.surge_end.isoformat()}\n"
            f"factor = {self.surge_factor}\n"
        )
        return path

    def fault_plan(self, path: Path) -> Path:
        start, end = self.fault_start.isoformat(), self.fault_end.isoformat()
        path.write_text(f"[[fault]]\nstart = {start}\nend = {end}\n")
        return path


def _demand_kw(model: LoadModel, start: datetime) -> float:
    """The 30-minute average demand of the half-hour from ``start``, kW."""
    first = minute_index(start)
    return sum(model.minute(m).net_w for m in range(first, first + 30)) / 30 / 1000
