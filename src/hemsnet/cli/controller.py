"""``hemsnet controller``: read a smart meter over Route B, on an interface or through a Wi-SUN
dongle (SKSTACK IP)."""

from __future__ import annotations

import argparse
import os
import stat
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path

from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.controller_service import ControllerService, ControllerSetup, DongleSetup
from hemsnet.aio.demand_service import DemandService, attach_demand
from hemsnet.aio.serial_link import BAUD_RATE
from hemsnet.aio.services import Service, run_together
from hemsnet.aio.udp import DatagramLink, Interface, UdpTransport, parse_address
from hemsnet.cli.common import (
    EXIT_OK,
    CliError,
    parse_local_time,
    parse_speed,
    run_until_signalled,
)
from hemsnet.cli.configs import read_configs
from hemsnet.cli.dashboard import listen_argument, url_line
from hemsnet.control.plan import DemandPlan
from hemsnet.controller import ControllerConfig
from hemsnet.controller.config import RouteBConfig
from hemsnet.skstack.driver import KnownPan, RouteBCredentials
from hemsnet.store.outbox import Outbox
from hemsnet.uplink.config import with_url
from hemsnet.uplink.openadr_config import OpenAdrConfig
from hemsnet.web.app import bind, build_app, serve
from hemsnet.web.config import DashboardConfig, Listen, secured

__all__ = ["dongle_setup", "register"]

DEFAULT_DB = Path("hemsnet.db")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    controller = commands.add_parser(
        "controller",
        help="read a smart meter over Route B (an interface or a Wi-SUN dongle) into SQLite",
        description="Find the meter (its 0xD5 notification or a multicast search), read its "
        "attributes, receive its 30-minute notifications, poll its measurements, backfill "
        "what is missing from its history, and keep everything in an SQLite file, as the "
        "Route B interface specification's chapter 3 describes. Runs until interrupted "
        "(Ctrl-C or SIGTERM). A status line shows the meter, the last reading, gaps, faults "
        "and request counts; -v logs every sequence step and frame.",
        epilog="examples: hemsnet controller --iface eth0 --db meter.db --mqtt mqtt://127.0.0.1; "
        "hemsnet controller --dongle /dev/ttyUSB0 --routeb-id-file id.txt "
        "--routeb-password-file pw.txt",
    )
    controller.add_argument(
        "--iface", metavar="IF", help="the Route B interface (default: [link] iface of --config)"
    )
    dongle = controller.add_argument_group(
        "Route B through a Wi-SUN dongle (SKSTACK IP: BP35A1, BP35C0, BP35C2, RL7023)",
        "instead of --iface; the same keys in the [routeb] table of --config; the Route B ID "
        "and password may come from HEMSNET_ROUTEB_ID and HEMSNET_ROUTEB_PASSWORD",
    )
    dongle.add_argument("--dongle", metavar="PATH", help="the dongle's serial port")
    dongle.add_argument(
        "--routeb-id-file", metavar="FILE", help="a file holding the 32-character Route B ID"
    )
    dongle.add_argument(
        "--routeb-password-file", metavar="FILE", help="a file holding the 12-character password"
    )
    dongle.add_argument(
        "--channel", type=_int_auto, metavar="N", help="the meter's channel (33..60): no scan"
    )
    dongle.add_argument("--pan-id", type=_int_auto, metavar="X", help="the meter's PAN ID (hex)")
    dongle.add_argument("--meter-mac", metavar="M", help="the meter's 64-bit MAC (16 hex digits)")
    dongle.add_argument("--baud", type=int, metavar="N", help=f"baud rate ({BAUD_RATE})")
    controller.add_argument(
        "--hems-iface",
        action="append",
        default=[],
        metavar="IF",
        help="a HEMS network on which to discover the appliances and read their power every "
        "[appliances] interval (repeatable; the Route B interface too when the appliances "
        "share the meter's network)",
    )
    controller.add_argument(
        "--meter",
        metavar="ADDR",
        help="the meter's address (default: the first meter that announces itself or "
        "answers the search); frames from any other address are dropped",
    )
    controller.add_argument(
        "--db",
        type=Path,
        metavar="FILE",
        help=f"SQLite store (default: [store] db of --config, else {DEFAULT_DB})",
    )
    controller.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="controller.toml: timers, polling, appliances, [dashboard], [mqtt], [link], "
        "[store], [routec] (the uplink to the HEMS provider; see examples/)",
    )
    controller.add_argument(
        "--ipv4", action="store_true", help="also use IPv4 (224.0.23.0) for IPv4-only meters"
    )
    controller.add_argument(
        "--web",
        nargs="?",
        const="",
        type=listen_argument,
        metavar="ADDR:PORT",
        help="also serve the dashboard (see hemsnet dashboard), at ADDR:PORT or else at "
        "[dashboard] listen of --config, else 127.0.0.1:8080",
    )
    controller.add_argument(
        "--mqtt",
        metavar="URL",
        help="publish the meter and the appliances to this MQTT broker with Home Assistant "
        "discovery, mqtt://[USER[:PASSWORD]@]HOST[:PORT] or mqtts://... (default: [mqtt] url "
        "of --config)",
    )
    testing = controller.add_argument_group("time (for tests and demos with an emulated meter)")
    testing.add_argument(
        "--speed",
        type=parse_speed,
        default=1.0,
        metavar="N",
        help="run controller time N times faster than real time (default 1)",
    )
    testing.add_argument(
        "--start",
        type=parse_local_time,
        metavar="ISO",
        help="controller time to start from (default: now)",
    )
    testing.add_argument(
        "--status-every",
        type=float,
        default=60.0,
        metavar="S",
        help="print the status line at least every S seconds of real time (60)",
    )
    controller.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    configs = read_configs(args.config)
    config, dashboard, deployment = configs.controller, configs.dashboard, configs.deployment
    mqtt = with_url(configs.mqtt, args.mqtt) if args.mqtt else configs.mqtt
    db = args.db or deployment.db or DEFAULT_DB
    if args.status_every <= 0:
        raise CliError("--status-every must be positive")
    dongle = _dongle(args, config.routeb)
    now = args.start or datetime.now().replace(microsecond=0)
    route_b: DatagramLink | DongleSetup
    meter = None
    if dongle is not None:
        route_b = dongle
        where = f"through the dongle {dongle.path}"
    else:
        iface_name = args.iface or deployment.iface
        if iface_name is None:
            raise CliError(
                "give --iface IF (or [link] iface in --config), or --dongle PATH for a Wi-SUN "
                "dongle"
            )
        iface = Interface.lookup(iface_name)
        meter_text = args.meter or deployment.meter
        meter = parse_address(meter_text, iface) if meter_text else None
        try:
            transport = UdpTransport(iface, ipv4=args.ipv4 or deployment.ipv4)
        except OSError as exc:
            raise CliError(f"cannot use {iface.name}: {exc.strerror or exc}") from None
        route_b = transport
        addresses = ", ".join(iface.ipv6_addresses()) or "no IPv6 address yet"
        where = f"on {iface.name} ({addresses}) port {transport.port}"
    clock = ScaledClock(now, args.speed)
    setup = ControllerSetup(
        config,
        route_b,
        db,
        clock,
        meter=meter,
        hems=args.hems_iface or deployment.hems_ifaces,
        report=_print,
        status_every=args.status_every,
    )
    with ControllerService.open(setup) as controller:
        services: list[Service] = [controller.run]
        if args.web is not None:  # after the store exists, before anything runs
            web, url = _dashboard(args, db, dashboard, config, clock, configs.demand)
            services.append(web)
        control = ""
        demand = None
        if configs.demand.enabled:
            demand = attach_demand(controller, configs.demand, _print)
            plan = configs.demand
            control = (
                f"; demand control to {plan.target_kw:g} kW of {len(plan.appliances)} appliances"
            )
        if configs.openadr.vtn_url is not None:
            control += _ven(controller, demand, configs.openadr)
        uplink = ""
        if mqtt.broker is not None:  # the MQTT client is loaded only when it is used
            from hemsnet.uplink.homeassistant import attach

            uplink = attach(controller, mqtt)
        if configs.routec.broker is not None:
            from hemsnet.uplink.routec import RouteCUplink

            routec = RouteCUplink(configs.routec, db, clock=clock.now, report=_print)
            services.append(routec.run)
            uplink += routec.describe()
        else:  # no Route C (any more): queue nothing for it (R6)
            with Outbox.open(db) as outbox:
                outbox.enable(False)
        target = f"meter {meter}" if meter else "searching by multicast"
        _print(
            f"hemsnet controller: {where}; {target}{controller.describe()}; store {db}{uplink}"
            f"{control}; time {now.isoformat()} at {args.speed:g}x"
        )
        if args.web is not None:
            _print(url)
        run_until_signalled(lambda stop: run_together(services, stop))
        _print(controller.status_line().replace("controller:", "controller: stopped;", 1))
    return EXIT_OK


def dongle_setup(args: argparse.Namespace) -> DongleSetup | None:
    """The dongle of the command line alone (``hemsnet conformance meter --dongle``)."""
    return _dongle(args, RouteBConfig())


def _ven(controller: ControllerService, demand: DemandService | None, config: OpenAdrConfig) -> str:
    """The OpenADR VEN, loaded only when a VTN is configured (openleadr is an extra)."""
    try:
        from hemsnet.uplink.openadr import attach_ven
    except ImportError:
        raise CliError("[openadr] needs openleadr: pip install 'hemsnet[openadr]'") from None
    attach_ven(controller, demand, config, _print)
    return f"; OpenADR VEN {config.ven_name} of {config.vtn_url} (opt {config.opt})"


def _dongle(args: argparse.Namespace, routeb: RouteBConfig) -> DongleSetup | None:
    """The dongle of the command line or the ``[routeb]`` table, with its secrets; ``None``
    for Route B on an interface."""
    path = args.dongle or routeb.dongle
    if path is None:
        return None
    if args.iface is not None:
        raise CliError("--dongle and --iface: Route B goes one way, give one of them")
    for option in ("meter", "ipv4"):
        if getattr(args, option):
            raise CliError(f"--{option} is for Route B on an interface, not through a dongle")
    route_b_id = _secret(
        args.routeb_id_file or routeb.id_file, "HEMSNET_ROUTEB_ID", "--routeb-id-file"
    )
    password = _secret(
        args.routeb_password_file or routeb.password_file,
        "HEMSNET_ROUTEB_PASSWORD",
        "--routeb-password-file",
    )
    try:
        credentials = RouteBCredentials(route_b_id, password)
    except ValueError as exc:
        raise CliError(f"{exc}: as the utility's letter gives it") from None
    return DongleSetup(
        path, credentials, _known_pan(args, routeb), args.baud or routeb.baud or BAUD_RATE
    )


def _secret(path: str | None, variable: str, option: str) -> str:
    """A secret from its file, else from the environment; never printed."""
    if path is None:
        value = os.environ.get(variable)
        if value is None:
            raise CliError(f"give {option} FILE (or {variable}): the dongle needs it")
        return value.strip()
    file = Path(path)
    try:
        text = file.read_text(encoding="ascii").strip()
        mode = file.stat().st_mode
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {option} {path}: {getattr(exc, 'strerror', exc)}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        _print(f"hemsnet controller: warning: {path} can be read by others; chmod 600 {path}")
    return text


def _known_pan(args: argparse.Namespace, routeb: RouteBConfig) -> KnownPan | None:
    channel = args.channel if args.channel is not None else routeb.channel
    pan_id = args.pan_id if args.pan_id is not None else routeb.pan_id
    mac = args.meter_mac or routeb.meter_mac
    given = [value is not None for value in (channel, pan_id, mac)]
    if not any(given):
        return None
    if not all(given):
        raise CliError("--channel, --pan-id and --meter-mac go together (or none: a scan)")
    assert channel is not None and pan_id is not None and mac is not None
    digits = mac.replace(":", "").replace("-", "").upper()
    if len(digits) != 16 or any(c not in "0123456789ABCDEF" for c in digits):
        raise CliError(f"--meter-mac {mac}: 16 hexadecimal digits")
    if not 33 <= channel <= 60 or not 0 <= pan_id <= 0xFFFE:
        raise CliError("--channel is 33..60, --pan-id 0..FFFE")
    return KnownPan(channel, pan_id, digits)


def _int_auto(text: str) -> int:
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def _dashboard(
    args: argparse.Namespace,
    db: Path,
    dashboard: DashboardConfig,
    config: ControllerConfig,
    clock: ScaledClock,
    plan: DemandPlan,
) -> tuple[Service, str]:
    """The dashboard on the controller's store and clock, and the line with its URL; bound
    now so that a port in use stops the command before it starts."""
    if isinstance(args.web, Listen):
        dashboard = replace(dashboard, listen=args.web)
    dashboard = secured(dashboard)
    sock = bind(dashboard.listen)
    app = build_app(db, dashboard, clock.now, config, plan=plan)
    return partial(serve, app, sock), url_line(dashboard, sock.getsockname()[1])


def _print(line: str) -> None:
    print(line, flush=True)
