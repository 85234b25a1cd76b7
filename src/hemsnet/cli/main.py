"""Entry point of the ``hemsnet`` command: parses arguments, runs one subcommand.

User errors (bad arguments, an unusable interface, a frame that does not decode) print one
line on stderr and exit non-zero; they never show a traceback.

Exit codes: 0 success, 1 the operation failed (a request timed out or was refused),
2 a usage, input or configuration error, 141 the reader of the output went away.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence

from hemsnet import __version__
from hemsnet.cli import (
    appliance,
    conformance,
    control,
    controller,
    dashboard,
    decode,
    demo,
    dissector,
    dongle,
    export,
    fleet,
    headend,
    homenet,
    meter,
    net,
    provider,
    provider_demo,
    route_a,
    status,
    vtn,
)
from hemsnet.cli.common import EXIT_BROKEN_PIPE, EXIT_FAILED, EXIT_USAGE, CliError
from hemsnet.errors import HemsnetError
from hemsnet.store.store import RECOVERY_HINT

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hemsnet",
        description="ECHONET Lite over IPv6 for home and building energy management.",
    )
    parser.add_argument("--version", action="version", version=f"hemsnet {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (-v info, -vv debug)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    decode.register(commands)
    net.register(commands)
    meter.register(commands)
    appliance.register(commands)
    controller.register(commands)
    dongle.register(commands)
    control.register(commands)
    dashboard.register(commands)
    demo.register(commands)
    export.register(commands)
    status.register(commands)
    homenet.register(commands)
    conformance.register(commands)
    dissector.register(commands)
    vtn.register(commands)
    headend.register(commands)
    route_a.register(commands)
    fleet.register(commands)
    provider.register(commands)
    provider_demo.register(commands)
    for command in commands.choices.values():  # -v after the command too, as the README shows
        command.add_argument(
            "-v",
            "--verbose",
            action="count",
            default=argparse.SUPPRESS,
            help="log more (-v info, -vv debug)",
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        code: int = args.run(args)
    except CliError as exc:
        print(f"hemsnet {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except HemsnetError as exc:
        print(f"hemsnet {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except sqlite3.DatabaseError as exc:  # damage the quick check at opening did not see
        db = getattr(args, "db", None) or "FILE"
        print(
            f"hemsnet {args.command}: the database could not be read ({exc}); "
            + RECOVERY_HINT.format(path=db),
            file=sys.stderr,
        )
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``hemsnet ... | head``): nothing more to say, and Python must
        # not complain when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return code
