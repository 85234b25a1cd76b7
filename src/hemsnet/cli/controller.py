"""``hemsnet controller``: read a bidirectional high-voltage smart meter (0x028F) over Route B."""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path

from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.controller_service import ControllerService, ControllerSetup
from hemsnet.aio.demand_service import DemandService, attach_demand
from hemsnet.aio.services import Service, run_together
from hemsnet.aio.udp import Interface, UdpTransport, parse_address
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
from hemsnet.uplink.config import with_url
from hemsnet.uplink.openadr_config import OpenAdrConfig
from hemsnet.web.app import bind, build_app, serve
from hemsnet.web.config import DashboardConfig, Listen, secured

__all__ = ["register"]

DEFAULT_DB = Path("hemsnet.db")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    controller = commands.add_parser(
        "controller",
        help="read a bidirectional high-voltage smart meter (0x028F) over Route B into SQLite",
        description="Find the meter (its 0xD5 notification or a multicast search), read its "
        "attributes, receive its 30-minute notifications, poll its measurements, backfill "
        "what is missing from its history, and keep everything in an SQLite file, as the "
        "Route B interface specification's chapter 3 describes. Runs until interrupted "
        "(Ctrl-C or SIGTERM). A status line shows the meter, the last reading, gaps, faults "
        "and request counts; -v logs every sequence step and frame.",
        epilog="example: hemsnet controller --iface eth0 --db meter.db --mqtt mqtt://127.0.0.1",
    )
    controller.add_argument(
        "--iface", metavar="IF", help="the Route B interface (default: [link] iface of --config)"
    )
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
        "[store] (see examples/)",
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
    iface_name = args.iface or deployment.iface
    if iface_name is None:
        raise CliError("--iface IF is needed (or [link] iface in --config)")
    iface = Interface.lookup(iface_name)
    meter_text = args.meter or deployment.meter
    meter = parse_address(meter_text, iface) if meter_text else None
    db = args.db or deployment.db or DEFAULT_DB
    if args.status_every <= 0:
        raise CliError("--status-every must be positive")
    now = args.start or datetime.now().replace(microsecond=0)
    try:
        transport = UdpTransport(iface, ipv4=args.ipv4 or deployment.ipv4)
    except OSError as exc:
        raise CliError(f"cannot use {iface.name}: {exc.strerror or exc}") from None
    clock = ScaledClock(now, args.speed)
    setup = ControllerSetup(
        config,
        transport,
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
        addresses = ", ".join(iface.ipv6_addresses()) or "no IPv6 address yet"
        target = f"meter {meter}" if meter else "searching by multicast"
        _print(
            f"hemsnet controller: on {iface.name} ({addresses}) port {transport.port}; "
            f"{target}{controller.describe()}; store {db}{uplink}{control}; time "
            f"{now.isoformat()} at "
            f"{args.speed:g}x"
        )
        if args.web is not None:
            _print(url)
        run_until_signalled(lambda stop: run_together(services, stop))
        _print(controller.status_line().replace("controller:", "controller: stopped;", 1))
    return EXIT_OK


def _ven(controller: ControllerService, demand: DemandService | None, config: OpenAdrConfig) -> str:
    """The OpenADR VEN, loaded only when a VTN is configured (openleadr is an extra)."""
    try:
        from hemsnet.uplink.openadr import attach_ven
    except ImportError:
        raise CliError("[openadr] needs openleadr: pip install 'hemsnet[openadr]'") from None
    attach_ven(controller, demand, config, _print)
    return f"; OpenADR VEN {config.ven_name} of {config.vtn_url} (opt {config.opt})"


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
    app = build_app(db, dashboard, clock.now, config, plan)
    return partial(serve, app, sock), url_line(dashboard, sock.getsockname()[1])


def _print(line: str) -> None:
    print(line, flush=True)
