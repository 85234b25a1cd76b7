"""``hemsnet conformance meter``: check a meter against the interface specification, clause by
clause, over an interface or a Wi-SUN dongle; ``hemsnet conformance controller``: serve a meter
that watches a controller, on an interface or behind an emulated dongle on a pty. The report as
text, JSON or JUnit XML."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.pty_dongle import PtyDongle
from hemsnet.aio.runner import EngineRunner
from hemsnet.aio.serial_link import BAUD_RATE, LinkNotice, SerialLink
from hemsnet.aio.udp import (
    Address,
    DatagramLink,
    Interface,
    UdpTransport,
    echonet_endpoint,
    parse_address,
    peer_identity,
)
from hemsnet.cli.common import EXIT_FAILED, EXIT_OK, CliError, parse_speed
from hemsnet.cli.controller import dongle_setup
from hemsnet.cli.dongle import DEFAULT_ID, DEFAULT_PASSWORD
from hemsnet.conformance.controller_watch import ControllerWatch, WatchDone
from hemsnet.conformance.exchange import ScriptDone, ScriptEngine
from hemsnet.conformance.meter_checker import MeterChecker
from hemsnet.conformance.meter_checks import MeterCheckOptions
from hemsnet.conformance.render import as_json, as_junit, as_text
from hemsnet.conformance.report import Outcome, Report
from hemsnet.echonet.timers import TIMER_1_MIN
from hemsnet.meter.config import MeterConfig
from hemsnet.meter.engine import MeterEngine
from hemsnet.meter.faults import FaultPlan, Window
from hemsnet.skstack.emulator import DongleEmulator, MeterRadio

__all__ = ["register", "write_report"]

_FORMATS = {"text": as_text, "json": as_json, "junit": as_junit}
_CLASSES = {"028F": 0x028F, "0288": 0x0288}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    conformance = commands.add_parser(
        "conformance",
        help="check a third-party meter or controller against the Route B specification",
        description="Conformance tests of Route B devices, clause by clause, with the frames "
        "that prove each failure. The exit status is 0 only when every mandatory clause "
        "passes, 1 when one fails.",
    )
    which = conformance.add_subparsers(dest="device", required=True, metavar="DEVICE")
    meter = which.add_parser(
        "meter",
        help="act as a controller and check a meter",
        description="Act as a controller and check a meter (0x028F, or 0x0288 with --class): "
        "its start-up announcement, the search, the node profile, every mandatory property "
        "with its size, type and range, the access rules, OPC 12 and the history exception, "
        "the day and minute selections, the fault property, unsupported and malformed "
        "requests, the scheduled notification (up to 45 minutes of waiting; "
        "--no-notification skips it), and last a request to an absent object (silence is "
        "the right answer, waited for --silence-wait). One request at a time, each waited "
        "for as long as the spec's timers (40 s, 180 s).",
        epilog="examples: hemsnet conformance meter --iface eth1 fe80::1 --junit report.xml; "
        "hemsnet conformance meter --dongle /dev/ttyUSB0 --routeb-id-file id.txt "
        "--routeb-password-file pw.txt",
    )
    meter.add_argument("address", nargs="?", metavar="ADDR", help="the meter's address")
    meter.add_argument("--iface", metavar="IF", help="the Route B interface (with ADDR)")
    _dongle_arguments(meter)
    meter.add_argument(
        "--class", dest="meter_class", choices=sorted(_CLASSES), default="028F",
        help="the meter's class: 028F (the default) or 0288",
    )  # fmt: skip
    meter.add_argument(
        "--wait-startup", type=_seconds, default=0.0, metavar="S",
        help="first wait up to S seconds for the meter's start-up 0xD5 (power it on now); "
        "without it that clause is skipped",
    )  # fmt: skip
    meter.add_argument(
        "--no-notification", action="store_true",
        help="do not wait for the next scheduled notification (the clause is skipped)",
    )  # fmt: skip
    meter.add_argument(
        "--silence-wait", type=_seconds, default=TIMER_1_MIN, metavar="S",
        help=f"how long the last request, to an absent object, waits for no answer "
        f"({TIMER_1_MIN:g})",
    )  # fmt: skip
    _report_arguments(meter)
    meter.set_defaults(run=_run_meter, ipv4=False)

    controller = which.add_parser(
        "controller",
        help="act as a meter and watch a controller",
        description="Serve an emulated meter (hemsnet's, 0x028F or 0x0288) on an interface or "
        "behind an emulated Wi-SUN dongle on a pty, and judge the controller that talks to "
        "it for --duration: one request at a time, no TID reused, OPC 1..12, history EPCs "
        "alone, SetC values in range, nothing asked but the meter. To see how it copes, the "
        "meter leaves one single-property and one history request unanswered (it must wait "
        "40 s and 180 s), serves one history under another day than the one set (it must "
        "not trust it), and goes into fault for a while (it should pause, and must resume). "
        "The meter answers 1 s after each request, as over the air.",
        epilog="examples: hemsnet conformance controller --iface eth1 --junit report.xml; "
        "hemsnet conformance controller --pty --link /tmp/wisun (then point the controller "
        f"at /tmp/wisun with the Route B ID {DEFAULT_ID} and password {DEFAULT_PASSWORD})",
    )
    controller.add_argument("--iface", metavar="IF", help="serve the meter on this interface")
    controller.add_argument("--pty", action="store_true", help="serve it behind a dongle on a pty")
    controller.add_argument("--link", type=Path, metavar="PATH", help="a stable path to the pty")
    controller.add_argument(
        "--class", dest="meter_class", choices=sorted(_CLASSES), default="028F",
        help="the meter's class: 028F (the default) or 0288",
    )  # fmt: skip
    controller.add_argument(
        "--duration", type=_minutes, default=180.0, metavar="MIN",
        help="how long to watch, in minutes of meter time (180)",
    )  # fmt: skip
    controller.add_argument(
        "--fault-at", type=_minutes, default=70.0, metavar="MIN",
        help="when the meter goes into fault, minutes after the start (70)",
    )  # fmt: skip
    controller.add_argument(
        "--fault-minutes", type=_minutes, default=30.0, metavar="MIN",
        help="how long the fault lasts (30)",
    )  # fmt: skip
    controller.add_argument(
        "--speed", type=parse_speed, default=1.0, metavar="N",
        help="meter time N times faster: only for a controller whose own time runs as fast "
        "(hemsnet controller --speed N); a real controller's timers run at 1x",
    )  # fmt: skip
    controller.add_argument("--seed", type=int, default=0, metavar="N", help="the meter's seed")
    _report_arguments(controller)
    controller.set_defaults(run=_run_controller)
    for sub in (meter, controller):  # -v after the subcommand too, as after a command
        sub.add_argument(
            "-v", "--verbose", action="count", default=argparse.SUPPRESS,
            help="log more (-v every frame, -vv debug)",
        )  # fmt: skip


def _dongle_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "Route B through a Wi-SUN dongle (SKSTACK IP), instead of --iface ADDR",
        "the Route B ID and password may come from HEMSNET_ROUTEB_ID and HEMSNET_ROUTEB_PASSWORD",
    )
    group.add_argument("--dongle", metavar="PATH", help="the dongle's serial port")
    group.add_argument("--routeb-id-file", metavar="FILE", help="the 32-character Route B ID")
    group.add_argument("--routeb-password-file", metavar="FILE", help="the 12-character password")
    group.add_argument("--channel", type=int, metavar="N", help="the meter's channel: no scan")
    group.add_argument("--pan-id", type=lambda t: int(t, 16), metavar="X", help="its PAN ID")
    group.add_argument("--meter-mac", metavar="M", help="its 64-bit MAC (16 hex digits)")
    group.add_argument("--baud", type=int, metavar="N", help=f"baud rate ({BAUD_RATE})")
    parser.set_defaults(meter=None)


def _report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=sorted(_FORMATS), default="text",
        help="the report on standard output (text)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the JSON report")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML")


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes") from None
    if not 0 < value <= 7 * 24 * 60:
        raise argparse.ArgumentTypeError(f"{text} min is not within 0..10080")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 86_400:
        raise argparse.ArgumentTypeError(f"{text} s is not within 0..86400")
    return value


def _progress(outcome: Outcome) -> None:
    print(
        f"  {outcome.verdict.value:4} {outcome.clause.id}: {outcome.detail}",
        file=sys.stderr,
        flush=True,
    )


def write_report(args: argparse.Namespace, report: Report) -> int:
    """Print the report, write the files asked for; the exit status it deserves."""
    for path, render in ((args.json, as_json), (args.junit, as_junit)):
        if path is not None:
            try:
                path.write_text(render(report), encoding="utf-8")
            except OSError as exc:
                raise CliError(f"cannot write {path}: {exc.strerror}") from None
    print(_FORMATS[args.format](report))
    return EXIT_OK if report.passed else EXIT_FAILED


def _route_b(args: argparse.Namespace) -> tuple[DatagramLink, Address | None, str]:
    """The link to the meter, its address (None through a dongle: the other end) and where."""
    dongle = dongle_setup(args)
    if dongle is not None:
        if args.address is not None:
            raise CliError("ADDR is for Route B on an interface; a dongle finds its meter")

        def notice(event: LinkNotice) -> None:
            print(f"hemsnet conformance: {event.text}", file=sys.stderr, flush=True)

        link = SerialLink(
            dongle.path, dongle.credentials, pan=dongle.pan, baud_rate=dongle.baud, notice=notice
        )
        return link, None, f"through the dongle {dongle.path}"
    if args.iface is None or args.address is None:
        raise CliError("give --iface IF ADDR, or --dongle PATH with the Route B ID and password")
    iface = Interface.lookup(args.iface)
    address = parse_address(args.address, iface)
    return UdpTransport(iface), address, f"on {args.iface}"


def _run_meter(args: argparse.Namespace) -> int:
    options = MeterCheckOptions(
        class_id=_CLASSES[args.meter_class],
        wait_startup=args.wait_startup,
        notification=not args.no_notification,
        silence_wait=args.silence_wait,
    )
    link, address, where = _route_b(args)
    now = datetime.now()
    checker = MeterChecker(
        address,
        now=now,
        options=options,
        identify=peer_identity,
        endpoint=echonet_endpoint,
    )
    checker.report.listener = _progress
    print(f"hemsnet conformance: checking {checker.report.subject} {where}", file=sys.stderr)
    report = asyncio.run(_pump(checker.engine, link, checker.finish))
    return write_report(args, report)


async def _pump(
    engine: ScriptEngine, link: DatagramLink, finish: Callable[[datetime], Report]
) -> Report:
    clock = ScaledClock(datetime.now())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):  # stopped: the report so far, exit 1
        loop.add_signal_handler(signum, stop.set)

    def on_events(events: Sequence[object], _: datetime) -> None:
        if any(isinstance(event, ScriptDone) for event in events):
            stop.set()

    runner = EngineRunner(engine, link, clock, on_events=on_events)
    await runner.run(stop)
    return finish(clock.now())


def _run_controller(args: argparse.Namespace) -> int:
    if args.pty == (args.iface is not None):
        raise CliError("give --iface IF or --pty: the meter is served one way")
    if args.fault_at + args.fault_minutes >= args.duration:
        raise CliError("--fault-at plus --fault-minutes must end before --duration")
    now = datetime.now().replace(microsecond=0)
    fault = Window(
        now + timedelta(minutes=args.fault_at),
        now + timedelta(minutes=args.fault_at + args.fault_minutes),
    )
    config = MeterConfig.low_voltage() if args.meter_class == "0288" else MeterConfig()
    meter = MeterEngine(
        config,
        now=now,
        seed=args.seed,
        installed=now - timedelta(days=7),
        faults=FaultPlan(faults=(fault,)),
        identify=peer_identity,
        answer_to=echonet_endpoint,
    )
    end = now + timedelta(minutes=args.duration)
    where = "behind a dongle on a pty" if args.pty else f"on {args.iface}"
    subject = f"the controller of a meter {where}"
    watch = ControllerWatch(meter, now=now, end=end, subject=subject, identify=peer_identity)
    clock = ScaledClock(now, args.speed)
    print(
        f"hemsnet conformance: meter {meter.eoj} {where}, watching the controller until "
        f"{end.isoformat()} (meter time at {args.speed:g}x); fault from {fault.start.time()} "
        f"to {fault.end.time()}",
        file=sys.stderr,
        flush=True,
    )
    if args.pty:
        asyncio.run(_watch_on_pty(watch, now, clock, args.link))
    else:
        asyncio.run(_watch_on_iface(watch, clock, args.iface))
    return write_report(args, watch.finish(clock.now()))


def _stop_on(stop: asyncio.Event) -> Callable[[Sequence[object]], None]:
    def on_events(events: Sequence[object]) -> None:
        if any(isinstance(event, WatchDone) for event in events):
            stop.set()

    return on_events


def _signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):  # stopped: the report so far, exit 1
        loop.add_signal_handler(signum, stop.set)


async def _watch_on_iface(watch: ControllerWatch, clock: ScaledClock, iface: str) -> None:
    stop = asyncio.Event()
    _signals(stop)
    on_events = _stop_on(stop)
    link = UdpTransport(Interface.lookup(iface))
    runner = EngineRunner(watch, link, clock, on_events=lambda events, _: on_events(events))
    await runner.run(stop)


async def _watch_on_pty(
    watch: ControllerWatch, now: datetime, clock: ScaledClock, link: Path | None
) -> None:
    stop = asyncio.Event()
    _signals(stop)
    radio = MeterRadio(DEFAULT_ID, DEFAULT_PASSWORD)
    emulator = DongleEmulator(watch, radio, now=now)
    pty = PtyDongle(emulator, clock, link=link, on_events=_stop_on(stop))
    pty.plug()
    print(
        f"hemsnet conformance: the dongle is {pty.path}; Route B ID {DEFAULT_ID}, password "
        f"{DEFAULT_PASSWORD}",
        file=sys.stderr,
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        pty.unplug()
