"""``hemsnet fleet``: simulated homes (a meter and a controller each, in virtual time, with
their own stores and Route C uplinks) sending to a provider's broker (docs/provider.md)."""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import tempfile
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Final

from hemsnet.cli.common import EXIT_OK, CliError, read_secret
from hemsnet.errors import HemsnetError
from hemsnet.fleet.run import MODES, FleetPlan, FleetResult, run_fleet
from hemsnet.uplink.config import parse_broker

__all__ = ["register"]

_HOMES_MAX: Final = 100_000
_HOURS_MAX: Final = 24 * 31


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "fleet",
        help="simulate homes that send their Route C records to a provider's broker",
        description="Simulate HOMES homes, each a 0x028F meter and a Route B controller "
        "(hemsnet's own engines, in virtual time, fetching the 30-minute data) with its own "
        "SQLite store and Route C outbox, in a few processes with one MQTT connection each. "
        "Modes: backlog (simulate every home, then send it all at once: the provider's ingest "
        "rate), live (simulate --step at a time and send after each), simulate (only "
        "simulate, into --folder), replay (send what a simulate left in --folder). The homes "
        "are h00000, h00001, ...; the day simulated ends at the last midnight.",
        epilog="example: hemsnet fleet --broker mqtt://127.0.0.1:1883 --homes 100 --hours 24",
    )
    parser.add_argument("--broker", metavar="URL", help="mqtt://HOST[:PORT] (not for simulate)")
    parser.add_argument(
        "--password-file", type=Path, metavar="FILE", help="the broker password, from a file"
    )
    parser.add_argument("--homes", type=int, default=10, metavar="N", help="homes (10)")
    parser.add_argument("--hours", type=float, default=24.0, metavar="H", help="virtual hours (24)")
    parser.add_argument("--mode", choices=MODES, default="backlog", help="(backlog)")
    parser.add_argument("--processes", type=int, default=2, metavar="P", help="processes (2)")
    parser.add_argument(
        "--step",
        type=float,
        default=30.0,
        metavar="MIN",
        help="live: virtual minutes per step (30)",
    )
    parser.add_argument(
        "--speed", type=float, metavar="X", help="live: virtual time at most X times as fast as "
        "the wall clock (default: as fast as it goes)",
    )  # fmt: skip
    parser.add_argument(
        "--folder", type=Path, metavar="DIR", help="the homes' stores (default: a temporary "
        "folder, removed at the end)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=1, metavar="N", help="of home 0's meter (1)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    if not 1 <= args.homes <= _HOMES_MAX:
        raise CliError(f"--homes: give 1..{_HOMES_MAX}")
    if not 0 < args.hours <= _HOURS_MAX:
        raise CliError(f"--hours: give more than 0 and at most {_HOURS_MAX}")
    if not 1 <= args.processes <= 64 or args.step <= 0:
        raise CliError("--processes: give 1..64; --step: a positive number of minutes")
    if args.speed is not None and (args.speed <= 0 or args.mode != "live"):
        raise CliError("--speed: a positive factor, for --mode live")
    broker = None
    if args.broker is not None:
        try:
            broker = parse_broker(args.broker)
        except ValueError as exc:
            raise CliError(f"--broker: {exc}") from None
        if args.password_file is not None:
            broker = replace(broker, password=read_secret(args.password_file, "--password-file"))
    if broker is None and args.mode != "simulate":
        raise CliError(f"--mode {args.mode} needs --broker")
    if args.mode == "replay" and args.folder is None:
        raise CliError("--mode replay sends what a --mode simulate left: give its --folder")
    folder = args.folder or Path(tempfile.mkdtemp(prefix="hemsnet-fleet-"))
    folder.mkdir(parents=True, exist_ok=True)
    midnight = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
    plan = FleetPlan(
        broker=broker,
        folder=folder,
        homes=args.homes,
        hours=args.hours,
        start=midnight - timedelta(hours=args.hours),
        processes=args.processes,
        mode=args.mode,
        step=timedelta(minutes=args.step),
        seed=args.seed,
        speed=args.speed,
    )
    previous = signal.signal(signal.SIGTERM, _interrupt)  # stopped as by Ctrl-C: cleanly
    try:
        result = run_fleet(plan, lambda line: print(line, flush=True))
    except HemsnetError as exc:
        raise CliError(str(exc), 1) from None
    except KeyboardInterrupt:
        print("fleet: stopped", flush=True)
        return EXIT_OK
    finally:
        signal.signal(signal.SIGTERM, previous)
        if args.folder is None:
            shutil.rmtree(folder, ignore_errors=True)
    _print(result, as_json=args.json)
    return EXIT_OK


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _print(result: FleetResult, *, as_json: bool) -> None:
    if as_json:
        data = asdict(result)
        data["committed"] = [str(path) for path in result.committed]
        print(json.dumps(data))
        return
    rate = result.records / result.ingest_s if result.ingest_s else 0.0
    print(
        f"fleet: {result.homes:,} homes, {result.records:,} records acknowledged in "
        f"{result.ingest_s:.1f} s ({rate:,.0f}/s) after {result.simulate_s:.1f} s of "
        f"simulation; {result.batches:,} batches, {result.resent:,} sent again",
        flush=True,
    )
