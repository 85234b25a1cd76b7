"""``hemsnet demo``: a live high-voltage meter, the controller and the dashboard on this host.

One process, no root: the meter emulator and the Route B controller talk ECHONET Lite over real
UDP on the IPv6 loopback (``::1``, ports the kernel chooses), the controller keeps its SQLite
store, and the dashboard serves it. Loopback carries no multicast, so the controller is given
the meter's address and finds it by a unicast search [AIF 3.1.2]; the meter's scheduled
notifications, which are multicast, do not arrive and the controller fetches them at :05/:35
[AIF 3.3.1] — the same data by the spec's own fallback.

The meter starts installed ``--days`` days ago, so its history is full and the controller's
backfill fills the charts within seconds. A surge raises the load a few minutes in, so the
half-hour forecast crosses the target while you watch.

The site's appliances (:mod:`hemsnet.cli.demo_site`) run as one ECHONET node on another
loopback socket, the controller's HEMS network; their draw is part of the meter's load
(co-simulation, docs/energy-management.md E10), and the controller's demand control sheds them
when the surge comes, so the half-hour ends under the contract demand (``--no-control``: it
does not).
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Final

from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.controller_service import ControllerService, ControllerSetup
from hemsnet.aio.demand_service import attach_demand
from hemsnet.aio.services import Service, appliance_service, meter_service, run_together
from hemsnet.aio.udp import Address, UdpTransport, peer_identity
from hemsnet.appliances.engine import ApplianceEngine
from hemsnet.cli.common import EXIT_OK, CliError, parse_speed, run_until_signalled
from hemsnet.cli.dashboard import listen_argument, url_line
from hemsnet.cli.demo_site import DemoSite, surge_factor
from hemsnet.controller import ControllerConfig
from hemsnet.meter.config import MeterConfig
from hemsnet.meter.engine import MeterEngine
from hemsnet.physics.load import LoadModel, LoadSettings, Profile, Surge
from hemsnet.uplink.config import MqttConfig, with_url
from hemsnet.web.app import bind, build_app, serve
from hemsnet.web.config import DEFAULT_LISTEN, DashboardConfig

__all__ = ["DEMO_DAYS_MAX", "demo_meter_config", "register"]

DEMO_DAYS_MAX: Final = 45  # the meter's retained days: older history does not exist
_DEFAULT_DAYS: Final = 35
_PEAK_KW: Final = 400.0  # an office block with rooftop PV
_PV_KW: Final = 150.0
#: Contract demand the dashboard draws: above an ordinary afternoon, below the surge.
TARGET_KW: Final = 380.0
_SURGE_AFTER: Final = timedelta(minutes=3)
_SURGE_LENGTH: Final = timedelta(minutes=20)
_SURGE_FACTOR: Final = 1.8  # the chillers start: the half-hour heads for its alarm


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo",
        help="run a meter emulator, the controller and the dashboard on this host",
        description="Start a 0x028F meter emulator with DAYS days of history, the Route B "
        "controller with an SQLite store, and the web dashboard, all in one process over the "
        "IPv6 loopback (no root needed), and print the dashboard's URL. The load surges a few "
        "minutes in, so the demand forecast crosses its target. Ctrl-C stops everything.",
        epilog="example: hemsnet demo --listen 127.0.0.1:8080",
    )
    demo.add_argument(
        "--listen",
        type=listen_argument,
        default=DEFAULT_LISTEN,
        metavar="ADDR:PORT",
        help="where the dashboard listens, a loopback address (127.0.0.1:8080; port 0 picks "
        "a free one)",
    )
    demo.add_argument(
        "--db",
        type=Path,
        metavar="FILE",
        help="keep the store in FILE (default: a temporary file, removed at exit)",
    )
    demo.add_argument(
        "--days",
        type=int,
        default=_DEFAULT_DAYS,
        metavar="N",
        help=f"days of history the meter starts with, 1..{DEMO_DAYS_MAX} ({_DEFAULT_DAYS})",
    )
    demo.add_argument(
        "--seed", type=int, default=1, metavar="N", help="seed of the meter's load model (1)"
    )
    demo.add_argument(
        "--mqtt",
        metavar="URL",
        help="also publish the meter to this MQTT broker with Home Assistant discovery "
        "(mqtt://HOST[:PORT])",
    )
    demo.add_argument(
        "--no-control",
        action="store_true",
        help="do not control the appliances: the surge then takes the half-hour over the "
        "contract demand",
    )
    demo.add_argument(
        "--speed",
        type=parse_speed,
        default=1.0,
        metavar="N",
        help="run meter and controller time N times faster than real time (1)",
    )
    demo.set_defaults(run=_run)


def demo_meter_config(now: datetime, seed: int = 1, site_w: int | None = None) -> MeterConfig:
    """An office block with PV whose load surges ``_SURGE_AFTER`` from ``now``: by
    ``_SURGE_FACTOR``, or, given the co-simulated appliances' draw ``site_w``, to a little over
    the contract demand (what control can hold)."""
    surge_start = now.replace(second=0) + _SURGE_AFTER
    base = LoadSettings(profile=Profile.OFFICE, peak_kw=_PEAK_KW, pv_kw=_PV_KW)
    factor = _SURGE_FACTOR
    if site_w is not None:
        factor = surge_factor(LoadModel(base, seed), surge_start, site_w, TARGET_KW)
    surge = Surge(surge_start, surge_start + _SURGE_LENGTH, factor)
    return MeterConfig(load=replace(base, surges=(surge,)))


def _run(args: argparse.Namespace) -> int:
    if args.mqtt is not None:
        with_url(MqttConfig(), args.mqtt)  # a bad URL stops the demo before anything runs
    if not 1 <= args.days <= DEMO_DAYS_MAX:
        raise CliError(f"--days {args.days}: give 1..{DEMO_DAYS_MAX}")
    if not args.listen.loopback:
        raise CliError(f"--listen {args.listen}: the demo serves this host only (127.0.0.1, ::1)")
    if args.db is not None:
        return _demo(args, args.db)
    with tempfile.TemporaryDirectory(prefix="hemsnet-demo-") as folder:
        return _demo(args, Path(folder) / "demo.db")


def _demo(args: argparse.Namespace, db: Path) -> int:
    dashboard = DashboardConfig(listen=args.listen, target_kw=TARGET_KW)
    sock = bind(dashboard.listen)  # first: a port in use stops the demo before anything runs
    now = datetime.now().replace(microsecond=0)
    clock = ScaledClock(now, args.speed)
    site = DemoSite(now, args.seed, TARGET_KW)
    meter = MeterEngine(
        demo_meter_config(now, args.seed, site.load()),
        now=now,
        seed=args.seed,
        installed=now - timedelta(days=args.days),
        identify=peer_identity,
    )
    meter.add_load(site.load)  # after the history: the appliances draw from now on
    meter_link = UdpTransport.loopback()
    meter_address = Address("::1", meter_link.port)
    appliances = ApplianceEngine(site.appliances, now=now)
    appliance_link = UdpTransport.loopback()
    # Unpaced: the demo's meter is its own emulator, not a utility's [AIF 2.4.1 note] (C32).
    config = ControllerConfig(pace=0)
    controller_link = UdpTransport.loopback()
    hems_link = UdpTransport.loopback()
    setup = ControllerSetup(
        config,
        controller_link,
        db,
        clock,
        meter=meter_address,
        report=_print,
        status_every=30.0,
        appliance_links=((hems_link, (Address("::1", appliance_link.port),)),),
    )
    with ControllerService.open(setup) as controller:
        control = "; no demand control"
        if not args.no_control:
            attach_demand(controller, site.plan, _print)
            control = f"; demand control of {len(site.plan.appliances)} appliance groups"
        plan = None if args.no_control else site.plan
        app = build_app(db, dashboard, clock.now, config, plan=plan)  # the store the service made
        uplink = ""
        if args.mqtt:  # the MQTT client is loaded only when it is used
            from hemsnet.uplink.homeassistant import attach

            uplink = attach(controller, with_url(MqttConfig(), args.mqtt))
        _print(
            f"hemsnet demo: meter 028F01 at {meter_address} with {args.days} days of history; "
            f"controller at [::1]:{controller_link.port}; store {db}{uplink}; "
            f"contract demand {TARGET_KW:g} kW{control}"
        )
        _print(url_line(dashboard, sock.getsockname()[1]))
        # The meter first: it must be listening for the controller's first search.
        services: list[Service] = [
            meter_service(meter, meter_link, clock),
            appliance_service(appliances, appliance_link, clock),
            controller.run,
            partial(serve, app, sock),
        ]
        run_until_signalled(lambda stop: run_together(services, stop))
        _print(controller.status_line().replace("controller:", "demo: stopped;", 1))
    return EXIT_OK


def _print(line: str) -> None:
    print(line, flush=True)
