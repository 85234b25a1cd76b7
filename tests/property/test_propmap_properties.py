"""Property maps (spec §6), instance lists and class lists (spec §5): round trips and totality."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hemsnet.echonet.eoj import Eoj
from hemsnet.echonet.instance_list import (
    MAX_CLASSES,
    MAX_INSTANCES,
    ClassList,
    InstanceList,
    decode_class_list,
    decode_instance_list,
    encode_class_list,
    encode_instance_list,
)
from hemsnet.echonet.propmap import decode_property_map, encode_property_map
from tests.property.strategies import class_ids, eojs, epc_sets

# Property maps ------------------------------------------------------------------------------


def _reference_bitmap(epcs: frozenset[int]) -> bytes:
    """Spec §6 form 2, written out: byte 1 + (EPC & 0x0F), bit (EPC >> 4) - 8."""
    rows = [0] * 16
    for epc in epcs:
        rows[epc & 0x0F] |= 1 << ((epc >> 4) - 8)
    return bytes((len(epcs), *rows))


@given(epc_sets())
def test_property_map_round_trips(epcs: frozenset[int]) -> None:
    encoded = encode_property_map(epcs)
    assert decode_property_map(encoded) == epcs


@given(epc_sets())
def test_property_map_form_follows_the_count(epcs: frozenset[int]) -> None:
    """List form (ascending) below 16 EPCs; the 17-byte bitmap from 16 on."""
    encoded = encode_property_map(epcs)
    if len(epcs) < 16:
        assert encoded == bytes((len(epcs), *sorted(epcs)))
    else:
        assert encoded == _reference_bitmap(epcs)
        assert len(encoded) == 17


@given(epc_sets(), st.lists(st.integers(0x80, 0xFF)))
def test_property_map_encoding_ignores_order_and_repeats(
    epcs: frozenset[int], extra: list[int]
) -> None:
    listed = [*sorted(epcs, reverse=True), *(epc for epc in extra if epc in epcs)]
    assert encode_property_map(listed) == encode_property_map(epcs)


@given(epc_sets(), st.one_of(st.integers(max_value=0x7F), st.integers(min_value=0x100)))
def test_property_map_refuses_an_epc_outside_0x80_0xff(epcs: frozenset[int], bad: int) -> None:
    with pytest.raises(ValueError, match=r"\(0x80\.\.0xFF\)"):
        encode_property_map(epcs | {bad})


def _decode_map_or_fail(data: bytes) -> frozenset[int] | None:
    try:
        epcs = decode_property_map(data)
    except ValueError:
        return None
    except Exception as exc:
        pytest.fail(f"decode_property_map({data.hex()!r}) raised {exc!r}, not ValueError")
    assert type(epcs) is frozenset
    return epcs


@given(st.one_of(st.binary(max_size=40), st.binary(min_size=17, max_size=17)))
@example(b"")
@example(b"\x00")
@example(b"\x10" + b"\x00" * 16)
@example(b"\x80" + b"\xff" * 16)
def test_property_map_decode_is_total(data: bytes) -> None:
    """Arbitrary bytes give a frozenset or a ValueError; a decoded map matches its count byte,
    and a map in canonical form (bitmap, or ascending list of 0x80..0xFF) re-encodes exactly."""
    epcs = _decode_map_or_fail(data)
    if epcs is None:
        return
    assert len(epcs) == data[0]
    if data[0] >= 16:
        assert all(0x80 <= epc <= 0xFF for epc in epcs)
        assert encode_property_map(epcs) == data
    else:
        assert epcs == frozenset(data[1:])
        if list(data[1:]) == sorted(epcs) and min(epcs, default=0x80) >= 0x80:
            assert encode_property_map(epcs) == data


@given(st.frozensets(st.integers(0x80, 0xFF), min_size=16), st.integers(0, 16), st.integers(0, 7))
def test_a_bitmap_with_one_bit_flipped_is_rejected(
    epcs: frozenset[int], row: int, bit: int
) -> None:
    """Flipping any bit of a bitmap map, count byte included, breaks count = marked bits."""
    encoded = bytearray(encode_property_map(epcs))
    encoded[row] ^= 1 << bit
    assert _decode_map_or_fail(bytes(encoded)) is None


@given(st.frozensets(st.integers(0x80, 0xFF), max_size=15), st.integers(16, 0xFF))
def test_a_bitmap_count_that_disagrees_with_the_bits_is_rejected(
    epcs: frozenset[int], count: int
) -> None:
    encoded = bytes((count,)) + _reference_bitmap(epcs)[1:]
    assert _decode_map_or_fail(encoded) is None


# Instance lists and class lists -------------------------------------------------------------


@given(st.lists(eojs(), max_size=MAX_INSTANCES))
@example([Eoj(0x02, 0x8F, i) for i in range(MAX_INSTANCES)])
def test_instance_list_round_trips(instances: list[Eoj]) -> None:
    encoded = encode_instance_list(instances)
    assert len(encoded) == 1 + 3 * len(instances) <= 253
    assert decode_instance_list(encoded) == InstanceList(len(instances), tuple(instances))


@settings(max_examples=100)
@given(st.lists(eojs(), min_size=MAX_INSTANCES + 1, max_size=120))
@example([Eoj(0x01, 0x30, i % 256) for i in range(300)])
def test_instance_list_keeps_84_entries_and_the_total(instances: list[Eoj]) -> None:
    decoded = decode_instance_list(encode_instance_list(instances))
    assert decoded == InstanceList(min(len(instances), 0xFF), tuple(instances[:MAX_INSTANCES]))


@given(st.lists(class_ids(), max_size=MAX_CLASSES))
def test_class_list_round_trips(ids: list[int]) -> None:
    encoded = encode_class_list(ids)
    assert len(encoded) == 1 + 2 * len(ids) <= 17
    assert decode_class_list(encoded) == ClassList(len(ids), tuple(ids))


@given(st.lists(class_ids(), min_size=MAX_CLASSES + 1, max_size=300))
def test_class_list_keeps_8_entries_and_the_total(ids: list[int]) -> None:
    decoded = decode_class_list(encode_class_list(ids))
    assert decoded == ClassList(min(len(ids), 0xFF), tuple(ids[:MAX_CLASSES]))


@given(st.one_of(st.binary(max_size=300), st.binary(min_size=253, max_size=256)))
@example(b"")
@example(b"\x00")
@example(b"\x54" + b"\x01" * 252)
@example(b"\xff" + b"\x01" * 255)
def test_instance_list_decode_is_total(data: bytes) -> None:
    try:
        decoded = decode_instance_list(data)
    except ValueError:
        return
    except Exception as exc:
        pytest.fail(f"decode_instance_list({data.hex()!r}) raised {exc!r}, not ValueError")
    assert type(decoded) is InstanceList
    assert len(decoded.instances) <= MAX_INSTANCES
    assert data[0] == decoded.total >= len(decoded.instances)
    assert b"".join(bytes(eoj) for eoj in decoded.instances) == data[1:]
    if decoded.total == len(decoded.instances):
        assert encode_instance_list(decoded.instances) == data


@given(st.binary(max_size=40))
@example(b"")
@example(b"\x08" + b"\x01" * 16)
@example(b"\x09" + b"\x01" * 18)
def test_class_list_decode_is_total(data: bytes) -> None:
    try:
        decoded = decode_class_list(data)
    except ValueError:
        return
    except Exception as exc:
        pytest.fail(f"decode_class_list({data.hex()!r}) raised {exc!r}, not ValueError")
    assert type(decoded) is ClassList
    assert len(decoded.class_ids) <= MAX_CLASSES
    assert data[0] == decoded.total >= len(decoded.class_ids)
    assert b"".join(c.to_bytes(2, "big") for c in decoded.class_ids) == data[1:]
    if decoded.total == len(decoded.class_ids):
        assert encode_class_list(decoded.class_ids) == data
