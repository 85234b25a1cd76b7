"""``hemsnet dissector``: print a Wireshark Lua dissector for ECHONET Lite, generated from
hemsnet's class tables."""

from __future__ import annotations

import argparse
import sys

from hemsnet.cli.common import EXIT_OK
from hemsnet.dissector.generate import generate_lua

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "dissector",
        help="print a Wireshark Lua dissector for ECHONET Lite",
        description="Print, on standard output, a Lua dissector for Wireshark 4 generated from "
        "hemsnet's class tables: the header, the services, the objects, every property's "
        "name and its value decoded as hemsnet decode shows it (units, date-times, history "
        "arrays, signed values, no-data codes); frames that break the structure are flagged "
        "malformed, values that do not fit their property invalid. It registers on UDP 3610 "
        "(Wireshark 4.0 has no ECHONET Lite dissector of its own).",
        epilog="example: hemsnet dissector > echonet-lite.lua; "
        "tshark -X lua_script:echonet-lite.lua -r capture.pcapng -V",
    )
    parser.set_defaults(run=_run)


def _run(_: argparse.Namespace) -> int:
    sys.stdout.write(generate_lua())
    return EXIT_OK
