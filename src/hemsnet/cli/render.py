"""Properties as people and scripts read them: decoded by the class tables, with units."""

from __future__ import annotations

from typing import Any

from hemsnet.devices.registry import decode_property, lookup
from hemsnet.devices.values import to_jsonable
from hemsnet.errors import InvalidValue

__all__ = ["property_json", "property_text"]


def property_text(class_id: int, epc: int, edt: bytes) -> str:
    """``0xE5 Number of effective digits ...: 8 digits``; invalid or unknown values in hex."""
    prop = lookup(class_id, epc)
    name = prop.name if prop is not None else f"unknown EPC 0x{epc:02X}"
    if not edt:
        return f"0x{epc:02X}  {name}: (no EDT)"
    try:
        decoded = decode_property(class_id, epc, edt)
    except InvalidValue as exc:
        return f"0x{epc:02X}  {name}: INVALID {exc.reason}: {edt.hex(' ').upper()}"
    return f"0x{epc:02X}  {decoded.name}: {decoded.description}"


def property_json(class_id: int, epc: int, edt: bytes) -> dict[str, Any]:
    """The property as a JSON object: code, name, raw EDT and the decoded value."""
    row: dict[str, Any] = {"epc": f"0x{epc:02X}", "pdc": len(edt), "edt": edt.hex().upper()}
    if not edt:
        return row
    try:
        decoded = decode_property(class_id, epc, edt)
    except InvalidValue as exc:
        row["invalid"] = exc.reason
        return row
    row["name"] = decoded.name
    if decoded.known:
        row["value"] = to_jsonable(decoded.value)
        row["text"] = decoded.description
        if decoded.prop is not None and decoded.prop.quantity is not None:
            row["scaled_by"] = decoded.prop.quantity.name.lower()
    return row
