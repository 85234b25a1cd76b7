"""``hemsnet export``: a meter's stored readings as CSV or JSON, one row per grid instant."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path

from hemsnet.cli.common import EXIT_OK, CliError
from hemsnet.localtime import parse_local_time
from hemsnet.store.export import (
    MAX_EXPORT_DAYS,
    ExportQuantity,
    build_table,
    write_csv,
    write_json,
)
from hemsnet.store.model import Meter
from hemsnet.store.store import Store

__all__ = ["open_existing", "pick_meter", "register"]

_QUANTITIES = "\n".join(f"  {q.value:<11} {q.description}" for q in ExportQuantity)
_DESCRIPTION = """\
Write the readings stored for one meter, meter local time (e.g. 2026-11-14
or 2026-11-14T10:30). A row is the half-hour (or the minute, when 'minute'
is asked for) that ends at its time, and the rows are those within
[--from, --to): --from 2026-11-14 --to 2026-11-15 is that day's 48
half-hours, ending 00:30 ... 24:00, the dashboard's day. Values are exact
decimals; a cell is empty (CSV) or null (JSON) where the meter had no data
or nothing is stored.

energy, reactive and demand cover the row's half-hour; cumulative and
minute are the readings at its end. energy and reactive are computed from
the two cumulative readings that bound the half-hour, across a counter wrap
at 10^digits (0xE5, 0xCC), with the attributes in effect when the readings
arrived; a cell is empty if either reading is missing or the attributes
changed between them.

A range covers at most 400 days, in 2000-01-01 .. 2099-12-31."""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "export",
        help="write a meter's stored readings as CSV or JSON",
        description=_DESCRIPTION,
        epilog=f"quantities:\n{_QUANTITIES}\n\nexample:\n  hemsnet export --db hems.db "
        "--from 2026-11-14 --to 2026-11-15 \\\n    --quantity energy --quantity demand "
        "--format csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", required=True, type=Path, metavar="FILE", help="the database")
    parser.add_argument(
        "--from", dest="start", required=True, metavar="ISO", help="start of the range"
    )
    parser.add_argument(
        "--to", dest="end", required=True, metavar="ISO", help="end of the range (the last row)"
    )
    parser.add_argument(
        "--meter", metavar="KEY", help="the meter's key (needed when several are stored)"
    )
    parser.add_argument(
        "--quantity",
        action="append",
        required=True,
        metavar="Q",
        help="energy, demand, reactive, minute or cumulative (see below); repeatable",
    )
    parser.add_argument(
        "--format", default="csv", choices=("csv", "json"), help="output format (csv)"
    )
    parser.add_argument("--output", type=Path, metavar="FILE", help="write to FILE, not stdout")
    parser.set_defaults(run=_run)


def open_existing(path: Path) -> Store:
    """The store at ``path``, which must exist: reading commands never create one."""
    if not path.exists():
        raise CliError(f"no database at {path}")
    return Store.open(path)


def pick_meter(store: Store, key: str | None) -> Meter:
    """The meter named ``key``, or the only one stored when ``key`` is None."""
    meters = store.meters()
    keys = ", ".join(m.key for m in meters)
    if not meters:
        raise CliError(f"no meter is recorded in {store.path}")
    if key is None:
        if len(meters) > 1:
            raise CliError(f"{store.path} holds several meters, choose one with --meter: {keys}")
        return meters[0]
    for meter in meters:
        if meter.key == key:
            return meter
    raise CliError(f"no meter {key!r} in {store.path}; the meters are: {keys}")


def _time(option: str, text: str) -> datetime:
    try:
        return parse_local_time(text)
    except ValueError as exc:
        raise CliError(f"{option} {exc}") from None


def _quantity(text: str) -> ExportQuantity:
    try:
        return ExportQuantity.parse(text)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def _run(args: argparse.Namespace) -> int:
    start, end = _time("--from", args.start), _time("--to", args.end)
    if start > end:
        raise CliError(f"--from {args.start} is after --to {args.end}")
    if end - start > timedelta(days=MAX_EXPORT_DAYS):
        raise CliError(
            f"--from {args.start} --to {args.end} is more than {MAX_EXPORT_DAYS} days; "
            "export it in parts"
        )
    quantities = [_quantity(text) for text in args.quantity]
    with open_existing(args.db) as store:
        meter = pick_meter(store, args.meter)
        table = build_table(store, meter.id, quantities, start, end)
    write = write_csv if args.format == "csv" else write_json
    if args.output is None:
        write(table, sys.stdout)
        return EXIT_OK
    try:
        with args.output.open("w", encoding="utf-8", newline="") as out:
            write(table, out)
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror}") from None
    return EXIT_OK
