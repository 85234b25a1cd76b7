"""``hemsnet provider-demo``: the provider side of Route C on this machine, for real: a mosquitto
broker, a PostgreSQL server, ``hemsnet provider`` with its fleet page, and a handful of
simulated homes (``hemsnet fleet --mode live``) sending to it. Ctrl-C stops everything and
removes what it made.

The broker listens on 127.0.0.1 only, with a password per user and the Route C ACL
(docs/route-c.md): the provider's user, and the fleet's, which may publish for every simulated
home (one connection carries them all, docs/fleet.md). PostgreSQL listens on no network, only on
its socket in the demo's folder.
"""

from __future__ import annotations

import argparse
import queue
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Final

from hemsnet.cli.common import EXIT_FAILED, EXIT_OK, CliError
from hemsnet.cli.dashboard import listen_argument
from hemsnet.testbed.local_servers import (
    BROKER_ACCOUNT,
    SERVER_ACCOUNT,
    as_account,
    chown_to,
    init_database,
    run_tool,
    secret_file,
    server_bin,
)
from hemsnet.testbed.provider_stack import PROVIDER_USER, stack_missing

__all__ = ["register"]

FLEET_USER: Final = "fleet"
_STARTS_WITHIN: Final = 60.0  # s for a server or the provider to say it serves
_STOPS_WITHIN: Final = 30.0
_ACL: Final = f"""\
user {PROVIDER_USER}
topic read hemsnet/v1/home/+/up/#
topic write hemsnet/v1/home/+/down/#

user {FLEET_USER}
topic write hemsnet/v1/home/+/up/#
topic read hemsnet/v1/home/+/down/#
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "provider-demo",
        help="run a broker, PostgreSQL, the provider and simulated homes on this machine",
        description="Start mosquitto (127.0.0.1, passwords, the Route C ACL), a PostgreSQL "
        "server (its socket only), hemsnet provider with its fleet page, and HOMES simulated "
        "homes sending their Route C records live (a day of virtual time at --speed times "
        "the wall clock). Ctrl-C or SIGTERM stops everything and removes the demo's folder. "
        "Needs Debian's mosquitto and postgresql, and psycopg 3 (hemsnet[provider]).",
        epilog="example: hemsnet provider-demo --homes 5 --web 127.0.0.1:8090",
    )
    parser.add_argument("--homes", type=int, default=5, metavar="N", help="homes (5)")
    parser.add_argument(
        "--speed", type=float, default=60.0, metavar="X", help="homes' pace (60: a day in 24 min)"
    )
    parser.add_argument("--workers", type=int, default=2, metavar="N", help="workers (2)")
    parser.add_argument(
        "--web",
        type=listen_argument,
        default=listen_argument("127.0.0.1:8090"),
        metavar="ADDR:PORT",
        help="the fleet page (127.0.0.1:8090; port 0: any free one)",
    )
    parser.set_defaults(run=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    if not 1 <= args.homes <= 1000 or not 1 <= args.workers <= 16 or args.speed <= 0:
        raise CliError("--homes: give 1..1000; --workers: 1..16; --speed: a positive factor")
    if not args.web.loopback:
        raise CliError(f"--web {args.web}: the demo serves its page on loopback only")
    missing = stack_missing()
    if missing is not None:
        raise CliError(f"the provider demo cannot run here: {missing}", EXIT_FAILED)
    folder = Path(tempfile.mkdtemp(prefix="hemsnet-provider-demo-"))
    folder.chmod(0o755)  # the broker and the database run as their own users
    demo = _Demo(folder)
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        demo.start(args)
        print("hemsnet provider-demo: running; Ctrl-C stops it", flush=True)
        demo.watch(stopping)
    except _Failed as exc:
        raise CliError(f"the provider demo failed: {exc}", EXIT_FAILED) from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        demo.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print("hemsnet provider-demo: stopped, and its folder removed", flush=True)
    return EXIT_OK


class _Failed(Exception):
    """A part of the demo did not start or stopped on its own."""


class _Process:
    """A started program whose output is read line by line (and echoed with its name)."""

    def __init__(self, name: str, argv: Sequence[str], *, echo: bool) -> None:
        self.name = name
        self.lines: queue.Queue[str] = queue.Queue()
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        threading.Thread(target=self._read, args=(echo,), daemon=True).start()

    def _read(self, echo: bool) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if echo:
                print(f"[{self.name}] {line.rstrip()}", flush=True)
            self.lines.put(line)

    def wait_for(self, pattern: str) -> str:
        """The first line matching ``pattern``; _Failed when the process ends first or
        says nothing of the kind within the deadline."""
        deadline = time.monotonic() + _STARTS_WITHIN
        seen: list[str] = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=min(left, 0.5))
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            seen.append(line.rstrip())
            if re.search(pattern, line):
                return line.rstrip()
        tail = "; ".join(seen[-3:]) or "nothing"
        raise _Failed(f"{self.name} did not start (it said: {tail})")

    def stop(self, signum: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
            try:
                self.proc.wait(_STOPS_WITHIN)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class _Demo:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.processes: list[_Process] = []

    def start(self, args: argparse.Namespace) -> None:
        passwords = {
            PROVIDER_USER: secrets.token_urlsafe(24),
            FLEET_USER: secrets.token_urlsafe(24),
        }
        for user, password in passwords.items():
            secret_file(self.folder / f"{user}-password", password)
        passwd = self.folder / "passwd"
        secret_file(passwd, "".join(f"{u}:{p}\n" for u, p in passwords.items()))
        run_tool("mosquitto_passwd", "-U", str(passwd))
        (self.folder / "acl").write_text(_ACL)
        port = _free_port()
        # As root, mosquitto runs as its own user: it must read its configuration files.
        drops = chown_to(BROKER_ACCOUNT, self.folder / "passwd", self.folder / "acl")
        (self.folder / "mosquitto.conf").write_text(
            f"per_listener_settings false\nallow_anonymous false\npassword_file {passwd}\n"
            f"acl_file {self.folder / 'acl'}\nlistener {port} 127.0.0.1\npersistence false\n"
            "max_queued_messages 0\nlog_dest stderr\nlog_type error\nlog_type warning\n"
            "log_type information\n" + ("" if drops else "user root\n")
        )
        database = init_database(self.folder / "postgres")
        bin_dir = server_bin()
        assert bin_dir is not None  # stack_missing() said so
        postgres = [
            *as_account(SERVER_ACCOUNT),
            str(bin_dir / "postgres"),
            "-D",
            str(database / "data"),
        ]
        self._start("postgres", postgres, "database system is ready to accept connections")
        mosquitto = ["mosquitto", "-c", str(self.folder / "mosquitto.conf")]
        self._start("mosquitto", mosquitto, r"mosquitto version \S+ running")
        db_url = f"postgresql://hemsnet@/postgres?host={database}"
        broker = f"127.0.0.1:{port}"
        provider = [
            sys.executable, "-m", "hemsnet", "provider",
            "--broker", f"mqtt://{PROVIDER_USER}@{broker}",
            "--password-file", str(self.folder / f"{PROVIDER_USER}-password"),
            "--db", db_url, "--workers", str(args.workers), "--web", str(args.web),
        ]  # fmt: skip
        page = self._start("provider", provider, r"fleet page (http\S+)", echo=True)
        print(f"hemsnet provider-demo: the fleet page is {page.split()[-1]}", flush=True)
        fleet = [
            sys.executable, "-m", "hemsnet", "fleet",
            "--broker", f"mqtt://{FLEET_USER}@{broker}",
            "--password-file", str(self.folder / f"{FLEET_USER}-password"),
            "--mode", "live", "--homes", str(args.homes), "--hours", "24", "--step", "1",
            "--speed", str(args.speed), "--processes", "1",
        ]  # fmt: skip
        self._start("fleet", fleet, r"homes released to the broker", echo=True)

    def watch(self, stopping: threading.Event) -> None:
        """Until ``stopping``; _Failed when the broker, the database or the provider ends (the
        fleet may end: its day is done, and the page stays)."""
        while not stopping.wait(0.5):
            for process in self.processes:
                if process.name != "fleet" and process.proc.poll() is not None:
                    raise _Failed(f"{process.name} stopped (exit code {process.proc.returncode})")

    def stop(self) -> None:
        """The fleet, the provider, the broker, the database: the reverse of the start."""
        for process in reversed(self.processes):
            fast = signal.SIGINT if process.name == "postgres" else signal.SIGTERM
            process.stop(fast)

    def _start(self, name: str, argv: list[str], ready: str, *, echo: bool = False) -> str:
        process = _Process(name, argv, echo=echo)
        self.processes.append(process)
        return process.wait_for(ready)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
