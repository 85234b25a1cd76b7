"""``hemsnet route-a``: the HEMS provider's side of Route A, import and reconcile
(docs/route-a.md). PostgreSQL through psycopg 3, an extra: loaded only when used."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from hemsnet import localtime
from hemsnet.cli.common import EXIT_FAILED, EXIT_OK, CliError
from hemsnet.routea.provider_side.config import ProviderRouteA, load_provider_route_a

__all__ = ["register"]

_DESCRIPTION = """\
The provider's side of Route A [G.9958 I.1(1)]: 'import' fetches the readings the utility's
head-end shares (for the meters whose consent is on record) into PostgreSQL table
route_a_reading; 'reconcile' compares them with the homes' Route B readings (table reading)
and reports, per meter, half-hours where the routes disagree and half-hours only one has."""
_EXAMPLE = """\
example:
  hemsnet route-a import --config route-a.toml
  hemsnet route-a reconcile --config route-a.toml --json"""
_SHOWN = 5  # mismatches of each kind printed per meter without --json


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", required=True, type=Path, metavar="FILE",
        help="the provider's Route A TOML file (head-end, token, meters; docs/route-a.md)",
    )  # fmt: skip
    common.add_argument(
        "--db-url", metavar="URL", help="PostgreSQL URL (default: [database] url of --config)"
    )
    parser = commands.add_parser(
        "route-a",
        help="the provider's Route A: import the head-end's shares, reconcile with Route B",
        description=_DESCRIPTION,
        epilog=_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    importing = actions.add_parser(
        "import", parents=[common], help="fetch the consented meters' new readings"
    )
    importing.set_defaults(run=_import)
    rec = actions.add_parser(
        "reconcile", parents=[common], help="report where Route A and Route B disagree"
    )
    rec.add_argument(
        "--tolerance", metavar="KWH",
        help="difference allowed before it is reported (default: [reconcile] tolerance, 0)",
    )  # fmt: skip
    rec.add_argument("--from", dest="start", metavar="ISO", help="first half-hour (meter time)")
    rec.add_argument("--to", dest="end", metavar="ISO", help="end of the range, excluded")
    rec.add_argument("--json", action="store_true", help="print the report as JSON")
    rec.set_defaults(run=_reconcile)


def _connect(args: argparse.Namespace, config: ProviderRouteA) -> Any:
    """A connection to the provider's database; psycopg, an extra, is imported here first,
    and so are the modules that need it (by the callers, after this)."""
    try:
        import psycopg
    except ImportError:
        raise CliError("route-a needs psycopg: pip install 'hemsnet[provider]'") from None
    url = args.db_url or config.db_url
    if not url:
        raise CliError("no database: give --db-url or [database] url in the config")
    try:
        return psycopg.connect(url, autocommit=True)
    except psycopg.Error as exc:
        raise CliError(f"cannot connect to the database: {_first_line(exc)}", EXIT_FAILED) from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _import(args: argparse.Namespace) -> int:
    config = load_provider_route_a(args.config)
    with _connect(args, config) as connection:
        import psycopg

        from hemsnet.routea.provider_side.importer import HeadEndUnreachable, import_route_a

        try:
            results = import_route_a(
                connection,
                config,
                lambda r: print(
                    f"{r.meter} (home {r.home}): {r.fetched} readings fetched, "
                    f"{r.stored} half-hours stored, cursor {r.cursor}"
                    + (f"; refused: {r.refused}" if r.refused else ""),
                    flush=True,
                ),
            )
        except HeadEndUnreachable as exc:
            raise CliError(str(exc), EXIT_FAILED) from None
        except psycopg.Error as exc:
            raise CliError(f"the database failed: {_first_line(exc)}", EXIT_FAILED) from None
    if not results:
        print("no meter is shared with this provider (no consent on record)")
    return EXIT_OK


def _reconcile(args: argparse.Namespace) -> int:
    config = load_provider_route_a(args.config)
    tolerance = config.tolerance if args.tolerance is None else _tolerance(args.tolerance)
    since = _time("--from", args.start)
    until = _time("--to", args.end)
    with _connect(args, config) as connection:
        import psycopg

        from hemsnet.routea.provider_side.importer import prepare
        from hemsnet.routea.provider_side.reconcile import reconcile, report_json

        try:
            prepare(connection, config.meters)
            if connection.execute("SELECT to_regclass('reading')").fetchone()[0] is None:
                raise CliError("the database has no Route B table 'reading' (hemsnet provider's)")
            results = reconcile(connection, tolerance=tolerance, since=since, until=until)
        except psycopg.Error as exc:
            raise CliError(f"the database failed: {_first_line(exc)}", EXIT_FAILED) from None
    if args.json:
        json.dump(report_json(results, tolerance), sys.stdout, indent=1)
        print()
        return EXIT_OK
    for r in results:
        span = "no half-hour both routes cover" if r.start is None else f"{r.start}..{r.end}"
        print(
            f"{r.meter} (home {r.home}, Route B {r.route_b_meter}): {span}; "
            f"{r.compared} compared, {len(r.disagreements)} disagree, "
            f"{len(r.route_a_only)} only in Route A, {len(r.route_b_only)} only in Route B"
        )
        for label, found in (("disagree", r.disagreements), ("only A", r.route_a_only),
                             ("only B", r.route_b_only)):  # fmt: skip
            for m in found[:_SHOWN]:
                print(f"  {label}: {m.measured_at} {m.series} A={m.route_a} B={m.route_b}")
            if len(found) > _SHOWN:
                print(f"  {label}: … {len(found) - _SHOWN} more (--json lists all)")
    return EXIT_OK


def _tolerance(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CliError(f"--tolerance {text!r} is not a number of kWh") from None
    if not value.is_finite() or value < 0:
        raise CliError(f"--tolerance {text!r} must be 0 or more kWh")
    return value


def _time(option: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return localtime.parse_local_time(text)
    except ValueError as exc:
        raise CliError(f"{option} {exc}") from None
