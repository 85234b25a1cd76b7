"""Property maps 0x9D/0x9E/0x9F (and 0x9B/0x9C) in both forms [EL Appendix Annex 1].

Byte 1 is the number of properties N. With N < 16 the EPCs follow as a list (form 1); with
N >= 16 the map is always 17 bytes: a 16 x 8 bitmap where byte ``1 + (epc & 0x0F)`` holds bit
``(epc >> 4) - 8`` (form 2). A decoder picks the form from byte 1 alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

__all__ = ["decode_property_map", "encode_property_map"]

_LIST_FORM_LIMIT: Final = 16
_BITMAP_SIZE: Final = 17


def encode_property_map(epcs: Iterable[int]) -> bytes:
    """Encode a set of EPCs (0x80..0xFF); the list form keeps ascending order."""
    codes = sorted(set(epcs))
    for epc in codes:
        if not 0x80 <= epc <= 0xFF:
            raise ValueError(f"EPC 0x{epc:X} cannot be listed in a property map (0x80..0xFF)")
    if len(codes) < _LIST_FORM_LIMIT:
        return bytes([len(codes), *codes])
    bitmap = bytearray(_BITMAP_SIZE)
    bitmap[0] = len(codes)
    for epc in codes:
        bitmap[1 + (epc & 0x0F)] |= 1 << ((epc >> 4) - 8)
    return bytes(bitmap)


def decode_property_map(edt: bytes) -> frozenset[int]:
    """Decode a property map; raise ValueError if the bytes do not form one."""
    if not edt:
        raise ValueError("empty property map")
    count = edt[0]
    if count < _LIST_FORM_LIMIT:
        if len(edt) != count + 1:
            raise ValueError(f"list-form map of {count} EPCs must be {count + 1} bytes")
        codes = frozenset(edt[1:])
        if len(codes) != count:
            raise ValueError("list-form map repeats an EPC")
        if min(codes, default=0x80) < 0x80:
            raise ValueError(f"EPC 0x{min(codes):02X} below 0x80 cannot be in a property map")
        return codes
    if len(edt) != _BITMAP_SIZE:
        raise ValueError(f"bitmap-form map ({count} EPCs) must be 17 bytes, got {len(edt)}")
    codes = frozenset(
        0x80 | (bit << 4) | low for low in range(16) for bit in range(8) if edt[1 + low] >> bit & 1
    )
    if len(codes) != count:
        raise ValueError(f"bitmap-form map says {count} EPCs but marks {len(codes)}")
    return codes
