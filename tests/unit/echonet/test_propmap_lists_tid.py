"""Property maps, instance/class lists and the TID allocator."""

from __future__ import annotations

import itertools
import random

import pytest

from hemsnet.echonet.eoj import Eoj
from hemsnet.echonet.instance_list import (
    decode_class_list,
    decode_instance_list,
    encode_class_list,
    encode_instance_list,
)
from hemsnet.echonet.propmap import decode_property_map, encode_property_map
from hemsnet.echonet.tid import TID_SPACE, TidAllocator, TidExhausted
from tests.conftest import counting

METER_GET_MAP = [
    0x80, 0x81, 0x82, 0x88, 0x8A, 0x8D, 0x97, 0x98, 0x9D, 0x9E, 0x9F, 0xC0, 0xC1, 0xC3, 0xC4,
    0xC5, 0xC6, 0xC8, 0xD0, 0xD3, 0xD4, 0xE0, 0xE1, 0xE2, 0xE3, 0xE5, 0xE6, 0xE7, 0xE8, 0xEA,
    0xEB, 0xED, 0xEF,
]  # fmt: skip


def test_list_form_worked_example() -> None:
    assert encode_property_map([0xEF, 0x81, 0xE1]) == bytes.fromhex("0381E1EF")
    assert decode_property_map(bytes.fromhex("03808188")) == {0x80, 0x81, 0x88}
    assert encode_property_map([]) == b"\x00"


def test_bitmap_form_worked_example() -> None:
    expected = bytes.fromhex("2171514170305050425300414000430242")
    assert encode_property_map(METER_GET_MAP) == expected
    assert decode_property_map(expected) == set(METER_GET_MAP)


def test_form_switches_at_sixteen() -> None:
    assert len(encode_property_map(range(0x80, 0x8F))) == 16
    assert len(encode_property_map(range(0x80, 0x90))) == 17


@pytest.mark.parametrize(
    ("hexstr", "reason"),
    [
        ("", "empty"),
        ("0380", "must be 4 bytes"),
        ("028080", "repeats"),
        ("02807F", "0x7F below 0x80"),
        ("10" + "00" * 15, "must be 17 bytes"),
        ("11" + "01" + "00" * 15, "marks 1"),
    ],
)
def test_malformed_maps_are_rejected(hexstr: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        decode_property_map(bytes.fromhex(hexstr))


def test_epc_below_0x80_cannot_be_mapped() -> None:
    with pytest.raises(ValueError, match="0x7F"):
        encode_property_map([0x7F])


def test_class_id_must_be_two_bytes() -> None:
    with pytest.raises(ValueError, match="not two bytes"):
        encode_class_list([0x10000])


def test_instance_and_class_lists() -> None:
    meters = [Eoj(2, 0x8F, 1), Eoj(2, 0x8A, 1)]
    edt = encode_instance_list(meters)
    assert edt == bytes.fromhex("02028F01028A01")
    assert decode_instance_list(edt).instances == tuple(meters)
    assert encode_class_list([0x028F, 0x028A]) == bytes.fromhex("02028F028A")
    assert decode_class_list(bytes.fromhex("02028F028A")).class_ids == (0x028F, 0x028A)


def test_instance_list_caps_at_84_entries() -> None:
    many = [Eoj(0x01, 0x30, i) for i in range(1, 101)]
    edt = encode_instance_list(many)
    assert len(edt) == 253
    decoded = decode_instance_list(edt)
    assert decoded.total == 100
    assert len(decoded.instances) == 84


@pytest.mark.parametrize("hexstr", ["", "01028F", "00028F01", "55" + "028F01" * 85])
def test_malformed_instance_lists(hexstr: str) -> None:
    with pytest.raises(ValueError):
        decode_instance_list(bytes.fromhex(hexstr))


def test_tid_is_drawn_skips_in_flight_and_cools_a_retired_one() -> None:
    tids = TidAllocator(counting(0xFFFE))
    first, second = tids.allocate(), tids.allocate()
    assert (first, second) == (0xFFFE, 0xFFFF)
    tids.release(first)
    assert tids.allocate() == 0  # the draw goes on, and never hands the retired one back
    assert tids.in_flight(second) and not tids.in_flight(first)


def test_tid_never_reissues_an_in_flight_tid_when_the_space_runs_out() -> None:
    tids = TidAllocator(random.Random(1).randrange)
    held = tids.allocate()
    seen = {tids.allocate() for _ in range(0xFFFF)}
    assert held not in seen and len(seen) == 0xFFFF
    assert tids.outstanding == 0x10000
    with pytest.raises(TidExhausted):
        tids.allocate()


def test_tids_are_not_a_guessable_sequence() -> None:
    """From one TID an attacker cannot tell the next: no window after it holds it [AIF 2.4.3,
    docs/threat-model.md]."""
    tids = TidAllocator(random.Random(7).randrange)
    drawn = []
    for _ in range(1000):
        drawn.append(tids.allocate())
        tids.release(drawn[-1])
    steps = {(b - a) % TID_SPACE for a, b in itertools.pairwise(drawn)}
    assert len(steps) > 900  # a counter would give one step
    window = sum(1 for a, b in itertools.pairwise(drawn) if (b - a) % TID_SPACE < 64)
    assert window < 10  # 64 guesses after a TID catch the next one about once in a thousand
