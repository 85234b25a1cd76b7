"""Frame codec: spec vectors, strict rejection, caller errors on encode."""

from __future__ import annotations

from typing import Any

import pytest

from hemsnet.echonet.eoj import Eoj, parse_eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Format2Frame, Frame, Property, decode_frame, encode_frame
from hemsnet.errors import EncodeError, FrameError
from tests.conftest import load_vectors

VECTORS = load_vectors("spec_examples.json")


def _props(rows: list[list[str]]) -> tuple[Property, ...]:
    return tuple(Property(int(epc, 16), bytes.fromhex(edt)) for epc, edt in rows)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_spec_example_decodes_to_documented_fields(vector: dict[str, Any]) -> None:
    raw = bytes.fromhex(vector["hex"])
    frame = decode_frame(raw)
    assert frame == Frame(
        tid=vector["tid"],
        seoj=parse_eoj(vector["seoj"]),
        deoj=parse_eoj(vector["deoj"]),
        esv=Esv[vector["esv"]],
        properties=_props(vector["properties"]),
        get_properties=_props(vector["get_properties"]),
    )
    assert encode_frame(frame) == raw


def test_e7_history_response_is_208_bytes() -> None:
    raw = bytes.fromhex(next(v for v in VECTORS if v["name"] == "12.6 Get_Res E7")["hex"])
    assert len(raw) == 208


@pytest.mark.parametrize(
    ("hexstr", "reason"),
    [
        ("", "truncated header: 0 bytes"),
        ("10", "truncated header: 1 bytes"),
        ("11", "EHD1 0x11 is not ECHONET Lite"),
        ("1081000105FF01028F0162", "truncated header: 11 bytes"),
        ("2081000105FF01028F01620180 00", "EHD1 0x20"),
        ("1083000105FF01028F0162018000", "unknown EHD2 0x83"),
        ("108200", "a Format 2 header needs 4"),
        ("1081000105FF01028F0164018000", "ESV 0x64 is reserved"),
        ("1081000105FF01028F017F018000", "ESV 0x7F is reserved"),
        ("1081000105FF01028F016200", "OPC = 0 in Get"),
        ("1081000105FF01028F017300", "OPC = 0 in INF"),
        ("1081000105FF01028F016201", "truncated property 1"),
        ("1081000105FF01028F01620180", "truncated property 1"),
        ("1081000105FF01028F0162018002 00", "EDT ends past the frame"),
        ("1081000105FF01028F0162028000", "truncated property 2 of 2"),
        ("1081000105FF01028F0162028000E203", "truncated property 2 of 2: PDC 3"),
        ("1081000105FF01028F016201800000", "1 trailing bytes"),
        ("1081000105FF01028F01620280008100FF", "1 trailing bytes"),
        ("1081000105FF01028F01720000", "1 trailing bytes"),
        ("1081000905FF01028F016E01E10102", "OPCGet missing"),
        ("1081000905FF01028F016E0000", "OPCSet = OPCGet = 0"),
        ("1081000905FF01028F016E01E1010201E700AA", "1 trailing bytes"),
    ],
)
def test_malformed_frames_are_rejected_with_a_reason(hexstr: str, reason: str) -> None:
    with pytest.raises(FrameError, match=reason):
        decode_frame(bytes.fromhex(hexstr))


def test_response_with_no_property_is_structurally_valid() -> None:
    frame = decode_frame(bytes.fromhex("10810001028F0105FF017200"))
    assert isinstance(frame, Frame)
    assert frame.properties == ()


def test_format2_is_an_opaque_payload() -> None:
    frame = decode_frame(bytes.fromhex("10820123DEADBEEF"))
    assert frame == Format2Frame(0x0123, bytes.fromhex("DEADBEEF"))
    assert encode_frame(frame) == bytes.fromhex("10820123DEADBEEF")
    assert decode_frame(bytes.fromhex("10820123")) == Format2Frame(0x0123, b"")


def test_bytes_like_input_decodes_to_immutable_bytes() -> None:
    raw = bytes.fromhex("10810001028F0105FF0172018001 30")
    for data in (bytearray(raw), memoryview(raw)):
        frame = decode_frame(data)  # type: ignore[arg-type]
        assert isinstance(frame, Frame)
        assert type(frame.properties[0].edt) is bytes


def test_non_bytes_input_is_a_frame_error() -> None:
    with pytest.raises(FrameError, match="expected bytes, got str"):
        decode_frame("1081")  # type: ignore[arg-type]


def test_tid_zero_and_max_are_ordinary() -> None:
    for tid in (0, 0xFFFF):
        frame = Frame(tid, Eoj(5, 0xFF, 1), Eoj(2, 0x8F, 1), Esv.GET, (Property(0x80),))
        assert decode_frame(encode_frame(frame)) == frame


_GOOD = Frame(1, Eoj(5, 0xFF, 1), Eoj(2, 0x8F, 1), Esv.GET, (Property(0x80),))


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (_GOOD._replace(tid=-1), "TID -1 is outside"),
        (_GOOD._replace(tid=0x10000), "TID 65536 is outside"),
        (_GOOD._replace(seoj=Eoj(5, 0x100, 1)), "SEOJ"),
        (_GOOD._replace(esv=0x64), "ESV 100 is not a defined service code"),
        (_GOOD._replace(properties=(Property(0x80),) * 256), "OPC 256 exceeds 255"),
        (_GOOD._replace(properties=(Property(0x80, b"x" * 256),)), "PDC 256 exceeds 255"),
        (_GOOD._replace(properties=(Property(0x180),)), "EPC 384 is not a byte"),
        (_GOOD._replace(properties=()), "Get must carry at least one property"),
        (_GOOD._replace(get_properties=(Property(0xE7),)), "only the SetGet family"),
        (Format2Frame(0x10000, b""), "TID 65536"),
    ],
)
def test_encoding_an_invalid_frame_is_a_caller_error(frame: Frame, reason: str) -> None:
    with pytest.raises(EncodeError, match=reason):
        encode_frame(frame)


def test_edt_of_finds_the_first_matching_property() -> None:
    frame = _GOOD._replace(properties=(Property(0x80, b"\x30"), Property(0xE5, b"\x08")))
    assert frame.edt_of(0xE5) == b"\x08"
    assert frame.edt_of(0xE7) is None
