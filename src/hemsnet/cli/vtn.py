"""``hemsnet vtn``: a provider's OpenADR 2.0b VTN for tests and demos: it registers the
customer's VEN (``hemsnet controller`` with ``[openadr]``), sends it one demand-response event
and prints its opt-in or opt-out and the telemetry it reports."""

from __future__ import annotations

import argparse
from datetime import timedelta

from hemsnet.cli.common import EXIT_OK, CliError, run_until_signalled
from hemsnet.cli.dashboard import listen_argument

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "vtn",
        help="run an OpenADR 2.0b VTN that sends the controller one demand-response event",
        description="Serve OpenADR 2.0b (Simple HTTP profile, plain HTTP, unsigned) at "
        "http://ADDR:PORT/OpenADR2/Simple/2.0b for one VEN, and send it one event: a load "
        "target (--setpoint KW, LOAD_DISPATCH setpoint) or a level (--level 0..3, SIMPLE) from "
        "--after S seconds on for --minutes M. Prints the registration, the VEN's opt-in or "
        "opt-out, and its telemetry. Ctrl-C stops it.",
        epilog="example: hemsnet vtn --listen [::]:8081 --setpoint 300 --after 60 --minutes 30",
    )
    parser.add_argument(
        "--listen", type=listen_argument, required=True, metavar="ADDR:PORT", help="where"
    )
    parser.add_argument("--ven", default="hemsnet", metavar="NAME", help="the VEN (hemsnet)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--setpoint", type=float, metavar="KW", help="the load target in kW")
    what.add_argument("--level", type=int, metavar="N", help="a SIMPLE level 0..3")
    parser.add_argument("--after", type=float, default=0.0, metavar="S", help="start in S s (0)")
    parser.add_argument("--minutes", type=float, default=30.0, metavar="M", help="length (30)")
    parser.add_argument(
        "--poll", type=float, default=10.0, metavar="S", help="the VEN polls every S s (10)"
    )
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    if args.setpoint is not None and args.setpoint <= 0:
        raise CliError("--setpoint must be a positive number of kW")
    if args.level is not None and not 0 <= args.level <= 3:
        raise CliError("--level: give 0..3")
    if args.minutes <= 0 or args.after < 0 or args.poll <= 0:
        raise CliError("--minutes and --poll must be positive, --after not negative")
    try:
        from hemsnet.uplink.vtn import DrEventSpec, Vtn
    except ImportError:
        raise CliError("OpenADR needs openleadr: pip install 'hemsnet[openadr]'") from None
    event = None
    window = (timedelta(seconds=args.after), timedelta(minutes=args.minutes))
    if args.setpoint is not None:
        event = DrEventSpec("LOAD_DISPATCH", "setpoint", args.setpoint, *window)
    elif args.level is not None:
        event = DrEventSpec("SIMPLE", "level", float(args.level), *window)
    vtn = Vtn(
        args.listen.host,
        args.listen.port,
        args.ven,
        event,
        timedelta(seconds=args.poll),
        lambda line: print(line, flush=True),
    )
    print(f"hemsnet vtn: {args.listen.url().rstrip('/')}/OpenADR2/Simple/2.0b", flush=True)
    run_until_signalled(vtn.run)
    return EXIT_OK
