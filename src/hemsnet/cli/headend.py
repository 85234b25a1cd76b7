"""``hemsnet headend``: the utility's head-end system / MDMS emulator of Route A
[G.9958 I.1(1)] (docs/route-a.md)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from hemsnet.aio.services import run_together
from hemsnet.cli.common import EXIT_FAILED, EXIT_OK, CliError, run_until_signalled
from hemsnet.routea.headend.api import build_app
from hemsnet.routea.headend.collect import Collector
from hemsnet.routea.headend.config import HeadEndConfig, load_headend
from hemsnet.routea.headend.store import ConsentError, MdmsStore
from hemsnet.web.app import bind, serve

__all__ = ["register"]

_DESCRIPTION = """\
The utility's head-end system and MDMS of Route A [G.9958 I.1(1)]: it reads the meters of
its configuration over the utility network (ECHONET Lite: the 30-minute cumulative energies
and their day histories), keeps them in its own SQLite file, and shares them with a HEMS
provider over an HTTP API only for meters whose customer's consent is on record. Every share
and every refused attempt is audited."""
_EXAMPLE = """\
example:
  hemsnet headend consent grant --config headend.toml --meter UM-0001 --home h0001 \\
      --provider acme --by "customer h0001 (web form 42)"
  hemsnet headend run --config headend.toml
  hemsnet headend consent revoke --config headend.toml --meter UM-0001 --provider acme \\
      --by "customer h0001"
  hemsnet headend audit --config headend.toml"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument(
        "--config", required=True, type=Path, metavar="FILE",
        help="the head-end's TOML file (meters, providers, database, API; docs/route-a.md)",
    )  # fmt: skip
    parser = commands.add_parser(
        "headend",
        help="the utility's head-end/MDMS of Route A: collect, consent, share, audit",
        description=_DESCRIPTION,
        epilog=_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    run = actions.add_parser(
        "run", parents=[config], help="collect from the meters and serve the sharing API"
    )
    run.add_argument(
        "--once", action="store_true",
        help="collect one round, print what each meter gave, and exit (no API); exit 1 if a "
        "meter failed",
    )  # fmt: skip
    run.set_defaults(run=_run)
    consent = actions.add_parser("consent", help="the customers' consent to share their data")
    verbs = consent.add_subparsers(dest="verb", metavar="VERB", required=True)
    grant = verbs.add_parser(
        "grant", parents=[config], help="record a customer's consent to share a meter's data"
    )
    _consent_options(grant, home=True)
    grant.set_defaults(run=_grant)
    revoke = verbs.add_parser(
        "revoke", parents=[config], help="end a consent: sharing stops at once"
    )
    _consent_options(revoke, home=False)
    revoke.set_defaults(run=_revoke)
    listing = verbs.add_parser("list", parents=[config], help="every consent, on and revoked")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=_list)
    audit = actions.add_parser(
        "audit", parents=[config], help="the newest audit rows: every share and refusal"
    )
    audit.add_argument("--limit", type=int, default=50, metavar="N", help="rows to show (50)")
    audit.add_argument("--json", action="store_true", help="print JSON")
    audit.set_defaults(run=_audit)


def _consent_options(parser: argparse.ArgumentParser, *, home: bool) -> None:
    parser.add_argument("--meter", required=True, metavar="ID", help="the utility's meter ID")
    if home:
        parser.add_argument("--home", required=True, metavar="ID", help="the customer's home ID")
    parser.add_argument("--provider", required=True, metavar="NAME", help="the HEMS provider")
    parser.add_argument(
        "--by", required=True, metavar="WHO", help="who records it (kept with the consent)"
    )


def _open(args: argparse.Namespace) -> tuple[HeadEndConfig, MdmsStore]:
    config = load_headend(args.config)
    store = MdmsStore(config.db)
    store.register_meters((m.meter_id, m.class_id) for m in config.meters)
    return config, store


def _run(args: argparse.Namespace) -> int:
    config, store = _open(args)
    if not config.meters:
        store.close()
        raise CliError(f"{args.config}: no [[meter]] to collect from")
    collector = Collector(
        store, config.meters, history_days=config.history_days, timeout=config.timeout
    )
    with store:
        if args.once:
            return asyncio.run(_once(collector))
        sock = bind(config.listen)
        port = sock.getsockname()[1]
        print(
            f"hemsnet headend: {len(config.meters)} meters, MDMS {config.db}, sharing API on "
            f"{config.listen.url(port)} for {len(config.providers)} providers",
            flush=True,
        )
        app = build_app(store, config.providers)

        async def collect(stop: asyncio.Event) -> None:
            collector.open()
            try:
                await collector.run(stop, config.interval)
            finally:
                collector.close()

        async def share(stop: asyncio.Event) -> None:
            await serve(app, sock, stop)

        run_until_signalled(lambda stop: run_together([collect, share], stop))
    return EXIT_OK


async def _once(collector: Collector) -> int:
    collector.open()
    try:
        rounds = await collector.collect()
    finally:
        collector.close()
    for r in rounds:
        if r.error is not None:
            print(f"{r.meter_id}: failed: {r.error}")
        else:
            latest = "-" if r.latest is None else r.latest.isoformat()
            print(f"{r.meter_id}: {r.new} new readings, latest {latest}")
    return EXIT_FAILED if any(r.error is not None for r in rounds) else EXIT_OK


def _grant(args: argparse.Namespace) -> int:
    _, store = _open(args)
    with store:
        try:
            consent = store.grant(args.meter, args.home, args.provider, args.by, _now())
        except ConsentError as exc:
            raise CliError(str(exc)) from None
    print(f"consent {consent.id}: {consent.meter_id} of home {consent.home} to "
          f"{consent.provider}, on since {consent.granted_at}")  # fmt: skip
    return EXIT_OK


def _revoke(args: argparse.Namespace) -> int:
    _, store = _open(args)
    with store:
        try:
            consent = store.revoke(args.meter, args.provider, args.by, _now())
        except ConsentError as exc:
            raise CliError(f"{exc} (see: hemsnet headend consent list)") from None
    print(
        f"consent {consent.id}: {consent.meter_id} to {consent.provider} revoked at "
        f"{consent.revoked_at}; sharing stopped (what was shared before stays shared)"
    )
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    _, store = _open(args)
    with store:
        consents = store.consents()
    if args.json:
        json.dump([asdict(c) | {"on": c.on} for c in consents], sys.stdout, indent=1)
        print()
        return EXIT_OK
    for c in consents:
        state = "on" if c.on else f"revoked {c.revoked_at} by {c.revoked_by}"
        print(f"{c.id:>4} {c.meter_id} home {c.home} to {c.provider}: granted {c.granted_at} "
              f"by {c.granted_by}; {state}")  # fmt: skip
    if not consents:
        print("no consent on record")
    return EXIT_OK


def _audit(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    _, store = _open(args)
    with store:
        entries = store.audit(args.limit)
    if args.json:
        json.dump([asdict(e) for e in entries], sys.stdout, indent=1)
        print()
        return EXIT_OK
    for e in entries:
        verdict = "shared" if e.allowed else "REFUSED"
        span = ""
        if e.request == "readings" and e.allowed:
            span = f" seq {e.after_seq}..{e.through_seq}, {e.rows} rows"
            if e.rows:
                span += f" measured {e.first_measured}..{e.last_measured}"
        repeats = f" (+{e.repeats} more)" if e.repeats else ""
        print(f"{e.at} {verdict} {e.request} {e.meter_id or '-'} to {e.provider or '?'} "
              f"from {e.remote}{span}: {e.reason}{repeats}")  # fmt: skip
    return EXIT_OK


def _now() -> datetime:
    return datetime.now(UTC)
