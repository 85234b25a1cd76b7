"""Benchmark the resident memory and CPU of ``hemsnet controller`` at steady state (not a test).

Run as root with ``.venv/bin/python bench/controller.py``; it needs iproute2, util-linux's
``taskset`` and two CPUs. ``hemsnet meter`` runs in one network namespace, pinned to CPU 1, and
``hemsnet controller`` in another, pinned to CPU 0, joined by a veth pair (link-local IPv6, as
on Route B); both run ``--speed S`` times faster than real time. The meter is installed
``--backfill-hours`` before now, so the controller first finds it, reads its attributes and
backfills its history; steady state starts at the status line saying "backfill done". From then
on the controller runs its default plan: a tick every 20 s with EA/EB, D0 at the minute's tick
and E2 (E4, CA, C1) at every fifth minute's, each tick one request; the 30-minute
notifications; each stored in SQLite.

Method: the controller is started by ``taskset -c 0 ip netns exec NS python -m hemsnet
controller``; both exec, so the process the bench starts is the controller's Python (checked
in ``/proc/PID/cmdline``). Its stdout is read line by line in a thread, so the pipe never
fills. At the start of steady state and after ``--hours`` of controller time (``hours * 3600 /
S`` real seconds) the bench reads ``/proc/PID/stat`` (utime + stime, all threads) and
``/proc/PID/status`` (VmRSS, VmHWM), and VmRSS again at every status line in between. The
status line comes every ``60 / S`` real seconds, once a minute of controller time: the
controller's default of 60 s at real time, so that it costs its real-time share.

At speed S the controller does S times the work of real time in each real second, so its CPU
share at real time is the CPU seconds used in steady state over (real seconds x S); the raw
share at speed S is shown too. The request counters of the status lines show the work was done:
about 180 Gets per hour of controller time, none refused or timed out (a warning says when fewer
were sent); the status line's own count of the last hour must stay within 360, one request per
10 s [AIF 2.4.1 note]. VmRSS growth per hour is taken over the second half of
steady state, to leave warm-up out. Goals: VmRSS below 60 MB (10^6 bytes) at every sample and
below 1 % of one core at real time. Both processes are stopped with SIGINT and must exit 0.
Exit status: 0 when the measurement was made (the output says PASS or FAIL), 1 when the bench
could not run or a process failed.
"""

from __future__ import annotations

import argparse
import os
import platform
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import IO, Final

from hemsnet.testbed.netns import Link, Namespaces, can_create_namespaces, new_tag

CONTROLLER_CPU: Final = 0
METER_CPU: Final = 1
GOAL_RSS: Final = 60_000_000  # bytes
GOAL_CPU: Final = 0.01  # of one core, at real time
READY_TIMEOUT_S: Final = 120.0  # real seconds to find the meter and finish the backfill
STOP_TIMEOUT_S: Final = 30.0
STATUS_MINUTE: Final = 60.0  # the controller's default --status-every, at real time
# Gets per hour of controller time with the default plan: a tick every 20 s, what is due in one
# request; and the most a utility meter is sized for from one controller [AIF 2.4.1 note].
EXPECTED_PER_HOUR: Final = 180
PACE_PER_HOUR: Final = 360
DONGLE_ID: Final = "00112233445566778899AABBCCDDEEFF"  # hemsnet dongle's defaults
DONGLE_PASSWORD: Final = "0123456789AB"
CLOCK_TICK: Final = os.sysconf("SC_CLK_TCK")
REQUESTS: Final = re.compile(
    r"requests (\d+) sent, (\d+) answered, (\d+) refused, (\d+) timed out, (\d+) in the last hour"
)


class BenchError(Exception):
    """The bench cannot measure (a process does not start, exits, never backfills...)."""


@dataclass(frozen=True)
class Sample:
    """The controller process at one moment."""

    at: float  # time.monotonic()
    cpu: float  # user + system seconds since it started
    rss: int  # bytes
    hwm: int  # peak RSS so far, bytes


def sample(pid: int) -> Sample:
    at = time.monotonic()
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The fields after the command name (which may hold spaces) start at its closing ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return Sample(at, (utime + stime) / CLOCK_TICK, *_status_bytes(pid, "VmRSS", "VmHWM"))


def rss(pid: int) -> int:
    return _status_bytes(pid, "VmRSS")[0]


def _status_bytes(pid: int, *keys: str) -> tuple[int, ...]:
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in keys:
            number, unit = value.split()
            assert unit == "kB"
            values[key] = int(number) * 1024
    return tuple(values[key] for key in keys)


@dataclass
class Counters:
    sent: int
    answered: int
    refused: int
    timed_out: int
    last_hour: int  # the controller's own count of the hour before the status line

    @classmethod
    def of(cls, line: str) -> Counters:
        found = REQUESTS.search(line)
        if found is None:
            raise BenchError(f"no request counters in the status line: {line}")
        return cls(*map(int, found.groups()))


@dataclass
class Lines:
    """A process's stdout lines with their arrival time, read by a thread as they come."""

    stream: IO[bytes]
    seen: list[str] = field(default_factory=list)
    _queue: queue.Queue[tuple[float, str] | None] = field(default_factory=queue.Queue)

    def __post_init__(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for raw in self.stream:
            self._queue.put((time.monotonic(), raw.decode(errors="replace").rstrip()))
        self._queue.put(None)

    def next(self, deadline: float) -> tuple[float, str] | None:
        """The next line and when it came; None at ``deadline``; EOFError at the end."""
        try:
            item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return None
        if item is None:
            self._queue.put(None)  # stay at the end for the next call
            raise EOFError
        self.seen.append(item[1])
        return item

    def rest(self, deadline: float) -> None:
        """Read what is left until the end of the stream (or ``deadline``)."""
        try:
            while self.next(deadline) is not None:
                pass
        except EOFError:
            pass


@dataclass
class Running:
    """A hemsnet process: its stdout lines as they come, its stderr in a file."""

    name: str
    proc: subprocess.Popen[bytes]
    lines: Lines
    stderr: IO[bytes]

    def wait_for(self, text: str, deadline: float) -> tuple[float, str]:
        """The first line holding ``text`` (and when it came); BenchError at ``deadline``."""
        try:
            while (got := self.lines.next(deadline)) is not None:
                if text in got[1]:
                    return got
        except EOFError:
            raise self.failure(f"ended before printing {text!r}") from None
        raise self.failure(f"printed no {text!r} in time")

    def failure(self, what: str) -> BenchError:
        code = self.proc.poll()
        state = "running" if code is None else f"exit status {code}"
        self.stderr.seek(0)
        errors = self.stderr.read().decode(errors="replace")[-2000:].strip()
        shown = "\n".join(self.lines.seen[-3:] + ([errors] if errors else [])) or "(no output)"
        return BenchError(f"{self.name} {what} ({state}); its last output:\n{shown}")

    def check_running(self) -> None:
        if self.proc.poll() is not None:
            raise self.failure("ended")

    def stop(self) -> int:
        """SIGINT, its output to the end, then its exit status (BenchError if it hangs)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        self.lines.rest(time.monotonic() + STOP_TIMEOUT_S)
        try:
            return self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise self.failure(f"did not stop within {STOP_TIMEOUT_S:g} s of SIGINT") from None


@contextmanager
def hemsnet(name: str, cpu: int, link: Link | None, args: list[str]) -> Iterator[Running]:
    """``python -m hemsnet ARGS --iface IF`` pinned to ``cpu`` in the link's namespace; with
    no link (the dongle), ``python -m hemsnet ARGS`` pinned to ``cpu``."""
    where = [] if link is None else ["ip", "netns", "exec", link.netns]
    iface = [] if link is None else ["--iface", link.iface]
    command = ["taskset", "-c", str(cpu), *where, sys.executable, "-m", "hemsnet", *args,
               *iface]  # fmt: skip
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,  # its own process group, so nothing of it outlives the bench
        )
        try:
            assert proc.stdout is not None
            yield Running(name, proc, Lines(proc.stdout), stderr)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def check_is_python(pid: int) -> None:
    """``taskset`` and ``ip netns exec`` exec: the pid must be the controller's Python."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    words = [os.fsdecode(word) for word in argv if word]
    if words[1:4] != ["-m", "hemsnet", "controller"]:
        raise BenchError(f"pid {pid} is not the controller's Python but {' '.join(words)}")


@dataclass
class Result:
    speed: float
    hours: float  # of controller time in steady state, as measured
    backfill_real: float  # real seconds from the start to "backfill done"
    backfill_cpu: float  # CPU seconds used by then
    start: Sample
    end: Sample
    rss: list[tuple[float, int]]  # (time.monotonic(), VmRSS) at every status line, and the ends
    first: Counters
    last: Counters
    status_line: str
    exit_status: int
    commands: list[str]

    @property
    def rss_max(self) -> int:
        return max(value for _, value in self.rss)

    @property
    def rss_growth(self) -> float:
        """Bytes of VmRSS per hour of controller time over the second half of steady state
        (the first half may still be warming up: caches, the SQLite page cache...)."""
        middle = self.start.at + self.real_seconds / 2
        at, value = min(self.rss, key=lambda sample: abs(sample[0] - middle))
        hours = (self.end.at - at) * self.speed / 3600
        return (self.end.rss - value) / hours if hours > 0 else 0.0

    @property
    def cpu_seconds(self) -> float:
        return self.end.cpu - self.start.cpu

    @property
    def real_seconds(self) -> float:
        return self.end.at - self.start.at

    @property
    def cpu_at_speed(self) -> float:
        return self.cpu_seconds / self.real_seconds

    @property
    def cpu_real_time(self) -> float:
        return self.cpu_at_speed / self.speed


def bench(args: argparse.Namespace) -> Result:
    speed: float = args.speed
    status_every = STATUS_MINUTE / speed
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        db = folder / "hemsnet.db"
        installed = datetime.now().replace(microsecond=0) - timedelta(hours=args.backfill_hours)
        ctl_args = ["controller", "--speed", f"{speed:g}", "--db", str(db),
                    "--status-every", f"{status_every:g}"]  # fmt: skip
        meter_end: Link | None = None
        ctl_end: Link | None = None
        if args.dongle:
            # The dongle emulator on a pty (its meter at the same speed), the controller on it.
            wisun = folder / "wisun"
            (folder / "id").write_text(DONGLE_ID)
            (folder / "pw").write_text(DONGLE_PASSWORD)
            for secret in ("id", "pw"):
                (folder / secret).chmod(0o600)
            meter_args = ["dongle", "--pty", "--link", str(wisun), "--speed", f"{speed:g}",
                          "--start", installed.isoformat()]  # fmt: skip
            ctl_args += ["--dongle", str(wisun), "--routeb-id-file", str(folder / "id"),
                         "--routeb-password-file", str(folder / "pw")]  # fmt: skip
            ready = "hemsnet dongle: SKSTACK IP"
        else:
            topology = Namespaces(new_tag())
            stack.callback(topology.close)
            meter_end, ctl_end = topology.link(
                topology.namespace("meter"), topology.namespace("ctl")
            )
            meter_args = ["meter", "--speed", f"{speed:g}", "--start", installed.isoformat()]
            ready = "hemsnet meter: objects"
        meter = stack.enter_context(hemsnet("meter", METER_CPU, meter_end, meter_args))
        # It prints this line once its socket (pty) is open: the controller's first search is
        # answered, and the time to backfill does not depend on how fast the meter starts.
        meter.wait_for(ready, time.monotonic() + READY_TIMEOUT_S)
        begin = time.monotonic()
        ctl = stack.enter_context(hemsnet("controller", CONTROLLER_CPU, ctl_end, ctl_args))
        pid = ctl.proc.pid

        # Until "backfill done": the meter found, its attributes read, its history backfilled.
        first_at, first_line = ctl.wait_for("backfill done", begin + READY_TIMEOUT_S)
        check_is_python(pid)
        start = sample(pid)
        first = Counters.of(first_line)
        meter.check_running()

        # Steady state: read the status lines (the pipe must not fill) until the time is up.
        end_at = start.at + args.hours * 3600 / speed
        rss_seen = [(start.at, start.rss)]
        last_at, last_line = first_at, first_line
        try:
            while (got := ctl.lines.next(end_at)) is not None:
                rss_seen.append((time.monotonic(), rss(pid)))
                if REQUESTS.search(got[1]):
                    last_at, last_line = got
        except EOFError:
            raise ctl.failure("ended in steady state") from None
        meter.check_running()
        end = sample(pid)
        rss_seen.append((end.at, end.rss))

        # SIGINT to both: the controller prints its last status line and must exit 0.
        if (exit_status := ctl.stop()) != 0:
            raise ctl.failure("did not exit 0 on SIGINT")
        if meter.stop() != 0:
            raise meter.failure("did not exit 0 on SIGINT")
        return Result(
            speed=speed,
            hours=(last_at - first_at) * speed / 3600,
            backfill_real=start.at - begin,
            backfill_cpu=start.cpu,
            start=start,
            end=end,
            rss=rss_seen,
            first=first,
            last=Counters.of(last_line),
            status_line=last_line,
            exit_status=exit_status,
            commands=[
                f"hemsnet {' '.join(meter_args)}"
                + (f" --iface {meter_end.iface}" if meter_end else ""),
                f"hemsnet {' '.join(ctl_args)}" + (f" --iface {ctl_end.iface}" if ctl_end else ""),
            ],
        )


def _mb(value: int) -> str:
    return f"{value / 1e6:.1f} MB"


def report(result: Result, args: argparse.Namespace) -> None:
    speed = result.speed
    link = (
        "through hemsnet dongle (a SKSTACK IP dongle emulated on a pty, its meter behind it)"
        if args.dongle
        else "against hemsnet meter over UDP/IPv6 between network namespaces (veth)"
    )
    print(
        f"hemsnet controller {link}, both at {speed:g}x real time; controller on CPU "
        f"{CONTROLLER_CPU}, meter on CPU {METER_CPU}"
    )
    print(
        f"Python {platform.python_version()}, {platform.machine()}, Linux {platform.release()}, "
        f"{os.cpu_count()} CPUs"
    )
    for command in result.commands:
        print(command)
    print(
        f"start-up and backfill of {args.backfill_hours:g} h of meter history: "
        f"{result.backfill_real:.1f} s real, {result.backfill_cpu:.2f} s CPU"
    )
    done = result.last.sent - result.first.sent
    answered = result.last.answered - result.first.answered
    refused = result.last.refused - result.first.refused
    timed_out = result.last.timed_out - result.first.timed_out
    per_hour = done / result.hours if result.hours > 0 else 0.0
    hours = result.real_seconds * speed / 3600
    print(
        f"steady state: {result.real_seconds:.1f} s real = {hours:.2f} h of controller time; "
        f"{done} requests sent, {answered} answered, {refused} refused, {timed_out} timed out"
    )
    print(f"last status line: {result.status_line}")
    rss_ok = result.rss_max < GOAL_RSS
    cpu_ok = result.cpu_real_time < GOAL_CPU
    work_ok = per_hour >= 0.9 * EXPECTED_PER_HOUR and not timed_out and not refused
    pace_ok = result.last.last_hour <= PACE_PER_HOUR
    rows = [
        ("VmRSS at the start of steady state", _mb(result.start.rss), ""),
        ("VmRSS at the end", _mb(result.end.rss), ""),
        ("VmRSS, largest sample in steady state", _mb(result.rss_max),
         f"< {_mb(GOAL_RSS)}: {'PASS' if rss_ok else 'FAIL'}"),
        ("VmRSS growth per hour (second half)", f"{result.rss_growth / 1e6:+.2f} MB", ""),
        ("VmHWM (peak since start, backfill included)", _mb(result.end.hwm), ""),
        ("CPU used in steady state", f"{result.cpu_seconds:.2f} s", ""),
        ("CPU per hour of controller time", f"{result.cpu_seconds / hours:.2f} s", ""),
        (f"CPU at {speed:g}x", f"{result.cpu_at_speed:.2%} of one core", ""),
        ("CPU at real time (the above / speed)", f"{result.cpu_real_time:.3%} of one core",
         f"< {GOAL_CPU:.0%}: {'PASS' if cpu_ok else 'FAIL'}"),
        ("requests per hour of controller time", f"{per_hour:.0f}",
         f"~{EXPECTED_PER_HOUR}, none refused or timed out: {'yes' if work_ok else 'NO'}"),
        ("requests in the last hour (status line)", str(result.last.last_hour),
         f"<= {PACE_PER_HOUR}: {'PASS' if pace_ok else 'FAIL'}"),
        ("controller exit status on SIGINT", str(result.exit_status), "0"),
    ]  # fmt: skip
    print("| figure | value | goal |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if not work_ok:
        print(
            "WARNING: the controller did not do the work of its polling plan (a tick every "
            "20 s): the figures are for less work"
        )
    print(f"result: {'PASS' if rss_ok and cpu_ok and pace_ok else 'FAIL'}")


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwind through the finally blocks that clean up


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Exit status: 0 measured (PASS or FAIL in the output), 1 the bench could not "
        "run or a process failed. Needs root (namespaces), iproute2, taskset and CPUs 0 and 1.",
    )
    parser.add_argument(
        "--speed", type=float, default=60.0, help="meter and controller speed (default 60)"
    )
    parser.add_argument(
        "--hours",
        type=float,
        default=3.0,
        help="hours of controller time measured in steady state (default 3)",
    )
    parser.add_argument(
        "--backfill-hours",
        type=float,
        default=3.0,
        help="the meter is installed this long before now (default 3)",
    )
    parser.add_argument(
        "--dongle",
        action="store_true",
        help="Route B through hemsnet dongle on a pty (SKSTACK IP) instead of UDP",
    )
    args = parser.parse_args()
    if args.speed <= 0 or args.hours <= 0 or args.backfill_hours < 0:
        parser.error("--speed and --hours must be > 0, --backfill-hours >= 0")
    if not args.dongle and (reason := can_create_namespaces()):
        sys.exit(f"bench/controller.py {reason}")
    if not {CONTROLLER_CPU, METER_CPU} <= os.sched_getaffinity(0):
        sys.exit(f"bench/controller.py needs CPUs {CONTROLLER_CPU} and {METER_CPU}")
    signal.signal(signal.SIGTERM, _terminate)
    try:
        result = bench(args)
    except BenchError as exc:
        print(f"bench/controller.py: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:  # everything is cleaned up by now
        sys.exit(130)
    report(result, args)


if __name__ == "__main__":
    main()
