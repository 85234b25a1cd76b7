"""Frame codec properties: decode is total, the codec round-trips, encode refuses bad frames.

``decode_frame`` and ``encode_frame`` are the public functions, so these tests cover the C
accelerator when it is active and the pure-Python codec under ``HEMSNET_PURE_PYTHON=1``.
"""

from __future__ import annotations

import pytest
from hypothesis import event, example, given, note, settings
from hypothesis import strategies as st

from hemsnet.echonet.eoj import Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Format2Frame, Frame, Property, decode_frame, encode_frame
from hemsnet.errors import EncodeError, FrameError
from tests.property.strategies import (
    BYTE,
    NOT_SETGET,
    RESERVED_ESV_CODES,
    SETGET_FAMILY,
    Wire,
    eojs,
    format2_frames,
    frames,
    ill_typed_frames,
    invalid_frames,
    mutated_frames,
    raw_frames,
    reference_encode,
    tids,
    wide_frames,
    wires,
)

_METER = Eoj(0x02, 0x8F, 0x01)
_CONTROLLER = Eoj(0x05, 0xFF, 0x01)
_LARGEST = Frame(0xFFFF, _METER, _CONTROLLER, Esv.GET_RES, (Property(0xFF, b"\xff" * 255),) * 255)


def _decode_or_fail(data: bytes) -> Frame | Format2Frame | None:
    """Decode under the contract: a frame, or None for a FrameError; anything else fails."""
    try:
        frame = decode_frame(data)
    except FrameError as exc:
        assert isinstance(exc.reason, str)
        assert exc.reason
        return None
    except Exception as exc:
        pytest.fail(f"decode_frame({data.hex()!r}) raised {exc!r}, not FrameError")
    assert type(frame) in (Frame, Format2Frame), f"decode_frame returned {frame!r}"
    return frame


def _assert_well_formed(frame: Frame | Format2Frame) -> None:
    """A decoded value holds only in-range ints and immutable bytes."""
    assert 0 <= frame.tid <= 0xFFFF
    if isinstance(frame, Format2Frame):
        assert type(frame.payload) is bytes
        return
    assert type(frame.seoj) is Eoj
    assert type(frame.deoj) is Eoj
    assert all(0 <= b <= 0xFF for b in (*frame.seoj, *frame.deoj))
    assert type(frame.esv) is Esv
    assert type(frame.properties) is tuple
    assert type(frame.get_properties) is tuple
    if frame.esv not in SETGET_FAMILY:
        assert frame.get_properties == ()
    for prop in (*frame.properties, *frame.get_properties):
        assert type(prop) is Property
        assert 0 <= prop.epc <= 0xFF
        assert type(prop.edt) is bytes


def check_decode_contract(data: bytes) -> Frame | Format2Frame | None:
    """Value or FrameError; a value re-encodes to the same bytes and decodes to itself."""
    frame = _decode_or_fail(data)
    event("rejected" if frame is None else f"decoded to {type(frame).__name__}")
    if frame is None:
        return None
    _assert_well_formed(frame)
    try:
        again = encode_frame(frame)
    except Exception as exc:
        pytest.fail(f"{data.hex()!r} decoded to {frame!r}, which encode_frame refused: {exc!r}")
    assert again == data, f"{data.hex()!r} decoded to {frame!r}, re-encoded as {again.hex()!r}"
    assert decode_frame(again) == frame
    return frame


# Totality -----------------------------------------------------------------------------------


@settings(max_examples=1000)
@given(st.binary(max_size=600))
@example(b"")
@example(b"\x10")
@example(b"\x10\x82\x00")
@example(b"\x10\x81" + b"\x00" * 10)
def test_arbitrary_bytes_decode_to_a_frame_or_frame_error(data: bytes) -> None:
    check_decode_contract(data)


@given(
    header=st.sampled_from((b"\x10\x81", b"\x10\x82", b"\x10")),
    tid=tids(),
    seoj=eojs(),
    deoj=eojs(),
    esv=st.one_of(st.sampled_from(tuple(Esv)), BYTE),
    tail=st.binary(max_size=300),
)
def test_bytes_behind_a_valid_header_obey_the_contract(
    header: bytes, tid: int, seoj: Eoj, deoj: Eoj, esv: int, tail: bytes
) -> None:
    """Random bytes rarely get past EHD1/EHD2/ESV; these start with a plausible header."""
    data = header + tid.to_bytes(2, "big") + bytes(seoj) + bytes(deoj) + bytes((esv,)) + tail
    for cut in (len(data), 12, len(header) + 2):
        check_decode_contract(data[:cut])


@settings(max_examples=1000)
@given(mutated_frames())
def test_mutated_frames_obey_the_contract(data: bytes) -> None:
    check_decode_contract(data)


@given(raw_frames(), st.sampled_from((bytearray, memoryview)))
def test_bytes_like_input_decodes_like_bytes(
    data: bytes, kind: type[bytearray | memoryview]
) -> None:
    frame = check_decode_contract(data)
    assert frame is not None
    assert decode_frame(kind(data)) == frame  # type: ignore[arg-type]


# Round trips --------------------------------------------------------------------------------


@given(wires())
@example(reference_encode(_LARGEST))
@example(reference_encode(Frame(0, _CONTROLLER, _METER, Esv.SETGET, (), (Property(0xE7),))))
@example(reference_encode(Frame(0, _METER, _CONTROLLER, Esv.SETGET_RES, (), ())))
@example(reference_encode(Frame(0, _METER, _CONTROLLER, Esv.GET_SNA, ())))
def test_spec_layout_decodes_to_its_frame_and_back(wire: Wire) -> None:
    """The codec agrees with an independent layout of the spec, in both directions."""
    assert decode_frame(wire.raw) == wire.frame
    assert encode_frame(wire.frame) == wire.raw
    check_decode_contract(wire.raw)


@settings(max_examples=150)
@given(wide_frames())
def test_frames_with_many_properties_round_trip(frame: Frame) -> None:
    raw = encode_frame(frame)
    assert raw == reference_encode(frame).raw
    assert decode_frame(raw) == frame


@given(st.one_of(frames(), format2_frames()))
def test_decode_inverts_encode(frame: Frame | Format2Frame) -> None:
    assert decode_frame(encode_frame(frame)) == frame


@given(raw_frames())
def test_encode_inverts_decode(data: bytes) -> None:
    frame = decode_frame(data)
    assert encode_frame(frame) == data


# Strictness ---------------------------------------------------------------------------------


@given(wires(), st.data())
def test_every_proper_prefix_of_a_format1_frame_is_rejected(
    wire: Wire, data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(wire.raw) - 1), label="cut")
    assert _decode_or_fail(wire.raw[:cut]) is None


@given(wires(), st.binary(min_size=1, max_size=16))
def test_bytes_after_the_last_property_are_rejected(wire: Wire, extra: bytes) -> None:
    assert _decode_or_fail(wire.raw + extra) is None


@given(wires(esvs=st.sampled_from(NOT_SETGET)), st.data())
def test_a_wrong_opc_is_rejected_outside_setget(wire: Wire, data: st.DataObject) -> None:
    """Outside the SetGet family the OPC alone fixes where the frame ends.

    (In a SetGet frame a shorter OPCSet can realign on a byte that reads as a valid OPCGet.)
    """
    opc = data.draw(st.integers(0, 0xFF).filter(lambda n: n != len(wire.frame.properties)))
    raw = bytearray(wire.raw)
    raw[11] = opc
    assert _decode_or_fail(bytes(raw)) is None


@given(frames(esvs=st.sampled_from(NOT_SETGET), max_opc=1).filter(lambda f: f.properties))
def test_a_wrong_pdc_of_a_lone_property_is_rejected(frame: Frame) -> None:
    """With one property outside SetGet, the PDC alone fixes where the frame ends."""
    wire = reference_encode(frame)
    for pdc in range(0x100):
        if pdc == wire.raw[wire.pdc_offsets[0]]:
            continue
        raw = bytearray(wire.raw)
        raw[wire.pdc_offsets[0]] = pdc
        assert _decode_or_fail(bytes(raw)) is None, f"PDC {pdc} accepted in {raw.hex()}"


@given(wires(), st.sampled_from(RESERVED_ESV_CODES))
def test_a_reserved_esv_is_rejected(wire: Wire, code: int) -> None:
    raw = bytearray(wire.raw)
    raw[10] = code
    assert _decode_or_fail(bytes(raw)) is None


@given(raw_frames(), BYTE.filter(lambda b: b != 0x10))
def test_an_ehd1_other_than_echonet_lite_is_rejected(data: bytes, ehd1: int) -> None:
    assert _decode_or_fail(bytes((ehd1,)) + data[1:]) is None


@given(raw_frames(), BYTE.filter(lambda b: b not in (0x81, 0x82)))
def test_an_unknown_ehd2_is_rejected(data: bytes, ehd2: int) -> None:
    assert _decode_or_fail(data[:1] + bytes((ehd2,)) + data[2:]) is None


# Encoding invalid frames --------------------------------------------------------------------


@given(invalid_frames())
@example(("opc", Frame(0, _METER, _CONTROLLER, Esv.GET_RES, (Property(0x80),) * 256)))
@example(("pdc", Frame(0, _METER, _CONTROLLER, Esv.GET_RES, (Property(0x80, b"x" * 256),))))
@example(("no_properties", Frame(0, _CONTROLLER, _METER, Esv.SETGET, (), ())))
@example(
    ("get_part_outside_setget", Frame(0, _METER, _CONTROLLER, Esv.GET_RES, (), (Property(0x80),)))
)
def test_encoding_an_invalid_frame_raises_encode_error_only(
    case: tuple[str, Frame | Format2Frame],
) -> None:
    kind, frame = case
    note(f"broken rule: {kind}")
    try:
        encoded = encode_frame(frame)
    except EncodeError as exc:
        assert str(exc)
        return
    except Exception as exc:
        pytest.fail(f"encode_frame({frame!r}) [{kind}] raised {exc!r}, not EncodeError")
    pytest.fail(f"encode_frame({frame!r}) [{kind}] returned {encoded.hex()!r}")


@given(ill_typed_frames())
@example(Format2Frame(0, -1))  # type: ignore[arg-type]
@example(Frame(0, _METER, _CONTROLLER, Esv.GET_RES, ((0x80, b"", 1),)))  # type: ignore[arg-type]
@example(Frame(0, 5, _CONTROLLER, Esv.GET_RES, ()))  # type: ignore[arg-type]
@example(Frame(0, _METER, _CONTROLLER, Esv.SETGET_RES, (), None))  # type: ignore[arg-type]
def test_encoding_ill_typed_fields_raises_encode_error_only(frame: Frame | Format2Frame) -> None:
    """Fields of the wrong type or arity: encode_frame refuses them with EncodeError only.

    (The encoder turns TypeError/ValueError/IndexError into EncodeError on purpose; its
    diagnosis and the Format 2 path must not let another exception out.)
    """
    try:
        encode_frame(frame)
    except EncodeError:
        return
    except Exception as exc:
        pytest.fail(f"encode_frame({frame!r}) raised {exc!r}, not EncodeError")


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(Format2Frame(0, 3), id="format2-int-payload"),
        pytest.param(Frame(0, (2, 0x8F, 1, 0), _CONTROLLER, Esv.GET_RES, ()), id="4-byte-seoj"),
    ],
)
def test_encode_does_not_reshape_a_field_decode_could_not_produce(
    frame: Frame | Format2Frame,
) -> None:
    """encode refuses every frame decode would reject: it must not emit bytes that decode to
    a different frame (an int payload as that many zero bytes, an EOJ cut to 3 bytes)."""
    try:
        encoded = encode_frame(frame)
    except EncodeError:
        return
    assert decode_frame(encoded) == frame, f"{frame!r} encoded as {encoded.hex()!r}"
