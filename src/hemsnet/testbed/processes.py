"""The real processes of a testbed: what runs in which namespace, starting and stopping them.

Per component kind: the smart meter runs ``hemsnet meter`` on the network it shares with the
HEMS controller (its Route B link [G.9958 I.1(2)]; with no controller, as in 6.2, on its
utility network); the controller runs ``hemsnet controller`` with that link as ``--iface``
and every network it shares with HEMS-managed appliances as ``--hems-iface``, the meter's own
when the appliances share it (6.3.2, 6.4.1: one socket serves both); an appliance runs
``hemsnet appliance CLASS`` on the network it shares with the controller; the utility head-end
runs the real head-end where it has a meter to read (:mod:`hemsnet.testbed.headend_stack`; the
meter then serves the utility network too), else :mod:`hemsnet.testbed.endpoint`, and so
does the HEMS provider unless it runs the real provider
(:mod:`hemsnet.testbed.provider_stack`). Non-HEMS appliances and the home
gateway run nothing: the kernel answers for them.

The processes outlive ``up`` (their own session, output to files in the run directory), so
``down`` finds them by the pid and start time it saved.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hemsnet.homenet import ComponentKind, Topology
from hemsnet.testbed.routea_path import RouteA
from hemsnet.testbed.state import ProcessRecord

__all__ = [
    "CONTROLLER_CONFIG",
    "METER_CONFIG",
    "Launch",
    "ProcessFailed",
    "alive",
    "controller_reads",
    "launches",
    "start",
    "stop",
    "wait_started",
]

# Faster polls than the defaults (10 s power, 30 s appliances, 5 min discovery), so that
# ``check`` sees data within seconds; the Route B request discipline is unchanged, the pace
# off as in the demo: the meter is the testbed's own emulator, not a utility's (C32).
CONTROLLER_CONFIG = """\
[polling]
instant = 2

[requests]
pace = 0

[appliances]
interval = 2.0
discovery_interval = 5.0
timeout = 1.0
"""


METER_CONFIG = "meter.toml"  # the meter's peers, where it serves Route A too (H22)


class ProcessFailed(Exception):
    """A process ended before it printed its start line."""


_PYTHON_MODULE: Final = (sys.executable, "-m")


@dataclass(frozen=True, slots=True)
class Launch:
    """A process to start in the namespace of ``component``: ``program`` then ``argv``
    (``python -m`` by default); ``label`` tells apart several processes of one component."""

    component: str
    argv: tuple[str, ...]
    ready: str  # a regular expression that a line of its output matches once it serves
    program: tuple[str, ...] = _PYTHON_MODULE
    label: str = ""
    stop_signal: int = signal.SIGTERM  # how it is asked to stop
    logs_to_stderr: bool = False  # a server that prints its start line there: one file for both

    @property
    def shown(self) -> tuple[str, ...]:
        """The command as logged: ``argv`` alone after ``python -m``."""
        return self.argv if self.program == _PYTHON_MODULE else (*self.program, *self.argv)

    @property
    def log_name(self) -> str:
        return f"{self.component}-{self.label}" if self.label else self.component


def launches(
    topology: Topology,
    run_dir: Path,
    *,
    real_provider: str | None = None,
    route_a: RouteA | None = None,
) -> tuple[list[Launch], list[Launch]]:
    """What to run for ``topology``, in two stages: endpoints, meter and appliances, then the
    controller once they all serve. A controller's first search must find the meter
    listening: a lost search holds its next request back by timer 1, 40 s [AIF 2.4.2].
    ``real_provider``: a provider component that runs the real provider instead of an
    endpoint (its processes are not listed here). ``route_a``: its head-end runs the real
    head-end (not listed here either), and its meter serves the head-end's network too, with
    ``meter.toml`` of ``run_dir`` naming its peers (H21, H22)."""
    first: list[Launch] = []
    last: list[Launch] = []
    for index, component in enumerate(topology.components, start=1):
        name, kind = component.name, component.kind
        if not topology.networks_of(name) or name == real_provider:
            continue  # nothing to serve on, or served by the provider stack
        if route_a is not None and name == route_a.headend:
            continue  # the head-end stack's
        if kind in (ComponentKind.HEMS_PROVIDER, ComponentKind.UTILITY_HEAD_END):
            argv: tuple[str, ...] = ("hemsnet.testbed.endpoint", "--name", name)
            first.append(Launch(name, argv, "hemsnet endpoint:"))
        elif kind is ComponentKind.SMART_METER:
            iface = _shared(topology, name, ComponentKind.HEMS_CONTROLLER)
            argv = ("hemsnet", "meter", "--iface", iface, "--seed", str(index))
            if route_a is not None and name == route_a.meter:
                utility = () if route_a.network == iface else ("--iface", route_a.network)
                argv += (*utility, "--config", str(run_dir / METER_CONFIG))
            first.append(Launch(name, argv, "hemsnet meter:"))
        elif kind is ComponentKind.HEMS_APPLIANCE and component.device_class is not None:
            iface = _shared(topology, name, ComponentKind.HEMS_CONTROLLER)
            argv = ("hemsnet", "appliance", component.device_class, "--iface", iface,
                    "--seed", str(index))  # fmt: skip
            first.append(Launch(name, argv, "hemsnet appliance:"))
        elif kind is ComponentKind.HEMS_CONTROLLER:
            iface = _shared(topology, name, ComponentKind.SMART_METER)
            hems = [f"--hems-iface={network}" for network in _hems_networks(topology, name)]
            argv = ("hemsnet", "controller", "--iface", iface, *hems,
                    "--db", str(run_dir / "controller.db"),
                    "--config", str(run_dir / "controller.toml"))  # fmt: skip
            last.append(Launch(name, argv, "hemsnet controller:"))
    return first, last


def controller_reads(topology: Topology) -> tuple[list[str], list[str]]:
    """The meters and the appliances the controller processes should read: those on the
    networks they are started on (``--iface`` and ``--hems-iface``)."""
    meters: list[str] = []
    appliances: list[str] = []
    for controller in topology.of_kind(ComponentKind.HEMS_CONTROLLER):
        if not topology.networks_of(controller.name):
            continue
        route_b = _shared(topology, controller.name, ComponentKind.SMART_METER)
        meters += [m.name for m in topology.members(route_b) if m.kind is ComponentKind.SMART_METER]
        appliances += [
            m.name
            for network in _hems_networks(topology, controller.name)
            for m in topology.members(network)
            if m.kind is ComponentKind.HEMS_APPLIANCE and m.device_class is not None
        ]
    return meters, list(dict.fromkeys(appliances))


def _hems_networks(topology: Topology, controller: str) -> list[str]:
    """The controller's networks with HEMS appliances, its Route B network among them when the
    appliances share the meter's network [G.9958 6.3.2(1), 6.4.1(1)]. Where Route B is the
    meter's alone (6.4.3 [G.9958 I.2(3)]) no appliance is on it, so it is not listed."""
    return [
        network.name
        for network in topology.networks_of(controller)
        if any(m.kind is ComponentKind.HEMS_APPLIANCE for m in topology.members(network.name))
    ]


def _shared(topology: Topology, component: str, kind: ComponentKind) -> str:
    """The first network ``component`` shares with a component of ``kind``, else its first."""
    networks = topology.networks_of(component)
    for network in networks:
        if any(member.kind is kind for member in topology.members(network.name)):
            return network.name
    return networks[0].name


def start(launch: Launch, namespace: str, log_dir: Path) -> ProcessRecord:
    """Start ``launch`` in ``namespace`` in a session of its own, output to ``log_dir``."""
    stdout = log_dir / f"{launch.log_name}.log"
    stderr = stdout if launch.logs_to_stderr else log_dir / f"{launch.log_name}.err"
    command = ["ip", "netns", "exec", namespace, *launch.program, *launch.argv]
    create = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    pid = os.posix_spawnp(
        "ip",
        command,
        os.environ,
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, str(stdout), create, 0o644),
            (os.POSIX_SPAWN_DUP2, 1, 2)
            if launch.logs_to_stderr
            else (os.POSIX_SPAWN_OPEN, 2, str(stderr), create, 0o644),
        ],
        setsid=True,  # Ctrl-C at the terminal that ran ``up`` must not stop the testbed
    )
    started = _stat(pid)
    return ProcessRecord(
        launch.component,
        launch.shown,
        pid,
        started[1] if started else 0,
        str(stdout),
        str(stderr),
        launch.stop_signal,
    )


def wait_started(records: Sequence[tuple[ProcessRecord, str]], seconds: float = 20.0) -> None:
    """Wait until every process has printed its start line (a line of its output that matches
    ``ready``); ProcessFailed names the first that ended instead, with its last error line,
    or that took longer."""
    pending = list(records)
    deadline = time.monotonic() + seconds
    while pending:
        for record, ready in list(pending):
            if any(re.match(ready, line) for line in _lines(record.stdout)):
                pending.remove((record, ready))
            elif not alive(record):
                error = (_lines(record.stderr) or ["no output"])[-1]
                raise ProcessFailed(f"{record.component} ({' '.join(record.argv)}): {error}")
        if pending and time.monotonic() > deadline:
            names = ", ".join(record.component for record, _ in pending)
            raise ProcessFailed(f"no start line within {seconds:g} s from {names}")
        if pending:
            time.sleep(0.05)  # polling the log files: the condition, not a guess at a delay


def alive(record: ProcessRecord) -> bool:
    """Whether the process ``record`` names still runs (a zombie child of ours is reaped)."""
    stat = _stat(record.pid)
    if stat is None or stat[1] != record.started:
        return False
    if stat[0] == "Z":
        # Reaped if it is our child (``up`` run in-process); else its parent reaps it.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(record.pid, os.WNOHANG)
        return False
    return True


def stop(records: Sequence[ProcessRecord], seconds: float = 5.0) -> list[str]:
    """Ask each live process to stop (its ``stop_signal``, SIGTERM for most), SIGKILL what is
    left after ``seconds``; the components that had to be killed."""
    running = [r for r in records if alive(r)]
    for record in running:
        _signal(record.pid, record.stop_signal)
    running = _wait_for_exits(running, seconds)
    for record in running:
        _signal(record.pid, signal.SIGKILL)
    _wait_for_exits(running, seconds)
    return [r.component for r in running]


def _wait_for_exits(records: Sequence[ProcessRecord], seconds: float) -> list[ProcessRecord]:
    """Those of ``records`` still alive after ``seconds``. Waits on pidfds (readable once a
    process has ended), as ``down`` runs in another process than their parent."""
    waiting: dict[int, ProcessRecord] = {}
    for record in records:
        with contextlib.suppress(ProcessLookupError):
            waiting[os.pidfd_open(record.pid)] = record
    deadline = time.monotonic() + seconds
    poller = select.poll()
    for fd in waiting:
        poller.register(fd, select.POLLIN)
    try:
        while (left := deadline - time.monotonic()) > 0 and any(map(alive, waiting.values())):
            for fd, _ in poller.poll(left * 1000):
                poller.unregister(fd)
                os.close(fd)
                alive(waiting.pop(fd))  # reaps a zombie child of ours
    finally:
        for fd in waiting:
            os.close(fd)
    return [record for record in waiting.values() if alive(record)]


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _stat(pid: int) -> tuple[str, int] | None:
    """State and start time (clock ticks after boot) from /proc/PID/stat."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[19])


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return []
