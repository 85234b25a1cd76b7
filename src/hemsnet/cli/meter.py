"""``hemsnet meter``: serve an emulated bidirectional high-voltage smart meter (0x028F)."""

from __future__ import annotations

import argparse
import dataclasses
from datetime import datetime
from functools import partial
from pathlib import Path

from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.multi_link import MultiLink
from hemsnet.aio.services import Service, appliance_service, meter_service, run_together
from hemsnet.aio.state_file import check_writable, load_state
from hemsnet.aio.udp import (
    DatagramLink,
    Interface,
    UdpTransport,
    echonet_endpoint,
    parse_address,
    peer_identity,
)
from hemsnet.appliances.engine import ApplianceEngine
from hemsnet.cli.common import (
    EXIT_OK,
    CliError,
    parse_local_time,
    parse_speed,
    run_until_signalled,
)
from hemsnet.cli.demo_site import DemoSite
from hemsnet.meter.config import MeterConfig, load_config
from hemsnet.meter.engine import MeterEngine
from hemsnet.meter.faults import FaultPlan, load_fault_plan, parse_window
from hemsnet.physics.timeline import minute_start

__all__ = ["meter_config", "register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    meter = commands.add_parser(
        "meter",
        help="emulate a smart meter (0x028F high-voltage, or 0x0288 low-voltage) on an interface",
        description="Serve a node profile and a 0x028F01 meter object over ECHONET Lite "
        "(UDP 3610, IPv6 link-local, ff02::1) as the Route B interface specification "
        "describes: start-up announcement, attribute and measurement properties, 30-minute "
        "and one-minute history, scheduled notifications every :00 and :30, faults. Runs "
        "until interrupted (Ctrl-C or SIGTERM), then saves its state.",
        epilog="example: hemsnet meter --iface eth0 --start 2026-11-14T00:00 --state meter.json",
    )
    meter.add_argument(
        "--iface",
        required=True,
        action="append",
        metavar="IF",
        help="network interface to serve; repeat it to serve one meter on several networks "
        "(Route B and the utility network): the first is the Route B one, whose scope "
        "[meter] controllers without %%IF take; answers leave by the interface the request "
        "came in on, announcements and notifications on every interface",
    )
    meter.add_argument(
        "--class",
        dest="meter_class",
        choices=("028F", "0288"),
        help="the meter class: 028F, a building's bidirectional high-voltage meter (the "
        "default), or 0288, a home's low-voltage meter (overrides [meter] class)",
    )
    meter.add_argument(
        "--config", type=Path, metavar="FILE", help="meter.toml (see examples/meter.toml)"
    )
    meter.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="keep the registers and history in FILE across restarts (default: none)",
    )
    meter.add_argument(
        "--speed",
        type=parse_speed,
        default=1.0,
        metavar="N",
        help="run meter time N times faster than real time (default 1)",
    )
    meter.add_argument(
        "--start",
        type=parse_local_time,
        metavar="ISO",
        help="installation time, e.g. 2026-11-14T00:00: the meter starts with the history "
        "from then to now (default: now; ignored when the state file exists)",
    )
    meter.add_argument(
        "--seed", type=int, default=0, metavar="N", help="seed of the load model and faults (0)"
    )
    meter.add_argument("--ipv4", action="store_true", help="also serve IPv4 (224.0.23.0)")
    meter.add_argument(
        "--reply-to-source-port",
        action="store_true",
        help="answer to the port a request came from (default: to UDP 3610, where stacks "
        "that send from a throwaway port listen)",
    )
    faults = meter.add_argument_group("faults (for testing controllers; override --faults)")
    faults.add_argument("--faults", type=Path, metavar="FILE", help="fault plan (faults.toml)")
    faults.add_argument(
        "--drop-requests", type=_probability, metavar="P", help="drop requests with probability P"
    )
    faults.add_argument(
        "--drop-responses", type=_probability, metavar="P", help="drop responses with probability P"
    )
    faults.add_argument(
        "--delay", type=_delay, metavar="S[:S2]", help="delay responses S seconds (or S..S2)"
    )
    faults.add_argument(
        "--duplicate-inf",
        type=_probability,
        metavar="P",
        help="precede a scheduled notification by a copy with other values, probability P",
    )
    faults.add_argument(
        "--partial-opc",
        type=_probability,
        metavar="P",
        help="answer only part of a multi-property request, probability P",
    )
    faults.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="WINDOW",
        help="fault status during WINDOW (START/END or START+MINUTES, meter time); repeatable",
    )
    site = meter.add_argument_group("co-simulation (tests and demos)")
    site.add_argument(
        "--site",
        metavar="IF",
        help="also serve the demo's controllable appliances (40 air conditioners, 1000 lights, "
        "4 EV chargers, 10 batteries, 10 water heaters as one node of five objects) on IF, "
        "their draw part of this meter's load, so that a controller's demand control lowers "
        "the meter's demand (docs/energy-management.md E10)",
    )
    faults.add_argument(
        "--silent",
        action="append",
        default=[],
        metavar="WINDOW",
        help="neither answer nor notify during WINDOW; repeatable",
    )
    meter.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    config = meter_config(args.config, args.meter_class)
    plan = _fault_plan(args)
    ifaces = _interfaces(args.iface)
    iface = ifaces[0]
    controllers = tuple(parse_address(text, iface) for text in config.controllers)
    state = None
    if args.state is not None:
        state = load_state(args.state)
        check_writable(args.state)  # refuse now rather than lose the state at the first save
    now = datetime.now().replace(microsecond=0)
    if args.start is not None and args.start > now:
        raise CliError(f"--start {args.start.isoformat()} is in the future")
    if state is not None:
        now = max(now, _saved(state))
    engine = MeterEngine(
        config,
        now=now,
        seed=args.seed,
        installed=args.start,
        faults=plan,
        controllers=controllers,
        state=state,
        identify=peer_identity,
        answer_to=(lambda source: source) if args.reply_to_source_port else echonet_endpoint,
    )
    transports = [UdpTransport(each, ipv4=args.ipv4) for each in ifaces]
    transport: DatagramLink = transports[0] if len(transports) == 1 else MultiLink(transports)
    clock = ScaledClock(now, args.speed)
    service = meter_service(engine, transport, clock, state_path=args.state)
    site = ""
    if args.site is not None:
        service, site = _with_site(args, engine, clock, service, now)
    installed = minute_start(engine.registers.installed)
    objects = ", ".join(str(obj.eoj) for obj in (engine.node.node_profile, *engine.node.objects))
    served = ", ".join(
        f"{each.name} ({', '.join(each.ipv6_addresses()) or 'no IPv6 address yet'})"
        for each in ifaces
    )
    print(
        f"hemsnet meter: objects {objects} on {served} port {transport.port}"
        f"{' and IPv4' if args.ipv4 else ''}; meter time {now.isoformat()} at {args.speed:g}x, "
        f"installed {installed.isoformat()}{site}",
        flush=True,
    )
    run_until_signalled(service)
    stats = engine.stats
    print(
        f"hemsnet meter: stopped; {stats.received} received, {stats.answered} answered, "
        f"{stats.notifications} notifications, {stats.malformed} malformed, "
        f"{stats.other_peers} from other controllers",
        flush=True,
    )
    return EXIT_OK


def _with_site(
    args: argparse.Namespace,
    engine: MeterEngine,
    clock: ScaledClock,
    service: Service,
    now: datetime,
) -> tuple[Service, str]:
    """The meter and the demo site's appliance node on ``--site``, run together."""
    iface = Interface.lookup(args.site)
    site = DemoSite(now, args.seed, 0.0)
    engine.add_load(site.load)  # from now on: the history before is the load model's own
    try:
        link = UdpTransport(iface)
    except OSError as exc:
        raise CliError(f"cannot use {iface.name}: {exc.strerror or exc}") from None
    appliances = ApplianceEngine(site.appliances, now=now)
    services = [service, appliance_service(appliances, link, clock)]
    eojs = " ".join(str(obj.eoj) for obj in appliances.objects)
    return partial(run_together, services), f"; site appliances {eojs} on {iface.name}"


def _interfaces(names: list[str]) -> list[Interface]:
    """The interfaces of ``--iface``, each once: one socket per interface and port."""
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise CliError(f"--iface {repeated[0]} given twice (one meter serves an interface once)")
    return [Interface.lookup(name) for name in names]


def meter_config(path: Path | None, meter_class: str | None) -> MeterConfig:
    """The meter of ``--config`` and ``--class``: a class given on the command line wins; its
    defaults come with it when the file does not name it."""
    if path is not None:
        config = load_config(path)
        if meter_class is None or int(meter_class, 16) == config.meter_class:
            return config
        raise CliError(f"--class {meter_class}: {path} describes a 0x{config.meter_class:04X}")
    return MeterConfig.low_voltage() if meter_class == "0288" else MeterConfig()


def _fault_plan(args: argparse.Namespace) -> FaultPlan:
    plan = load_fault_plan(args.faults) if args.faults else FaultPlan()
    changes: dict[str, object] = {}
    for name in ("drop_requests", "drop_responses", "duplicate_inf", "partial_opc"):
        value = getattr(args, name)
        if value is not None:
            changes[name] = value
    if args.delay is not None:
        changes["delay_min"], changes["delay_max"] = args.delay
    if args.fault:
        changes["faults"] = plan.faults + tuple(parse_window(text) for text in args.fault)
    if args.silent:
        changes["silent"] = plan.silent + tuple(parse_window(text) for text in args.silent)
    return dataclasses.replace(plan, **changes) if changes else plan  # type: ignore[arg-type]


def _saved(state: dict[str, object]) -> datetime:
    try:
        return datetime.fromisoformat(str(state["saved"]))
    except (KeyError, ValueError):
        raise CliError("the state file is damaged: no save time") from None


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text}: a probability is between 0 and 1")
    return value


def _delay(text: str) -> tuple[float, float]:
    first, _, second = text.partition(":")
    try:
        low = float(first)
        high = float(second) if second else low
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not S or S:S2 in seconds") from None
    if not 0 <= low <= high:
        raise argparse.ArgumentTypeError(f"{text}: expected 0 <= S <= S2")
    return low, high
