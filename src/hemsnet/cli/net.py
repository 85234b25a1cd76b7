"""``hemsnet discover``, ``get`` and ``set``: talk to ECHONET Lite nodes on one interface."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

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
from hemsnet.echonet.eoj import Eoj, parse_eoj
from hemsnet.errors import RequestRefused, ResponseTimeout

__all__ = ["register"]

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


def _run_get(args: argparse.Namespace) -> int:
    peer = _peer(args)

    async def work(client: EchonetClient) -> int:
        try:
            values = await client.get(peer, args.eoj, args.epcs, timeout=args.timeout)
        except RequestRefused as exc:
            _report(args, exc.accepted, refused=exc.refused)
            raise CliError(str(exc), EXIT_FAILED) from None
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
