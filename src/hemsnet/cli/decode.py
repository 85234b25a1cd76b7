"""``hemsnet decode``: show a frame with its services, objects and decoded properties."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

from hemsnet.cli.common import EXIT_OK, EXIT_USAGE, CliError, parse_hex
from hemsnet.cli.render import property_json, property_text
from hemsnet.devices.registry import class_def
from hemsnet.echonet.eoj import Eoj
from hemsnet.echonet.frame import Format2Frame, Frame, Property, decode_frame
from hemsnet.errors import FrameError

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "decode",
        help="decode ECHONET Lite frames given in hex",
        description="Decode a frame given in hex (spaces and colons allowed), or with '-' one "
        "frame per line from standard input. A malformed frame prints the reason; the "
        "exit status is then 2.",
        epilog="example: hemsnet decode 10810001028F0105FF0172018001 30",
    )
    parser.add_argument("hex", nargs="+", metavar="HEX", help="the frame in hex, or - for stdin")
    parser.add_argument("--json", action="store_true", help="print one JSON object per frame")
    parser.set_defaults(run=_run)


def _inputs(args: argparse.Namespace) -> Iterator[str]:
    if args.hex == ["-"]:
        for line in sys.stdin:
            if line.strip():
                yield line.strip()
    else:
        yield "".join(args.hex)


def _run(args: argparse.Namespace) -> int:
    status = EXIT_OK
    for text in _inputs(args):
        try:
            frame = decode_frame(parse_hex(text, "frame"))
        except (CliError, FrameError) as exc:
            reason = exc.reason if isinstance(exc, FrameError) else str(exc)
            status = EXIT_USAGE
            if args.json:
                print(json.dumps({"error": reason, "input": text}))
            else:
                print(f"malformed frame: {reason}", file=sys.stderr)
            continue
        print(json.dumps(_as_json(frame)) if args.json else _as_text(frame))
    return status


def _class_name(eoj: Eoj) -> str:
    table = class_def(eoj.class_id)
    return table.name if table is not None else f"class 0x{eoj.class_id:04X}"


def _value_class(frame: Frame) -> int:
    """The class whose table describes the EDTs: the target of a request, else the sender."""
    return (frame.deoj if frame.esv.is_request else frame.seoj).class_id


def _as_text(frame: Frame | Format2Frame) -> str:
    if isinstance(frame, Format2Frame):
        return f"TID 0x{frame.tid:04X}  Format 2, {len(frame.payload)} bytes of payload"
    lines = [
        f"TID 0x{frame.tid:04X}  {frame.esv.symbol} (0x{frame.esv:02X})",
        f"  from {frame.seoj} {_class_name(frame.seoj)}",
        f"  to   {frame.deoj} {_class_name(frame.deoj)}",
    ]
    class_id = _value_class(frame)
    for title, props in _parts(frame):
        lines.append(f"  {title}")
        lines.extend(f"    {property_text(class_id, p.epc, p.edt)}" for p in props)
    return "\n".join(lines)


def _parts(frame: Frame) -> list[tuple[str, tuple[Property, ...]]]:
    if frame.esv.is_setget:
        return [
            (f"Set part, OPCSet {len(frame.properties)}:", frame.properties),
            (f"Get part, OPCGet {len(frame.get_properties)}:", frame.get_properties),
        ]
    return [(f"OPC {len(frame.properties)}:", frame.properties)]


def _as_json(frame: Frame | Format2Frame) -> dict[str, Any]:
    if isinstance(frame, Format2Frame):
        return {"format": 2, "tid": frame.tid, "payload": frame.payload.hex().upper()}
    class_id = _value_class(frame)
    out: dict[str, Any] = {
        "format": 1,
        "tid": frame.tid,
        "seoj": str(frame.seoj),
        "seoj_class": _class_name(frame.seoj),
        "deoj": str(frame.deoj),
        "deoj_class": _class_name(frame.deoj),
        "esv": frame.esv.symbol,
        "esv_code": f"0x{frame.esv:02X}",
        "properties": [property_json(class_id, p.epc, p.edt) for p in frame.properties],
    }
    if frame.esv.is_setget:
        out["get_properties"] = [
            property_json(class_id, p.epc, p.edt) for p in frame.get_properties
        ]
    return out
