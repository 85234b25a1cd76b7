"""Benchmark smart-meter emulators answering Gets over real UDP between namespaces (not a test).

Run as root with ``.venv/bin/python bench/meter.py`` after ``make bench`` (uecho comes with the
``bench`` extras); it needs iproute2, util-linux's ``taskset`` and two CPUs. The figure is how
many 3-property Gets (EPC 0x80, 0xE2, 0xD3 to the meter object 0x028F01) a server answers per
second on UDP port 3610. Three servers are measured under the same conditions:

* hemsnet: the meter emulator (``HEMSNET_METER`` below, ``--seed 1``), over link-local IPv6 as
  on Route B;
* uecho 1.0.3's device emulator with one 0x028F01 object holding the three properties. uecho
  speaks IPv4 only (its sockets are AF_INET, bound to every IPv4 address of the host), so it
  is measured over link-local IPv4 (169.254.0.0/16) on its veth link;
* a bare Python responder (receive, patch the TID into a canned answer, send back): the most
  the load generator can measure, which shows whether the generator or the server is the limit.

Method: each server has a network namespace of its own, joined to the load generator's
namespace by a veth pair with fixed link-local addresses (IPv6; IPv4 on uecho's link). Every
server runs pinned to CPU 0 and the generator to CPU 1, each a process of its own; the servers
start together and wait idle while another is measured. A server counts as ready once it
answers a probing Get 0x80. The generator is a tight loop on a non-blocking connected socket:
one pre-encoded request with the TID patched in, ``recv_into``, no event loop, a fresh process
and socket per measurement. Two measurements per server, each after a warm-up not counted:

* one outstanding (the Route B rule, AIF 2.4.1): send, wait for the answer, send the next;
  requests/s and the median and 99th percentile round trip.
* 32 outstanding: a new request leaves as each answer arrives; responses/s.

Every answer is checked: its TID is that of a request in flight, and it is a Get_Res (0x72)
from 0x028F01 to 0x05FF01 carrying 0x80 (1 byte), 0xE2 (15) and 0xD3 (4) in that order. A
request unanswered after ``TIMEOUT_S`` is lost; any other answer is wrong. At one outstanding
the time spent waiting for a lost answer is left out of the rate and the run lasts that much
longer. The counted TIDs start at 0 and wrap through the 16-bit space; the table says whether
TID 0 came back as 0. The generator also reports how much of a pipelined run it spent waiting
with nothing to read: near 0 % it, not the server, would be the limit. Rounds interleave the
servers (rotating the order) and the best of ``--repeats`` rounds of each figure is kept, which
tames the noise of a shared machine; lost and wrong answers add up over all rounds, warm-ups
included. The exit status is 1 when hemsnet misses a goal (32 outstanding at least 3x uecho,
one outstanding at least as fast as uecho, every request answered correctly: none lost, none
wrong) or the bench cannot run.
"""

from __future__ import annotations

import argparse
import gc
import math
import multiprocessing
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from operator import itemgetter
from pathlib import Path
from types import FrameType
from typing import IO, Final

from hemsnet.testbed.netns import Link, Namespaces, can_create_namespaces, inside, new_tag

# The hemsnet meter emulator, run as ``python HEMSNET_METER --iface IFACE --seed 1``; a script
# path in place of these three words measures another server that takes those two options.
HEMSNET_METER: Final = ["-m", "hemsnet", "meter"]

PORT: Final = 3610
WINDOW: Final = 32  # requests in flight in the pipelined measurement
TIMEOUT_S: Final = 1.0  # a request unanswered this long is lost
READY_TIMEOUT_S: Final = 30.0  # uecho loads its whole device database before it answers
GOAL_PIPELINED: Final = 3.0  # hemsnet over uecho at 32 outstanding
CEILING_FLOOR: Final = 100_000  # the generator must reach this on the bare responder
IDLE_FLOOR: Final = 0.05  # a generator that never waits for answers may be the limit itself
SERVER_CPU: Final = 0
CLIENT_CPU: Final = 1

# Get (0x62) from the controller 0x05FF01 to the meter 0x028F01 for 0x80, 0xE2, 0xD3; TID 0.
REQUEST: Final = bytes.fromhex("1081 0000 05FF01 028F01 62 03 80 00 E2 00 D3 00")
PROBE: Final = bytes.fromhex("1081 FFFF 05FF01 028F01 62 01 80 00")
E2_EDT: Final = bytes.fromhex("07E80B150A1E000012D687FFFFFFFF")  # dt7, two uint32
D3_EDT: Final = (1).to_bytes(4, "big")
# The bare responder's answer; the one every server must give, but for the EDTs and the TID.
CANNED: Final = (
    bytes.fromhex("1081 0000 028F01 05FF01 72 03 80 01 30 E2 0F")
    + E2_EDT
    + bytes.fromhex("D3 04")
    + D3_EDT
)
ANSWER_SIZE: Final = len(CANNED)  # 38
# Every byte of the answer but the TID and the EDTs, compared in one C call.
_FIXED: Final = (0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 32, 33)
_shape: Final = itemgetter(*_FIXED)
SHAPE: Final = tuple(CANNED[i] for i in _FIXED)
TID_BYTES: Final = [tid.to_bytes(2, "big") for tid in range(0x10000)]
# Warm-up TIDs stay in the upper half so the counted ones can start at 0 with none in flight.
NEXT_WARM: Final = [0x8000 if tid == 0xFFFF else tid + 1 for tid in range(0x10000)]
NEXT_COUNTED: Final = [(tid + 1) & 0xFFFF for tid in range(0x10000)]


class BenchError(Exception):
    """The bench cannot measure (a server does not start, the generator fails...)."""


@dataclass(frozen=True)
class Server:
    name: str
    transport: str
    ipv6: bool
    command: Callable[[Link], list[str]]


def _hemsnet_command(link: Link) -> list[str]:
    return [sys.executable, *HEMSNET_METER, "--iface", link.iface, "--seed", "1"]


def _own_command(kind: str) -> Callable[[Link], list[str]]:
    return lambda link: [sys.executable, str(Path(__file__).resolve()), "--serve", kind]


SERVERS: Final = (
    Server("hemsnet", "IPv6 link-local", True, _hemsnet_command),
    Server("uecho 1.0.3", "IPv4 (uecho has no IPv6)", False, _own_command("uecho")),
    Server("bare Python responder", "IPv6 link-local", True, _own_command("bare")),
)


# --- the reference servers (run in the server namespace by ``--serve``) --------------------


def serve_bare() -> None:
    """Answer every datagram with the canned Get_Res carrying its TID: the ceiling."""
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.bind(("::", PORT))
    reply = bytearray(CANNED)
    buf = bytearray(1500)
    recvfrom_into, sendto = sock.recvfrom_into, sock.sendto
    while True:
        _, addr = recvfrom_into(buf)
        reply[2:4] = buf[2:4]
        sendto(reply, addr)


def serve_uecho() -> None:
    """uecho's device emulator: a node with one 0x028F01 object, until killed."""
    import uecho  # type: ignore[import-untyped]

    node = uecho.LocalNode()
    meter = uecho.Device(0x028F01)
    meter.set_property_data(0x80, b"\x30")  # 0x80 comes from uecho's super class table
    # uecho's device database has no 0x028F class: add the two meter properties, readable.
    for epc, edt in ((0xE2, E2_EDT), (0xD3, D3_EDT)):
        prop = uecho.Property(epc, edt)
        prop.set_attribute(uecho.Property.GET, uecho.Property.REQUIRED)
        meter.add_property(prop)
    node.add_object(meter)
    if not node.start():
        sys.exit("uecho: LocalNode.start() failed (it needs an IPv4 address)")
    while True:  # uecho serves from its own threads; the bench kills the process
        signal.pause()


# --- the load generator (a process of its own, pinned, in the client namespace) ------------


@dataclass
class Tally:
    """What one measurement saw; rates are for the counted phase only."""

    mode: str
    answered: int = 0  # right answers in the counted phase
    seconds: float = 0.0  # length of the counted phase, less time waited on lost requests
    lost: int = 0
    wrong: int = 0
    tid0_sent: bool = False
    tid0_echoed: bool = False
    rtts_ns: list[int] = field(default_factory=list)
    idle: float = 0.0  # share of the counted phase the generator waited with nothing to read

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds > 0 else 0.0

    def percentile_us(self, fraction: float) -> float:
        ordered = sorted(self.rtts_ns)
        if not ordered:
            return math.nan
        return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] / 1000


def _ping_pong(sock: socket.socket, tally: Tally, first: int, length: int, counted: bool) -> None:
    """One request in flight for ``length`` ns, TIDs from ``first``; add to ``tally``."""
    perf = time.perf_counter_ns
    send, recv_into = sock.send, sock.recv_into
    shape, want, tids = _shape, SHAPE, TID_BYTES
    after = NEXT_COUNTED if counted else NEXT_WARM
    timeout = int(TIMEOUT_S * 1e9)
    req, buf = bytearray(REQUEST), bytearray(2048)
    rtts = tally.rtts_ns
    answered = lost = wrong = stalled = 0
    tid = first
    begin = perf()
    deadline = until = begin + length
    hard = until + length
    while (t0 := perf()) < deadline:
        req[2:4] = tids[tid]
        send(req)
        while True:
            try:
                size = recv_into(buf)
            except BlockingIOError:
                # Spin: the generator owns its core, and waking from poll() would add latency.
                if (waited := perf() - t0) > timeout:
                    lost += 1
                    stalled += waited
                    # The wait is left out of the rate: make it up, within twice the length.
                    deadline = min(until + stalled, hard)
                    break
                continue
            t1 = perf()
            if (buf[2] << 8 | buf[3]) != tid:
                wrong += 1  # an answer to no request in flight (a late one, or a bad TID)
                continue
            if size == ANSWER_SIZE and shape(buf) == want:
                answered += 1
                rtts.append(t1 - t0)
                if tid == 0:
                    tally.tid0_echoed = True
            else:
                wrong += 1
            break
        tid = after[tid]
    tally.lost += lost
    tally.wrong += wrong
    if counted:
        tally.tid0_sent = True
        tally.answered += answered
        tally.seconds += (perf() - begin - stalled) / 1e9
    else:
        rtts.clear()


def _pipelined(sock: socket.socket, tally: Tally, warmup_ns: int, run_ns: int) -> None:
    """Keep WINDOW requests in flight: warm up, count for ``run_ns``, then drain."""
    perf = time.perf_counter_ns
    send, recv_into = sock.send, sock.recv_into
    shape, want, tids = _shape, SHAPE, TID_BYTES
    timeout = int(TIMEOUT_S * 1e9)
    req, buf = bytearray(REQUEST), bytearray(2048)
    in_flight: dict[int, int] = {}  # TID -> send time; insertion order puts the oldest first
    after = NEXT_WARM
    answered = lost = wrong = issued = 0
    idle = idle_since = 0  # time spent with nothing to read: waiting for the server
    counting = False
    now = perf()
    start = now + warmup_ns
    end = start + run_ns
    begin = now
    tid = 0x8000
    for _ in range(WINDOW):
        req[2:4] = tids[tid]
        in_flight[tid] = now
        send(req)
        tid = after[tid]
    while True:
        try:
            size = recv_into(buf)
        except BlockingIOError:
            now = perf()
            if not idle_since:
                idle_since = now
            if now >= end:
                break
            if not counting and now >= start:
                counting, begin, after, tid, idle = True, now, NEXT_COUNTED, 0, 0
            # Give up on a request that will never be answered; a new one takes its place.
            if in_flight and now - next(iter(in_flight.values())) > timeout:
                del in_flight[next(iter(in_flight))]
                lost += 1
            else:
                continue
        else:
            now = perf()
            if idle_since:
                idle += now - idle_since
                idle_since = 0
            rtid = buf[2] << 8 | buf[3]
            if in_flight.pop(rtid, None) is None:
                wrong += 1  # not a request in flight: no new request for it
                continue
            if size == ANSWER_SIZE and shape(buf) == want:
                if counting:
                    answered += 1
                    if rtid == 0:
                        tally.tid0_echoed = True
            else:
                wrong += 1
            if now >= end:
                break
            if not counting and now >= start:
                counting, begin, after, tid, idle = True, now, NEXT_COUNTED, 0, 0
        while len(in_flight) < WINDOW:
            while tid in in_flight:  # still unanswered from a lap ago
                tid = after[tid]
            if tid == 0:
                tally.tid0_sent = True
            req[2:4] = tids[tid]
            in_flight[tid] = now
            send(req)
            tid = after[tid]
            issued += 1
        # A server that never lets the loop idle gets its stale requests noticed here.
        if issued & 0x3FF == 0 and now - next(iter(in_flight.values())) > timeout:
            del in_flight[next(iter(in_flight))]
            lost += 1
    tally.answered = answered
    tally.seconds = (now - begin) / 1e9
    tally.idle = idle / (now - begin) if now > begin else 0.0
    # Drain: whatever is still in flight gets TIMEOUT_S to arrive, then counts as lost.
    give_up = now + timeout
    while in_flight and perf() < give_up:
        try:
            size = recv_into(buf)
        except BlockingIOError:
            continue
        rtid = buf[2] << 8 | buf[3]
        if in_flight.pop(rtid, None) is None or size != ANSWER_SIZE or shape(buf) != want:
            wrong += 1
        elif rtid == 0:
            tally.tid0_echoed = True
    tally.lost = lost + len(in_flight)
    tally.wrong = wrong


def _generate(
    conn: Connection,
    netns: str,
    target: tuple[str, int] | tuple[str, int, int, int],
    mode: str,
    warmup: float,
    seconds: float,
) -> None:
    """The generator process: send a Tally, or the error as a string, down ``conn``."""
    try:
        os.sched_setaffinity(0, {CLIENT_CPU})
        gc.disable()  # a collection pause would show as a server's slow answer
        with inside(netns):
            family = socket.AF_INET6 if len(target) == 4 else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
        with sock:
            sock.connect(target)
            sock.setblocking(False)
            tally = Tally(mode)
            if mode == "one":
                _ping_pong(sock, tally, 0x8000, int(warmup * 1e9), counted=False)
                _ping_pong(sock, tally, 0, int(seconds * 1e9), counted=True)
            else:
                _pipelined(sock, tally, int(warmup * 1e9), int(seconds * 1e9))
        conn.send(tally)
    except Exception as exc:
        conn.send(f"{type(exc).__name__}: {exc}")


# --- the parent: namespaces, servers, measurements, report ----------------------------------


@dataclass
class Bed:
    server: Link
    client: Link
    scope: int  # the client interface's index, for link-local IPv6

    def target(self, ipv6: bool) -> tuple[str, int] | tuple[str, int, int, int]:
        if ipv6:
            return (self.server.address, PORT, 0, self.scope)
        return (self.server.ipv4, PORT)


def measure(bed: Bed, ipv6: bool, mode: str, args: argparse.Namespace) -> Tally:
    """One measurement by a fresh generator process (a fresh socket: no stray answers)."""
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    job = (writer, bed.client.netns, bed.target(ipv6), mode, args.warmup, args.seconds)
    proc = context.Process(target=_generate, args=job, daemon=True)
    proc.start()
    try:
        # Lost requests may stretch a phase to twice its length (see _ping_pong).
        if not reader.poll(2 * (args.warmup + args.seconds) + 2 * TIMEOUT_S + 30):
            raise BenchError("the load generator did not report")
        result = reader.recv()
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
    if isinstance(result, str):
        raise BenchError(f"the load generator failed: {result}")
    assert isinstance(result, Tally)
    return result


def _log_tail(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-2000:].strip() or "(no output)"


def wait_ready(server: Server, proc: subprocess.Popen[bytes], bed: Bed, log: IO[bytes]) -> None:
    """Probe with Get 0x80 until the server answers; raise with its output if it never does."""
    with inside(bed.client.netns):
        sock = socket.socket(socket.AF_INET6 if server.ipv6 else socket.AF_INET, socket.SOCK_DGRAM)
    with sock:
        sock.connect(bed.target(server.ipv6))
        sock.settimeout(0.05)
        give_up = time.monotonic() + READY_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise BenchError(
                    f"{server.name} exited ({proc.returncode}) before answering:\n{_log_tail(log)}"
                )
            if time.monotonic() > give_up:
                raise BenchError(
                    f"{server.name} did not answer Get 0x80 within {READY_TIMEOUT_S:g} s:\n"
                    f"{_log_tail(log)}"
                )
            try:
                sock.send(PROBE)
                answer = sock.recv(1500)
            except (TimeoutError, ConnectionRefusedError):  # not bound yet: ICMP unreachable
                continue
            if answer[2:4] == PROBE[2:4] and answer[10:11] == b"\x72":
                return


@contextmanager
def running(server: Server, bed: Bed) -> Iterator[list[str]]:
    """Start ``server`` pinned to SERVER_CPU in the server namespace; kill it on the way out."""
    command = server.command(bed.server)
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            ["taskset", "-c", str(SERVER_CPU), "ip", "netns", "exec", bed.server.netns, *command],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so its children go with it
        )
        try:
            wait_ready(server, proc, bed, log)
            yield command
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@dataclass
class Row:
    server: Server
    command: list[str]
    one: Tally
    pipelined: Tally
    lost: tuple[int, int]
    wrong: tuple[int, int]
    tid0: str


def bench(args: argparse.Namespace) -> list[Row]:
    """Start every server, then measure them in interleaved rounds."""
    with ExitStack() as stack:
        topology = Namespaces(new_tag())
        stack.callback(topology.close)
        client_ns = topology.namespace("gen")
        beds, commands = [], []
        for index, server in enumerate(SERVERS):
            # A namespace per server, so each has port 3610 to itself and all can stay up.
            # IPv4 only where needed: link-local IPv4 on two links would share one route.
            server_end, client_end = topology.link(
                topology.namespace(f"s{index}"), client_ns, ipv4=not server.ipv6
            )
            with inside(client_ns):
                scope = socket.if_nametoindex(client_end.iface)
            beds.append(Bed(server_end, client_end, scope))
            commands.append(stack.enter_context(running(server, beds[-1])))
        tallies: dict[tuple[int, str], list[Tally]] = {}
        for round_ in range(args.repeats):
            # Rotate the order each round, so that no server always goes first.
            for offset in range(len(SERVERS)):
                index = (round_ + offset) % len(SERVERS)
                for mode in ("one", "32"):
                    tally = measure(beds[index], SERVERS[index].ipv6, mode, args)
                    tallies.setdefault((index, mode), []).append(tally)
    rows = []
    for index, server in enumerate(SERVERS):
        ones, pipes = tallies[index, "one"], tallies[index, "32"]
        sent0 = all(t.tid0_sent for t in ones + pipes)
        echoed0 = all(t.tid0_echoed for t in ones + pipes)
        rows.append(
            Row(
                server,
                commands[index],
                max(ones, key=lambda t: t.rate),
                max(pipes, key=lambda t: t.rate),
                (sum(t.lost for t in ones), sum(t.lost for t in pipes)),
                (sum(t.wrong for t in ones), sum(t.wrong for t in pipes)),
                ("yes" if echoed0 else "NO") if sent0 else "not sent",
            )
        )
    return rows


def _us(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def report(rows: list[Row], args: argparse.Namespace) -> bool:
    """Print the table, the ratios and the goals; return whether hemsnet met them all."""
    rounds = f"best of {args.repeats} rounds" if args.repeats > 1 else "1 round"
    print(
        f"Smart meter Get 0x80+0xE2+0xD3 to 0x028F01 over UDP/{PORT} between network namespaces "
        f"(veth): {rounds} of {args.seconds:g} s after {args.warmup:g} s of warm-up"
    )
    print(
        f"server on CPU {SERVER_CPU}, load generator on CPU {CLIENT_CPU}; Python "
        f"{platform.python_version()}, {platform.machine()}, Linux {platform.release()}"
    )
    for row in rows:
        print(f"{row.server.name}: {' '.join(row.command)}")
    header = [
        "server",
        "transport",
        "1 outstanding req/s",
        "median µs",
        "p99 µs",
        f"{WINDOW} outstanding resp/s",
        f"generator idle ({WINDOW})",
        f"lost (1 / {WINDOW})",
        f"wrong (1 / {WINDOW})",
        "TID 0 echoed",
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        cells = [
            row.server.name,
            row.server.transport,
            f"{row.one.rate:,.0f}",
            _us(row.one.percentile_us(0.5)),
            _us(row.one.percentile_us(0.99)),
            f"{row.pipelined.rate:,.0f}",
            f"{row.pipelined.idle:.0%}",
            f"{row.lost[0]} / {row.lost[1]}",
            f"{row.wrong[0]} / {row.wrong[1]}",
            row.tid0,
        ]
        print("| " + " | ".join(cells) + " |")
    if any(row.tid0 == "NO" for row in rows):
        print(
            "TID 0 not echoed: the answer to a TID 0 request carries another TID, so it counts "
            "as wrong (or answers a later request) and the TID 0 request as lost"
        )
    ours, peer, bare = rows
    one_ratio = ours.one.rate / peer.one.rate if peer.one.rate else math.inf
    pipe_ratio = ours.pipelined.rate / peer.pipelined.rate if peer.pipelined.rate else math.inf
    print(
        f"hemsnet / uecho: 1 outstanding {one_ratio:.2f}x, {WINDOW} outstanding {pipe_ratio:.2f}x"
        + (" (uecho answered nothing)" if math.inf in (one_ratio, pipe_ratio) else "")
    )
    ceiling = bare.pipelined.rate
    print(
        f"load generator: drove the bare responder at {ceiling:,.0f}/s ({WINDOW} outstanding); "
        f"'generator idle' is the share of the run it waited for the server with nothing to read"
    )
    if ceiling < CEILING_FLOOR:
        print(f"WARNING: below the {CEILING_FLOOR:,}/s expected: a slow or busy machine?")
    for row in (ours, peer):  # the bare responder is meant to find the generator's limit
        if row.pipelined.idle < IDLE_FLOOR:
            print(
                f"WARNING: the generator was idle {row.pipelined.idle:.0%} of the time against "
                f"{row.server.name}: the generator, not the server, may have set that rate"
            )
    goals = [
        (f"{WINDOW} outstanding >= {GOAL_PIPELINED:g}x uecho", pipe_ratio >= GOAL_PIPELINED),
        ("1 outstanding >= uecho", one_ratio >= 1.0),
        ("no lost or wrong answers", sum(ours.lost) + sum(ours.wrong) == 0),
    ]
    for name, met in goals:
        print(f"goal: hemsnet {name}: {'met' if met else 'NOT met'}")
    return all(met for _, met in goals)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwind through the finally blocks that clean up


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Exit status: 0 hemsnet met every goal, 1 it missed one or the bench failed. "
        "Needs root (namespaces), iproute2, taskset and CPUs 0 and 1.",
    )
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="counted seconds per measurement (default 5)"
    )
    parser.add_argument(
        "--warmup", type=float, default=1.0, help="uncounted seconds before each (default 1)"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="interleaved rounds, best kept (default 3)"
    )
    parser.add_argument(
        "--serve",
        choices=["bare", "uecho"],
        help="internal: be that reference server in the current namespace (the bench runs it)",
    )
    args = parser.parse_args()
    if args.serve == "bare":
        serve_bare()
    elif args.serve == "uecho":
        serve_uecho()
    if args.seconds <= 0 or args.warmup < 0 or args.repeats < 1:
        parser.error("--seconds must be > 0, --warmup >= 0, --repeats >= 1")
    if reason := can_create_namespaces():
        sys.exit(f"bench/meter.py {reason}")
    if not {SERVER_CPU, CLIENT_CPU} <= os.sched_getaffinity(0):
        sys.exit(f"bench/meter.py needs CPUs {SERVER_CPU} and {CLIENT_CPU}")
    signal.signal(signal.SIGTERM, _terminate)
    try:
        rows = bench(args)
    except BenchError as exc:
        print(f"bench/meter.py: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:  # everything is cleaned up by now
        sys.exit(130)
    sys.exit(0 if report(rows, args) else 1)


if __name__ == "__main__":
    main()
