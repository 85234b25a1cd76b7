"""``hemsnet appliance``: serve emulated HEMS-managed appliances (battery, PV, EV, ...)."""

from __future__ import annotations

import argparse
from datetime import datetime

from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.services import appliance_service
from hemsnet.aio.udp import Interface, UdpTransport
from hemsnet.appliances.catalogue import KINDS, parse_kind
from hemsnet.appliances.engine import ApplianceEngine
from hemsnet.cli.common import EXIT_OK, CliError, parse_local_time, parse_speed, run_until_signalled

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    names = ", ".join(f"{kind.name} ({kind.class_id:04X})" for kind in KINDS.values())
    appliance = commands.add_parser(
        "appliance",
        help="emulate HEMS-managed appliances (battery, PV, EV, aircon, ...) on an interface",
        description="Serve a node profile and one device object per CLASS over ECHONET Lite "
        "(UDP 3610, IPv6 link-local, ff02::1): start-up announcement, Get, Set, SetC, INF_REQ, "
        "and an INF of every announced property that changes. The appliances behave over "
        "time (see docs/appliances.md). Runs until interrupted (Ctrl-C or SIGTERM).",
        epilog="example: hemsnet appliance battery pv --iface eth0 --speed 60",
    )
    appliance.add_argument(
        "classes", nargs="+", metavar="CLASS", help=f"class code or name: {names}"
    )
    appliance.add_argument("--iface", required=True, metavar="IF", help="interface to serve")
    appliance.add_argument(
        "--seed", type=int, default=0, metavar="N", help="seed of the behaviour (0)"
    )
    appliance.add_argument(
        "--speed",
        type=parse_speed,
        default=1.0,
        metavar="N",
        help="run appliance time N times faster than real time (default 1)",
    )
    appliance.add_argument(
        "--start",
        type=parse_local_time,
        metavar="ISO",
        help="appliance time at start, e.g. 2026-07-15T12:00 (default: now)",
    )
    appliance.add_argument(
        "--instance",
        type=_instance,
        default=1,
        metavar="N",
        help="instance code of the first object of each class, 1..127 (default 1)",
    )
    appliance.add_argument("--ipv4", action="store_true", help="also serve IPv4 (224.0.23.0)")
    appliance.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    kinds = [parse_kind(text) for text in args.classes]
    now = args.start or datetime.now().replace(microsecond=0)
    iface = Interface.lookup(args.iface)
    engine = ApplianceEngine(
        [kind.build(now, args.seed + n) for n, kind in enumerate(kinds)],
        now=now,
        instance=args.instance,
    )
    if engine.objects[-1].eoj.instance > 0x7F:
        raise CliError(f"--instance {args.instance} leaves no room for {len(kinds)} objects")
    transport = UdpTransport(iface, ipv4=args.ipv4)
    service = appliance_service(engine, transport, ScaledClock(now, args.speed))
    objects = ", ".join(str(obj.eoj) for obj in (engine.node.node_profile, *engine.objects))
    addresses = ", ".join(iface.ipv6_addresses()) or "no IPv6 address yet"
    print(
        f"hemsnet appliance: objects {objects} on {iface.name} ({addresses}) port "
        f"{transport.port}{' and IPv4' if args.ipv4 else ''}; appliance time "
        f"{now.isoformat()} at {args.speed:g}x",
        flush=True,
    )
    run_until_signalled(service)
    stats = engine.stats
    print(
        f"hemsnet appliance: stopped; {stats.received} received, {stats.answered} answered, "
        f"{stats.notifications} notifications, {stats.malformed} malformed",
        flush=True,
    )
    return EXIT_OK


def _instance(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 1 <= value <= 0x7F:
        raise argparse.ArgumentTypeError(f"{text}: an instance code is 1..127")
    return value
