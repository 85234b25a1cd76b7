"""Reusable Hypothesis strategies for ECHONET Lite frames, property maps and lists.

The frame strategies follow the layout of the spec (``shared/spec/echonet-lite.md`` §2-§3),
not the codec: :func:`reference_encode` lays a frame out byte by byte on its own, so a test can
compare the codec with it instead of only with itself.

Which frames are valid is the codec's documented contract: every ESV of the spec; requests
(0x6X) and INF/INFC carry at least one property (SetGet: in either part); responses and SNAs
may carry none; only the SetGet family has a Get part; TID 0..65535, EPC 0..255, PDC 0..255,
OPC 0..255.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from hemsnet.echonet.eoj import Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Format2Frame, Frame, Property

__all__ = [
    "ALL_ESVS",
    "BYTE",
    "MUST_CARRY",
    "NOT_SETGET",
    "OPTIONAL_PROPERTIES",
    "RESERVED_ESV_CODES",
    "SETGET_FAMILY",
    "Wire",
    "class_ids",
    "edts",
    "eojs",
    "epc_sets",
    "format2_frames",
    "frames",
    "ill_typed_frames",
    "invalid_frames",
    "mutated_frames",
    "properties",
    "raw_frames",
    "reference_encode",
    "tids",
    "wide_frames",
    "wires",
]

BYTE = st.integers(0, 0xFF)
ALL_ESVS: tuple[Esv, ...] = tuple(Esv)
SETGET_FAMILY: frozenset[Esv] = frozenset({Esv.SETGET, Esv.SETGET_RES, Esv.SETGET_SNA})
# Spec §2.2/§4.3: requests and notifications exist to carry properties.
MUST_CARRY: frozenset[Esv] = frozenset(
    esv for esv in Esv if 0x60 <= esv <= 0x6F or esv in (Esv.INF, Esv.INFC)
)
OPTIONAL_PROPERTIES: frozenset[Esv] = frozenset(Esv) - MUST_CARRY
# Spec §3: "Reserved, not used".
NOT_SETGET: tuple[Esv, ...] = tuple(esv for esv in Esv if esv not in SETGET_FAMILY)
RESERVED_ESV_CODES: tuple[int, ...] = tuple(
    code for code in range(0x100) if code not in {esv.value for esv in Esv}
)


def tids() -> st.SearchStrategy[int]:
    """Any TID, with 0, 0xFFFF and the byte boundaries drawn often."""
    return st.one_of(st.sampled_from((0, 1, 0xFF, 0x100, 0xFFFE, 0xFFFF)), st.integers(0, 0xFFFF))


def eojs() -> st.SearchStrategy[Eoj]:
    return st.builds(Eoj, BYTE, BYTE, BYTE)


def edts(max_size: int = 0xFF) -> st.SearchStrategy[bytes]:
    """EDTs of every PDC 0..max_size, with the empty EDT and the longest one drawn often."""
    return st.one_of(
        st.just(b""),
        st.binary(max_size=min(4, max_size)),
        st.binary(max_size=max_size),
        st.binary(min_size=max_size, max_size=max_size),
    )


def properties(max_pdc: int = 0xFF) -> st.SearchStrategy[Property]:
    return st.builds(Property, BYTE, edts(max_pdc))


def _property_tuples(
    min_size: int, max_size: int, max_pdc: int
) -> st.SearchStrategy[tuple[Property, ...]]:
    return st.lists(properties(max_pdc), min_size=min_size, max_size=max_size).map(tuple)


@st.composite
def frames(
    draw: st.DrawFn,
    esvs: st.SearchStrategy[Esv] | None = None,
    max_opc: int = 6,
    max_pdc: int = 0xFF,
) -> Frame:
    """A valid Format 1 frame of any ESV (default: all of them), OPC 1..max_opc."""
    esv = draw(esvs if esvs is not None else st.sampled_from(ALL_ESVS))
    tid, seoj, deoj = draw(tids()), draw(eojs()), draw(eojs())
    if esv in SETGET_FAMILY:
        set_part = draw(_property_tuples(0, max_opc, max_pdc))
        get_part = draw(_property_tuples(0, max_opc, max_pdc))
        if esv is Esv.SETGET and not set_part and not get_part:
            get_part = (draw(properties(max_pdc)),)
        return Frame(tid, seoj, deoj, esv, set_part, get_part)
    low = 1 if esv in MUST_CARRY else 0
    return Frame(tid, seoj, deoj, esv, draw(_property_tuples(low, max_opc, max_pdc)))


@st.composite
def wide_frames(draw: st.DrawFn) -> Frame:
    """Frames outside SetGet with many properties (OPC up to 255) and short EDTs."""
    opc = draw(st.integers(1, 0xFF))
    return Frame(
        draw(tids()),
        draw(eojs()),
        draw(eojs()),
        draw(st.sampled_from(NOT_SETGET)),
        draw(_property_tuples(opc, opc, max_pdc=1)),
    )


def format2_frames() -> st.SearchStrategy[Format2Frame]:
    return st.builds(Format2Frame, tids(), st.binary(max_size=64))


@dataclass(frozen=True)
class Wire:
    """A frame, its bytes per the spec, and where the OPC and PDC bytes are."""

    frame: Frame
    raw: bytes
    opc_offsets: tuple[int, ...]
    pdc_offsets: tuple[int, ...]


def reference_encode(frame: Frame) -> Wire:
    """Lay a valid Format 1 frame out as spec §2.1-§2.3 describe, independently of the codec."""
    out = bytearray((0x10, 0x81, frame.tid >> 8, frame.tid & 0xFF))
    out += bytes(frame.seoj) + bytes(frame.deoj)
    out.append(frame.esv)
    opcs: list[int] = []
    pdcs: list[int] = []
    parts = [frame.properties]
    if frame.esv in SETGET_FAMILY:
        parts.append(frame.get_properties)
    for part in parts:
        opcs.append(len(out))
        out.append(len(part))
        for epc, edt in part:
            out.append(epc)
            pdcs.append(len(out))
            out.append(len(edt))
            out += edt
    return Wire(frame, bytes(out), tuple(opcs), tuple(pdcs))


def wires(esvs: st.SearchStrategy[Esv] | None = None, max_opc: int = 6) -> st.SearchStrategy[Wire]:
    return frames(esvs=esvs, max_opc=max_opc).map(reference_encode)


def raw_frames() -> st.SearchStrategy[bytes]:
    """The bytes of a valid frame, Format 1 or Format 2."""
    return st.one_of(
        wires().map(lambda wire: wire.raw),
        st.builds(
            lambda tid, payload: bytes((0x10, 0x82, tid >> 8, tid & 0xFF)) + payload,
            tids(),
            st.binary(max_size=64),
        ),
    )


_MUTATIONS = ("flip", "insert", "delete", "truncate", "extend", "opc", "pdc", "esv", "header")


@st.composite
def mutated_frames(draw: st.DrawFn) -> bytes:
    """A valid Format 1 frame with one to four mutations applied, each named in a note."""
    wire = draw(wires())
    data = bytearray(wire.raw)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(_MUTATIONS))
        if kind == "flip" and data:
            data[draw(st.integers(0, len(data) - 1))] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            data.insert(draw(st.integers(0, len(data))), draw(BYTE))
        elif kind == "delete" and data:
            at = draw(st.integers(0, len(data) - 1))
            del data[at : at + draw(st.integers(1, 4))]
        elif kind == "truncate" and data:
            del data[draw(st.integers(0, len(data) - 1)) :]
        elif kind == "extend":
            data += draw(st.binary(min_size=1, max_size=8))
        elif kind in ("opc", "pdc"):
            offsets = wire.opc_offsets if kind == "opc" else wire.pdc_offsets
            live = [at for at in offsets if at < len(data)]
            if live:
                at = draw(st.sampled_from(live))
                delta = draw(st.one_of(st.sampled_from((-1, 1)), st.integers(1, 0xFF)))
                data[at] = (data[at] + delta) % 0x100
        elif kind == "esv" and len(data) > 10:
            data[10] = draw(st.one_of(st.sampled_from(RESERVED_ESV_CODES), BYTE))
        elif kind == "header" and len(data) > 1:
            data[draw(st.integers(0, 1))] = draw(BYTE)
    return bytes(data)


_INVALID_KINDS = (
    "tid",
    "format2_tid",
    "eoj",
    "epc",
    "pdc",
    "opc",
    "reserved_esv",
    "no_properties",
    "get_part_outside_setget",
)


def _out_of_range(limit: int) -> st.SearchStrategy[int]:
    """Integers outside 0..limit, mostly just outside."""
    return st.one_of(
        st.sampled_from((-1, limit + 1)),
        st.integers(max_value=-1),
        st.integers(min_value=limit + 1),
    )


@st.composite
def invalid_frames(draw: st.DrawFn) -> tuple[str, Frame | Format2Frame]:
    """A frame the protocol cannot carry, and which rule it breaks."""
    kind = draw(st.sampled_from(_INVALID_KINDS))
    frame = draw(frames(max_opc=3, max_pdc=8))
    parts = ["properties", "get_properties"] if frame.esv in SETGET_FAMILY else ["properties"]
    part = draw(st.sampled_from(parts))
    current: tuple[Property, ...] = getattr(frame, part)
    if kind == "tid":
        return kind, frame._replace(tid=draw(_out_of_range(0xFFFF)))
    if kind == "format2_tid":
        return kind, Format2Frame(draw(_out_of_range(0xFFFF)), draw(st.binary(max_size=8)))
    if kind == "eoj":
        eoj = list(draw(eojs()))
        eoj[draw(st.integers(0, 2))] = draw(_out_of_range(0xFF))
        field = draw(st.sampled_from(("seoj", "deoj")))
        return kind, frame._replace(**{field: Eoj(*eoj)})
    if kind in ("epc", "pdc"):
        at = draw(st.integers(0, len(current)))
        bad = (
            Property(draw(_out_of_range(0xFF)), draw(edts(8)))
            if kind == "epc"
            else Property(draw(BYTE), draw(st.binary(min_size=0x100, max_size=0x120)))
        )
        return kind, frame._replace(**{part: (*current[:at], bad, *current[at:])})
    if kind == "opc":
        count = draw(st.integers(0x100, 0x104))
        return kind, frame._replace(**{part: (draw(properties(2)),) * count})
    if kind == "reserved_esv":
        code = draw(st.one_of(st.sampled_from(RESERVED_ESV_CODES), _out_of_range(0xFF)))
        return kind, frame._replace(esv=code)
    if kind == "no_properties":
        esv = draw(st.sampled_from(sorted(MUST_CARRY)))
        return kind, frame._replace(esv=esv, properties=(), get_properties=())
    # get_part_outside_setget
    esv = draw(st.sampled_from(NOT_SETGET))
    get_part = draw(_property_tuples(1, 3, 8))
    return kind, frame._replace(esv=esv, get_properties=get_part)


# Integers stay small: ``bytes(n)`` allocates n bytes, and a payload may reach it.
_ANY_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-0x101, 0x10001),
    st.floats(allow_nan=False),
    st.text(max_size=3),
    st.binary(max_size=3),
)


def _messy_int(limit: int) -> st.SearchStrategy[object]:
    return st.one_of(st.integers(0, limit), _out_of_range(limit), _ANY_SCALAR)


def _messy_eoj() -> st.SearchStrategy[object]:
    return st.one_of(
        eojs(),
        st.builds(Eoj, _messy_int(0xFF), _messy_int(0xFF), _messy_int(0xFF)),
        st.lists(BYTE, max_size=5).map(tuple),
        _ANY_SCALAR,
    )


def _messy_bytes(max_size: int) -> st.SearchStrategy[object]:
    return st.one_of(
        st.binary(max_size=max_size),
        st.binary(max_size=max_size).map(bytearray),
        st.lists(st.integers(-1, 0x100), max_size=3).filter(
            lambda v: not 0 <= min(v, default=0) <= max(v, default=0) <= 0xFF
        ),
        _ANY_SCALAR,
    )


def _messy_part() -> st.SearchStrategy[object]:
    prop = st.one_of(
        properties(8),
        st.builds(Property, _messy_int(0xFF), _messy_bytes(8)),
        st.tuples(BYTE, st.binary(max_size=2), BYTE),
        st.tuples(BYTE),
        _ANY_SCALAR,
    )
    return st.one_of(st.lists(prop, max_size=3).map(tuple), _ANY_SCALAR)


def ill_typed_frames() -> st.SearchStrategy[Frame | Format2Frame]:
    """Frames whose fields may hold any value at all: out of range, wrong type, wrong arity."""
    return st.one_of(
        st.builds(
            Frame,
            _messy_int(0xFFFF),
            _messy_eoj(),
            _messy_eoj(),
            st.one_of(st.sampled_from(ALL_ESVS), _messy_int(0xFF)),
            _messy_part(),
            _messy_part(),
        ),
        st.builds(Format2Frame, _messy_int(0xFFFF), _messy_bytes(8)),
    )


def epc_sets() -> st.SearchStrategy[frozenset[int]]:
    """Subsets of 0x80..0xFF of every size 0..128, the sizes around 16 drawn often."""
    epc = st.integers(0x80, 0xFF)
    return st.one_of(
        st.frozensets(epc, max_size=20),
        st.frozensets(epc, min_size=14, max_size=18),
        st.lists(st.booleans(), min_size=128, max_size=128).map(
            lambda mask: frozenset(0x80 + i for i, on in enumerate(mask) if on)
        ),
        st.sampled_from((frozenset(), frozenset(range(0x80, 0x100)))),
    )


def class_ids() -> st.SearchStrategy[int]:
    return st.integers(0, 0xFFFF)
