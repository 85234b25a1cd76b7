"""``hemsnet discover``, ``get`` and ``set``: talk to ECHONET Lite nodes on one interface."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final

from hemsnet.aio.client import EchonetClient
from hemsnet.aio.udp import Address, Interface, parse_address
from hemsnet.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    CliError,
    parse_epc,
    parse_hex,
    parse_seconds,
)
from hemsnet.cli.render import property_json, property_text
from hemsnet.controller.requests import history_epcs
from hemsnet.echonet.eoj import Eoj, parse_eoj
from hemsnet.echonet.timers import TIMER_1_MIN, TIMER_2_MIN, needs_timer_2
from hemsnet.errors import RequestRefused, ResponseTimeout

__all__ = ["register"]

#: A request still unanswered after this long says on stderr what it waits for.
SAY_AFTER: Final = 1.0

_TIMEOUT_HELP = (
    "seconds to wait for the response (default: the AIF response-wait timer, 40 s for one "
    "EPC, 180 s for several or for a history EPC)"
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    discover = commands.add_parser(
        "discover",
        help="find the ECHONET Lite nodes on a link",
        description="Multicast a Get of 0xD6 (instance list) to every node profile and list "
        "the nodes that answer, with their objects.",
    )
    _common(discover)
    discover.add_argument(
        "--wait",
        type=parse_seconds,
        default=3.0,
        metavar="S",
        help="seconds to collect answers (3)",
    )
    discover.set_defaults(run=_run_discover)

    get = commands.add_parser(
        "get",
        help="read properties of an object",
        description="Send one Get request and print each property, decoded.",
        epilog="example: hemsnet get --iface eth0 fe80::1 028F01 80 E2 E5",
    )
    _common(get)
    _target(get)
    get.add_argument("epcs", nargs="+", metavar="EPC", type=_epc, help="property codes (hex)")
    get.add_argument("--timeout", type=parse_seconds, metavar="S", help=_TIMEOUT_HELP)
    get.set_defaults(run=_run_get)

    set_ = commands.add_parser(
        "set",
        help="write properties of an object (SetC)",
        description="Send one SetC request; succeeds when the node answers Set_Res.",
        epilog="example: hemsnet set --iface eth0 fe80::1 028F01 E1=01",
    )
    _common(set_)
    _target(set_)
    set_.add_argument("values", nargs="+", metavar="EPC=HEX", type=_assignment, help="e.g. E1=01")
    set_.add_argument("--timeout", type=parse_seconds, metavar="S", help=_TIMEOUT_HELP)
    set_.set_defaults(run=_run_set)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--iface", required=True, metavar="IF", help="network interface to use")
    parser.add_argument("--ipv4", action="store_true", help="also use IPv4 (224.0.23.0)")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def _target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("address", metavar="ADDR", help="IPv6 (link-local) or IPv4 address")
    parser.add_argument("eoj", metavar="EOJ", type=_eoj, help="object, e.g. 028F01")


def _epc(text: str) -> int:
    try:
        return parse_epc(text)
    except CliError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _eoj(text: str) -> Eoj:
    try:
        return parse_eoj(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _assignment(text: str) -> tuple[int, bytes]:
    epc_text, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r} is not EPC=HEX")
    try:
        return parse_epc(epc_text), parse_hex(value, "value")
    except CliError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _with_client(args: argparse.Namespace, work: Callable[[EchonetClient], Awaitable[int]]) -> int:
    async def session() -> int:
        client = EchonetClient.open(args.iface, ipv4=args.ipv4)
        try:
            return await work(client)
        finally:
            client.close()

    return asyncio.run(session())


def _peer(args: argparse.Namespace) -> Address:
    return parse_address(args.address, Interface.lookup(args.iface))


def _run_discover(args: argparse.Namespace) -> int:
    async def work(client: EchonetClient) -> int:
        nodes = await client.discover(window=args.wait)
        if args.json:
            print(json.dumps([
                {"address": n.address.host, "instances": [str(e) for e in n.instances]}
                for n in nodes
            ]))  # fmt: skip
        elif not nodes:
            print(f"no ECHONET Lite node answered on {args.iface} within {args.wait:g} s")
        else:
            for found in nodes:
                print(f"{found.address.host}  {' '.join(str(e) for e in found.instances)}")
        return EXIT_OK

    return _with_client(args, work)


@contextlib.asynccontextmanager
async def _saying_what_it_waits_for(
    args: argparse.Namespace, epcs: list[int]
) -> AsyncIterator[None]:
    """After :data:`SAY_AFTER` s without an answer, one line on stderr: for whom, how long at
    most, and why that long."""
    if args.timeout is not None:
        seconds, why = args.timeout, "--timeout"
    elif needs_timer_2(epcs, history_epcs(args.eoj)):
        seconds, why = TIMER_2_MIN, "AIF timer 2: several EPCs or a history EPC"
    else:
        seconds, why = TIMER_1_MIN, "AIF timer 1"

    def say() -> None:
        print(
            f"hemsnet {args.command}: waiting up to {seconds:g} s for {args.eoj} at "
            f"{args.address} to answer ({why}); Ctrl-C stops",
            file=sys.stderr,
            flush=True,
        )

    handle = asyncio.get_running_loop().call_later(SAY_AFTER, say)
    try:
        yield
    finally:
        handle.cancel()


def _history_alone(args: argparse.Namespace) -> str:
    """Why a node may refuse the whole request: a history EPC among others [AIF 2.4.4]."""
    mixed = [epc for epc in args.epcs if epc in history_epcs(args.eoj)]
    if not mixed or len(args.epcs) == 1:
        return ""
    codes = ", ".join(f"0x{epc:02X}" for epc in mixed)
    return (
        f"; {codes} is a history property, which a meter answers only alone in a request "
        "[AIF 2.4.4]: get it on its own"
    )


def _run_get(args: argparse.Namespace) -> int:
    peer = _peer(args)

    async def work(client: EchonetClient) -> int:
        try:
            async with _saying_what_it_waits_for(args, args.epcs):
                values = await client.get(peer, args.eoj, args.epcs, timeout=args.timeout)
        except RequestRefused as exc:
            _report(args, exc.accepted, refused=exc.refused)
            raise CliError(f"{exc}{_history_alone(args)}", EXIT_FAILED) from None
        except ResponseTimeout as exc:
            raise CliError(f"{peer}: {exc}", EXIT_FAILED) from None
        _report(args, values, refused=())
        return EXIT_OK

    return _with_client(args, work)


def _run_set(args: argparse.Namespace) -> int:
    peer = _peer(args)
    values = dict(args.values)

    async def work(client: EchonetClient) -> int:
        try:
            async with _saying_what_it_waits_for(args, list(values)):
                await client.set(peer, args.eoj, values, timeout=args.timeout)
        except RequestRefused as exc:
            raise CliError(str(exc), EXIT_FAILED) from None
        except ResponseTimeout as exc:
            raise CliError(f"{peer}: {exc}", EXIT_FAILED) from None
        if args.json:
            print(json.dumps({"stored": [f"0x{epc:02X}" for epc in values]}))
        else:
            print(f"stored {', '.join(f'0x{epc:02X}' for epc in values)} on {args.eoj}")
        return EXIT_OK

    return _with_client(args, work)


def _report(args: argparse.Namespace, values: dict[int, bytes], refused: tuple[int, ...]) -> None:
    class_id = args.eoj.class_id
    if args.json:
        rows: list[dict[str, Any]] = [
            property_json(class_id, epc, edt) for epc, edt in values.items() if epc not in refused
        ]
        rows += [{"epc": f"0x{epc:02X}", "refused": True} for epc in refused]
        print(json.dumps(rows))
        return
    for epc, edt in values.items():
        if epc in refused:
            print(f"0x{epc:02X}  refused (SNA)")
        else:
            print(property_text(class_id, epc, edt))
