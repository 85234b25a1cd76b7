"""``hemsnet control``: demand control seen from the command line: what it decided, and a
manual override that pauses it for one appliance (docs/energy-management.md E9).

``pause NAME`` and ``resume NAME`` write the override into the store; the running controller
reads it within seconds and never commands a paused appliance. ``actions`` lists the
decisions stored, with the projection that caused them and their outcome.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from pathlib import Path

from hemsnet.cli.common import EXIT_OK, CliError
from hemsnet.cli.configs import read_configs
from hemsnet.cli.export import open_existing

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "control",
        help="pause or resume demand control of an appliance; list its decisions",
        description="Demand control keeps the 30-minute demand under the target of [demand] "
        "in the controller's --config by commanding the appliances listed there. 'pause NAME' "
        "stops it commanding NAME until 'resume NAME' (the running controller reads the "
        "store within 5 s); 'actions' lists the decisions of the last HOURS hours.",
        epilog="example: hemsnet control pause aircon-2f --db hems.db --config hemsnet.toml",
    )
    parser.add_argument("what", choices=("pause", "resume", "actions"), help="what to do")
    parser.add_argument("name", nargs="?", help="the appliance's name in [demand] (pause, resume)")
    parser.add_argument("--db", type=Path, metavar="FILE", help="the store (or [store] db)")
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="the controller's TOML, whose [demand] names it"
    )
    parser.add_argument(
        "--hours", type=float, default=24.0, metavar="H", help="actions: how far back (24)"
    )
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    configs = read_configs(args.config)
    db = args.db or configs.deployment.db
    if db is None:
        raise CliError("--db FILE is needed (or [store] db in --config)")
    now = datetime.now()
    with open_existing(db) as store:
        if args.what == "actions":
            if args.hours <= 0:
                raise CliError("--hours must be positive")
            for a in store.actions(now - timedelta(hours=args.hours), now + timedelta(days=1)):
                projected = "-" if a.projected_kw is None else f"{a.projected_kw:.0f} kW"
                print(
                    f"{a.decided_at.isoformat(' ', 'seconds')}  {a.kind:7} {a.appliance}  "
                    f"step {a.step}  projected {projected}  {a.outcome}  {a.reason}"
                )
            return EXIT_OK
        if not args.name:
            raise CliError(f"control {args.what}: name the appliance (its name in [demand])")
        plan = configs.demand
        if args.config is not None and plan.named(args.name) is None:
            known = ", ".join(a.name for a in plan.appliances) or "none"
            raise CliError(f"{args.name!r} is not in [demand] of {args.config} (known: {known})")
        store.set_override(args.name, args.what == "pause", now, "cli")
    print(f"hemsnet control: demand control of {args.name} {args.what}d")
    return EXIT_OK
