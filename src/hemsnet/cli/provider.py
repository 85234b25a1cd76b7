"""``hemsnet provider``: the HEMS provider's service, consuming the homes' Route C batches
from the provider's broker into PostgreSQL (docs/provider.md)."""

from __future__ import annotations

import argparse
import logging
import os
from dataclasses import replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Final

from hemsnet.cli.common import EXIT_OK, CliError, read_secret, run_until_signalled
from hemsnet.cli.dashboard import listen_argument
from hemsnet.uplink.config import Broker, parse_broker
from hemsnet.web.app import bind

__all__ = ["register"]

DB_ENV: Final = "HEMSNET_PROVIDER_DB"
_WORKERS_MAX: Final = 64
_DAYS_MAX: Final = 3660


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= _WORKERS_MAX:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers 1..{_WORKERS_MAX}")
    return int(text)


def _days(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= _DAYS_MAX:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days 0..{_DAYS_MAX}")
    return int(text)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "provider",
        help="run the HEMS provider's service: Route C batches into PostgreSQL",
        description="Consume the homes' Route C batches (docs/route-c.md) from the provider's "
        "MQTT broker with MQTT 5 shared subscriptions, store them in PostgreSQL (idempotent, "
        "tables partitioned by month; the schema is made and migrated at start) and "
        "acknowledge each batch once committed. Optionally serve the fleet API and page. "
        "SIGINT or SIGTERM stops it cleanly.",
        epilog="example: HEMSNET_PROVIDER_DB=postgresql://hemsnet@127.0.0.1/hemsnet "
        "hemsnet provider --broker mqtts://provider@broker.example:8883 --password-file "
        "/run/credentials/mqtt --workers 2 --web 127.0.0.1:8090",
    )
    parser.add_argument(
        "--broker",
        required=True,
        metavar="URL",
        help="the broker: mqtt://[USER[:PASSWORD]@]HOST[:PORT] or mqtts:// for TLS",
    )
    parser.add_argument(
        "--password-file", type=Path, metavar="FILE", help="the broker password from this file"
    )
    parser.add_argument(
        "--ca", type=Path, metavar="FILE", help="CA certificates for mqtts:// (default: system's)"
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help=f"PostgreSQL, postgresql://USER@HOST[:PORT]/DB (default: ${DB_ENV}; a password is "
        "better in ~/.pgpass or $PGPASSWORD than in the URL)",
    )
    parser.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="workers on the shared subscription: this process and N-1 more (default 1)",
    )
    parser.add_argument(
        "--web",
        type=listen_argument,
        metavar="ADDR:PORT",
        help="serve the fleet API and page here (default: none); an address other than "
        "loopback needs --token-file",
    )
    parser.add_argument(
        "--token-file", type=Path, metavar="FILE", help="require the token in FILE on the API"
    )
    parser.add_argument(
        "--accept-days-back",
        type=_days,
        default=400,
        metavar="DAYS",
        help="refuse records measured longer ago than this (default 400)",
    )
    parser.add_argument(
        "--accept-days-ahead",
        type=_days,
        default=7,
        metavar="DAYS",
        help="refuse records measured further ahead of this clock than this (default 7)",
    )
    parser.set_defaults(run=_run)


def _broker(args: argparse.Namespace) -> Broker:
    try:
        broker = parse_broker(args.broker)
    except ValueError as exc:  # the message quotes the URL: it may hold a password
        message = str(exc).replace(repr(args.broker), "the URL")
        raise CliError(f"--broker: {message}") from None
    if args.password_file is not None:
        broker = replace(broker, password=read_secret(args.password_file, "--password-file"))
    if args.ca is not None and not broker.tls:
        raise CliError("--ca is for an mqtts:// broker")
    return broker


def _run(args: argparse.Namespace) -> int:
    broker = _broker(args)
    database_url = args.db or os.environ.get(DB_ENV, "")
    if not database_url:
        raise CliError(f"--db URL is needed (or ${DB_ENV})")
    try:
        from psycopg.conninfo import conninfo_to_dict

        from hemsnet.provider.database import describe
        from hemsnet.provider.fields import TimeWindow
        from hemsnet.provider.service import ProviderConfig, run_provider
    except ImportError:
        raise CliError("the provider needs psycopg 3: pip install 'hemsnet[provider]'") from None
    try:
        conninfo_to_dict(database_url)
    except Exception:  # psycopg.ProgrammingError; the message may quote the URL's password
        raise CliError("--db: not a PostgreSQL URL (postgresql://USER@HOST:PORT/DB)") from None
    token = "" if args.token_file is None else read_secret(args.token_file, "--token-file")
    if args.web is not None and not args.web.loopback and not token:
        raise CliError(f"--web {args.web}: off loopback the fleet data needs --token-file FILE")
    config = ProviderConfig(
        broker=broker,
        database_url=database_url,
        ca_file=args.ca,
        workers=args.workers,
        token=token,
        window=TimeWindow(
            timedelta(days=args.accept_days_back), timedelta(days=args.accept_days_ahead)
        ),
        log_level=logging.getLogger().level,
    )
    print(f"hemsnet provider: {broker} -> {describe(database_url)}, {args.workers} worker(s)",
          flush=True)  # fmt: skip
    if args.web is None:
        run_until_signalled(partial(run_provider, config, None))
        return EXIT_OK
    with bind(args.web) as sock:
        print(f"hemsnet provider: fleet page {args.web.url(sock.getsockname()[1])}", flush=True)
        run_until_signalled(partial(run_provider, config, sock))
    return EXIT_OK
