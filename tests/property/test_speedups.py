"""The C accelerator agrees with the pure-Python reference codec on every input.

Both decoders must return equal values of the same types, or both raise ``FrameError`` with
the same reason; the same for the encoders and ``EncodeError`` (or whatever else the reference
raises for a caller's misuse). The strategies are this file's own: they aim at the edges of the
accelerator's fast path (types it accepts, bounds it checks) rather than at the spec.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hemsnet.echonet import frame as codec
from hemsnet.echonet.eoj import Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Format2Frame, Frame, Property
from hemsnet.errors import FrameError

requires_speedups = pytest.mark.skipif(
    not codec.ACCELERATED,
    reason="the C accelerator hemsnet.echonet._speedups is not built or HEMSNET_PURE_PYTHON is set",
)

BYTE = st.integers(0, 0xFF)
SETGET = frozenset({Esv.SETGET, Esv.SETGET_RES, Esv.SETGET_SNA})
MUST_CARRY = frozenset(esv for esv in Esv if esv.is_request or esv in (Esv.INF, Esv.INFC))


def _shape(value: object) -> object:
    """The value with every nested type spelled out: equal tuples of other types differ."""
    if isinstance(value, tuple):
        return (type(value), tuple(_shape(item) for item in value))
    return (type(value), value)


def _outcome(function: Any, arg: object) -> tuple[object, ...]:
    try:
        return ("value", _shape(function(arg)))
    except Exception as exc:
        return ("raised", type(exc), str(exc))


def _assert_decoders_agree(data: object) -> None:
    accelerated = _outcome(codec.decode_frame, data)
    reference = _outcome(codec._decode_frame_py, data)
    assert accelerated == reference
    if reference[0] == "raised":
        assert reference[1] is FrameError  # the decoder is total


def _assert_encoders_agree(frame: object) -> None:
    assert _outcome(codec.encode_frame, frame) == _outcome(codec._encode_frame_py, frame)


# ------------------------------------------------------------------------------- strategies

edts = st.one_of(
    st.binary(max_size=4), st.binary(max_size=0xFF), st.binary(min_size=0xFF, max_size=0xFF)
)
properties = st.builds(Property, BYTE, edts)


@st.composite
def valid_frames(draw: st.DrawFn) -> Frame:
    esv = draw(st.sampled_from(tuple(Esv)))
    low = 1 if esv in MUST_CARRY else 0
    gets: tuple[Property, ...] = ()
    if esv in SETGET:  # SetGet carries a property in either part
        props = tuple(draw(st.lists(properties, max_size=6)))
        gets = tuple(draw(st.lists(properties, min_size=0 if props else low, max_size=6)))
    else:
        props = tuple(draw(st.lists(properties, min_size=low, max_size=6)))
    eojs = st.builds(Eoj, BYTE, BYTE, BYTE)
    return Frame(draw(st.integers(0, 0xFFFF)), draw(eojs), draw(eojs), esv, props, gets)


@st.composite
def mutated_frames(draw: st.DrawFn) -> bytes:
    """An encoded valid frame with one to four bytes flipped, inserted or deleted."""
    data = bytearray(codec._encode_frame_py(draw(valid_frames())))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(("flip", "insert", "delete")))
        if kind == "insert":
            data.insert(at, draw(BYTE))
        elif at < len(data):
            if kind == "flip":
                data[at] ^= 1 << draw(st.integers(0, 7))
            else:
                del data[at]
    return bytes(data)


@st.composite
def _property_part(draw: st.DrawFn) -> bytes:
    """A count then property-shaped chunks; the count and the PDCs may be off by one."""
    chunks = draw(st.lists(st.tuples(BYTE, st.binary(max_size=6), st.integers(-1, 1)), max_size=3))
    count = max(0, len(chunks) + draw(st.sampled_from((0, 0, 0, -1, 1))))
    out = bytearray((count,))
    for epc, edt, skew in chunks:
        out += bytes((epc, max(0, len(edt) + skew))) + edt
    return bytes(out)


@st.composite
def structured_bytes(draw: st.DrawFn) -> bytes:
    """A Format 1 header with any ESV, one or two property parts, maybe trailing bytes."""
    esv = draw(st.one_of(st.sampled_from([esv.value for esv in Esv]), BYTE))
    data = b"\x10\x81" + draw(st.binary(min_size=8, max_size=8)) + bytes((esv,))
    data += b"".join(draw(st.lists(_property_part(), min_size=1, max_size=2)))
    return data + draw(st.one_of(st.just(b""), st.binary(max_size=2)))


class _HashedElsewhere(int):
    """An int that equals an ESV code but hashes apart from it: not a defined ESV for Python."""

    def __hash__(self) -> int:
        return -7


class _Reversed(tuple[int, ...]):
    """A tuple whose indexing Python honours and a C fast path would not."""

    def __getitem__(self, index: Any) -> Any:
        return tuple(reversed(self))[index]


# Values that the fast path must hand back to Python: wrong types, out of range, look-alikes.
odd_ints = st.one_of(
    st.sampled_from((-1, 0x100, 0x10000, 2**70, True, False, 1.0, None, "1")),
    st.integers(-2, 0x10001),
)
odd_eojs = st.one_of(
    st.builds(Eoj, odd_ints, BYTE, BYTE),
    st.tuples(BYTE, BYTE, BYTE),
    st.tuples(BYTE, BYTE),
    st.tuples(BYTE, BYTE, BYTE, BYTE),
    st.lists(BYTE, min_size=3, max_size=3),
    st.binary(min_size=3, max_size=3),
    st.builds(lambda a, b, c: _Reversed((a, b, c)), BYTE, BYTE, BYTE),
)
odd_properties = st.one_of(
    st.builds(Property, odd_ints, edts),
    st.builds(Property, BYTE, st.binary(min_size=0x100, max_size=0x101)),
    st.builds(Property, BYTE, st.one_of(st.binary(max_size=4).map(bytearray), st.none())),
    st.tuples(BYTE, st.binary(max_size=4)),
    st.tuples(BYTE),
    st.tuples(BYTE, st.binary(max_size=4), BYTE),
    st.lists(BYTE, min_size=2, max_size=2),
)
odd_parts = st.one_of(
    # Valid properties with one odd one among them.
    st.builds(
        lambda props, odd, at: (*props[:at], odd, *props[at:]),
        st.lists(properties, max_size=3),
        odd_properties,
        st.integers(0, 3),
    ),
    st.lists(properties, min_size=1, max_size=3).map(tuple),
    st.lists(properties, max_size=3),
    st.just(()),
    st.just((Property(0x80),) * 256),
    st.none(),
)
odd_esvs = st.one_of(
    st.sampled_from(tuple(Esv)),
    st.integers(0, 0x100),
    st.sampled_from(tuple(Esv)).map(_HashedElsewhere),
    odd_ints,
)
_ODD_VALUES = (odd_ints, odd_eojs, odd_eojs, odd_esvs, odd_parts, odd_parts)


@st.composite
def frame_likes(draw: st.DrawFn) -> object:
    """Objects an encoder may be handed by mistake: wrong lengths, plain tuples, Format 2."""
    fields: list[Any] = list(draw(valid_frames()))
    if draw(st.booleans()):
        index = draw(st.integers(0, 5))
        fields[index] = draw(_ODD_VALUES[index])
    return draw(
        st.sampled_from(
            (
                tuple.__new__(Frame, fields[:5]),
                tuple.__new__(Frame, [*fields, ()]),
                tuple(fields),
                Format2Frame(fields[0], b"x"),
            )
        )
    )


# ------------------------------------------------------------------------------------ tests


@requires_speedups
@given(st.binary(max_size=300))
def test_decoders_agree_on_arbitrary_bytes(data: bytes) -> None:
    _assert_decoders_agree(data)


@requires_speedups
@given(structured_bytes())
def test_decoders_agree_on_structured_bytes(data: bytes) -> None:
    _assert_decoders_agree(data)


@requires_speedups
@given(mutated_frames())
def test_decoders_agree_on_mutated_valid_frames(data: bytes) -> None:
    _assert_decoders_agree(data)


@requires_speedups
@given(valid_frames())
def test_decoders_agree_on_valid_frames_and_round_trip(frame: Frame) -> None:
    raw = codec._encode_frame_py(frame)
    _assert_decoders_agree(raw)
    assert _shape(codec.decode_frame(raw)) == _shape(frame)
    assert codec.encode_frame(frame) == raw


@requires_speedups
@given(
    st.one_of(st.binary(max_size=40), mutated_frames()), st.sampled_from((bytearray, memoryview))
)
def test_decoders_agree_on_bytes_like_input(
    data: bytes, kind: type[bytearray | memoryview]
) -> None:
    _assert_decoders_agree(kind(data))


@requires_speedups
@pytest.mark.parametrize("data", ["1081", None, 0x1081, [0x10, 0x81], bytes], ids=repr)
def test_decoders_agree_on_non_bytes(data: object) -> None:
    _assert_decoders_agree(data)


@requires_speedups
@given(valid_frames())
def test_encoders_agree_on_valid_frames(frame: Frame) -> None:
    _assert_encoders_agree(frame)


@requires_speedups
@pytest.mark.parametrize("field", Frame._fields)
@given(data=st.data())
def test_encoders_agree_on_frames_with_an_odd_field(field: str, data: st.DataObject) -> None:
    index = Frame._fields.index(field)
    fields: list[Any] = list(data.draw(valid_frames()))
    fields[index] = data.draw(_ODD_VALUES[index])
    _assert_encoders_agree(tuple.__new__(Frame, fields))


@requires_speedups
@given(frame_likes())
def test_encoders_agree_on_frame_like_objects(frame: object) -> None:
    _assert_encoders_agree(frame)


@requires_speedups
def test_accelerated_decode_builds_the_codec_types() -> None:
    raw = bytes.fromhex("10810001028F0105FF01720280013 0E70400000001".replace(" ", ""))
    frame = codec.decode_frame(raw)
    assert type(frame) is Frame
    assert frame.esv is Esv.GET_RES
    assert type(frame.seoj) is Eoj and frame.seoj == Eoj(0x02, 0x8F, 0x01)
    assert all(type(prop) is Property and type(prop.edt) is bytes for prop in frame.properties)
    assert frame.edt_of(0xE7) == b"\x00\x00\x00\x01"
    assert codec.decode_frame(raw).seoj is frame.seoj  # interned


@pytest.mark.skipif(
    os.environ.get("HEMSNET_REQUIRE_SPEEDUPS") != "1",
    reason="HEMSNET_REQUIRE_SPEEDUPS=1 (set by `make pytest`) requires the C accelerator",
)
def test_accelerator_is_active_when_required() -> None:
    assert codec.ACCELERATED, (
        "HEMSNET_REQUIRE_SPEEDUPS=1 but hemsnet.echonet._speedups did not load: the C build "
        "failed or is stale (reinstall with `uv pip install -e .`), or HEMSNET_PURE_PYTHON is set"
    )


@requires_speedups
def test_hemsnet_pure_python_forces_the_reference_codec() -> None:
    probe = "import hemsnet.echonet.frame as f; print(f.ACCELERATED, f.decode_frame.__name__)"
    env = {**os.environ, "HEMSNET_PURE_PYTHON": "1"}
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "_decode_frame_py"]
