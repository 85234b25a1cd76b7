"""``hemsnet dashboard``: the web dashboard of a controller's SQLite store.

The same server runs inside ``hemsnet controller --web``; this command serves a store that
another process (the controller) writes, reading it only.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path

from hemsnet.cli.common import EXIT_OK, CliError, run_until_signalled
from hemsnet.cli.configs import read_configs
from hemsnet.web.app import bind, build_app, serve
from hemsnet.web.config import DashboardConfig, Listen, parse_listen, secured

__all__ = ["listen_argument", "register", "url_line"]


def listen_argument(text: str) -> Listen:
    """``--listen`` / ``--web``: ADDR:PORT, with a one-line message when it is not."""
    try:
        return parse_listen(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def url_line(config: DashboardConfig, port: int) -> str:
    """The line both commands print once the dashboard listens."""
    return f"hemsnet dashboard: {config.url(port)}"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "dashboard",
        help="serve the web dashboard of a controller's database",
        description="Serve the dashboard (30-minute demand and its forecast, energy, power "
        "factor, meter health, appliances, CSV export, in English or Japanese) and the "
        "Prometheus metrics (/metrics) of the SQLite file a controller writes. It only "
        "reads the file, polling it once a second for live values, so it can run beside "
        "the controller. Bound to 127.0.0.1 by default; on any other address the data "
        "(/api/*, /openapi.json, /metrics) needs a token (generated and printed when none "
        "is configured).",
        epilog="example: hemsnet dashboard --db hemsnet.db --config controller.toml",
    )
    parser.add_argument(
        "--db", type=Path, metavar="FILE", help="the database (default: [store] db of --config)"
    )
    parser.add_argument(
        "--listen",
        type=listen_argument,
        metavar="ADDR:PORT",
        help="where to listen, IPv6 as [::1]:8080 (default: [dashboard] listen, else "
        "127.0.0.1:8080)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="the controller's TOML file: its [dashboard] and [store] tables, and its instant "
        "poll interval for the link state",
    )
    parser.add_argument("--token", metavar="TOKEN", help="require this token (overrides config)")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    configs = read_configs(args.config)
    controller, config = configs.controller, configs.dashboard
    db = args.db or configs.deployment.db
    if db is None:
        raise CliError("--db FILE is needed (or [store] db in --config)")
    if args.listen is not None:
        config = replace(config, listen=args.listen)
    if args.token is not None:
        config = replace(config, token=args.token)
    config = secured(config)
    with bind(config.listen) as sock:
        app = build_app(db, config, datetime.now, controller, plan=configs.demand)
        print(url_line(config, sock.getsockname()[1]), flush=True)
        run_until_signalled(partial(serve, app, sock))
    return EXIT_OK
