"""Captures dissected by the real tshark with hemsnet's generated Lua dissector, and compared
field by field with ``hemsnet decode --json``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from hemsnet.dissector.generate import generate_lua

_TIMEOUT = 120


def need_tshark() -> str:
    """tshark's path; skip without it, but fail in CI, where `make test` installs it."""
    path = shutil.which("tshark")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(
                "tshark is missing: `make test` installs it (scripts/ensure-debian-packages)"
            )
        pytest.skip("needs tshark (Debian package tshark)")
    return path


def write_lua(directory: Path) -> Path:
    lua = directory / "echonet-lite.lua"
    lua.write_text(generate_lua(), encoding="utf-8")
    return lua


@dataclass
class Dissected:
    """One ECHONET Lite frame as tshark and the Lua dissector saw it."""

    number: int
    payload: bytes
    fields: dict[str, list[str]] = field(default_factory=dict)
    properties: list[dict[str, str]] = field(default_factory=list)
    malformed: bool = False
    lua_error: bool = False

    def one(self, name: str) -> str:
        values = self.fields.get(name, [])
        assert len(values) == 1, f"frame {self.number}: {name} = {values}"
        return values[0]


def dissect(capture: Path, lua: Path) -> list[Dissected]:
    """Every UDP 3610 frame of ``capture``, dissected."""
    base = [
        need_tshark(),
        "-n",
        "-r",
        str(capture),
        "-X",
        f"lua_script:{lua}",
        "-Y",
        "udp.port == 3610",
    ]
    fields = subprocess.run(
        [*base, "-T", "fields", "-e", "frame.number", "-e", "udp.payload"],
        capture_output=True, text=True, check=True, timeout=_TIMEOUT,
    )  # fmt: skip
    assert "Lua" not in fields.stderr, fields.stderr
    frames = {}
    for line in fields.stdout.splitlines():
        number, _, payload = line.partition("\t")
        frames[int(number)] = Dissected(int(number), bytes.fromhex(payload.replace(":", "")))
    pdml = subprocess.run(
        [*base, "-T", "pdml"], capture_output=True, text=True, check=True, timeout=_TIMEOUT
    )
    root = ElementTree.fromstring(pdml.stdout)
    for packet in root.iter("packet"):
        number = int(_field(packet, "num").get("show", "0"))
        frame = frames[number]
        for item in packet.iter("field"):
            name = item.get("name", "")
            if name == "_ws.malformed" or (
                name == "_ws.expert" and "malformed" in (item.get("showname") or "").lower()
            ):
                frame.malformed = True
            if name == "_ws.lua.error" or "Lua Error" in (item.get("showname") or ""):
                frame.lua_error = True
        proto = next((p for p in packet.iter("proto") if p.get("name") == "echonet_lite"), None)
        if proto is None:
            continue
        for item in proto:
            name = item.get("name", "")
            if name == "echonet_lite.property":
                frame.properties.append(
                    {sub.get("name", "").removeprefix("echonet_lite."): _show(sub) for sub in item}
                )
            elif name.startswith("echonet_lite."):
                frame.fields.setdefault(name.removeprefix("echonet_lite."), []).append(_show(item))
            if name == "echonet_lite.malformed.expert" or "Malformed ECHONET" in (
                item.get("showname") or ""
            ):
                frame.malformed = True
        for item in proto.iter("field"):
            if item.get("name") == "echonet_lite.malformed.expert":
                frame.malformed = True
    return [frames[n] for n in sorted(frames)]


def _field(packet: ElementTree.Element, name: str) -> ElementTree.Element:
    found = next(f for f in packet.iter("field") if f.get("name") == name)
    return found


def _show(item: ElementTree.Element) -> str:
    """A field's value as tshark shows it, without its label."""
    name = item.get("name", "")
    if name in ("echonet_lite.edt",):
        return (item.get("value") or "").upper()
    show = item.get("show", "")
    return show


def decode_json(payloads: list[bytes]) -> list[dict[str, Any]]:
    """``hemsnet decode --json -`` of each payload, one JSON object each."""
    done = subprocess.run(
        [sys.executable, "-m", "hemsnet", "decode", "--json", "-"],
        input="".join(p.hex() + "\n" for p in payloads),
        capture_output=True, text=True, check=False, timeout=_TIMEOUT,
    )  # fmt: skip
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == len(payloads), done.stderr
    return rows


def compare(frames: list[Dissected]) -> int:
    """Assert that tshark and ``hemsnet decode --json`` agree on every frame, field by field;
    the number of properties compared."""
    compared = 0
    for frame, want in zip(frames, decode_json([f.payload for f in frames]), strict=True):
        assert not frame.lua_error, f"frame {frame.number}: a Lua error"
        if "error" in want:
            assert frame.malformed, f"frame {frame.number}: {want['error']}, not flagged"
            continue
        assert not frame.malformed, f"frame {frame.number} flagged malformed: {want}"
        if want["format"] == 2:
            assert int(frame.one("tid")) == want["tid"]
            continue
        got = {
            "tid": int(frame.one("tid")),
            "seoj": frame.one("seoj"),
            "seoj_class": frame.one("seoj_class"),
            "deoj": frame.one("deoj"),
            "deoj_class": frame.one("deoj_class"),
            "esv": frame.one("esv_symbol"),
        }
        assert got == {k: want[k] for k in got}, f"frame {frame.number}"
        wanted = want["properties"] + want.get("get_properties", [])
        assert len(frame.properties) == len(wanted), f"frame {frame.number}"
        for seen, row in zip(frame.properties, wanted, strict=True):
            expect = {
                "epc": row["epc"].lower(),
                "pdc": str(row["pdc"]),
                "edt": row["edt"] or None,
                "epc_name": row.get("name"),  # absent when the EDT is empty or invalid
                "value": row.get("text"),
                "invalid": "invalid" in row or None,
            }
            actual = {
                "epc": seen.get("epc"),
                "pdc": seen.get("pdc"),
                "edt": seen.get("edt"),
                "epc_name": seen.get("epc_name") if "name" in row else None,
                "value": seen.get("value"),
                "invalid": "invalid" in seen or None,
            }
            if row.get("name", "").startswith("unknown EPC"):
                actual["value"] = None  # an unknown EPC is shown in hex, decode has no text
            assert actual == expect, f"frame {frame.number} EPC {row['epc']}: {actual} != {expect}"
            compared += 1
    return compared
