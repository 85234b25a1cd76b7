"""Class tables: lookups, AIF rules, the worked property maps, and a round trip of every row."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hemsnet.devices import decode_property, to_jsonable
from hemsnet.devices.appliance_codecs import LengthPrefixed, UIntTuple
from hemsnet.devices.codecs.dates import DateCodec, TimeCodec
from hemsnet.devices.codecs.primitives import (
    Ascii,
    CodeTable,
    Enumerated,
    OrNone,
    Raw,
    Scaled,
    SInt,
    UInt,
    Utf8,
)
from hemsnet.devices.codecs.profile import (
    ClassListCodec,
    IdentificationNumberCodec,
    InstallationLocationCodec,
    InstanceListCodec,
    OperatingTimeCodec,
    PropertyMapCodec,
    ProtocolVersionCodec,
    RouteBIdCodec,
    StandardVersionCodec,
)
from hemsnet.devices.codecs.readings import (
    Currents,
    DayHistory,
    ReadingPair,
    Segments,
    Selector,
    SingleReading,
    TimedPair,
    TimedSingle,
)
from hemsnet.devices.model import Access, ClassDef, PropertyDef
from hemsnet.devices.registry import CLASSES, class_def
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, decode_frame
from hemsnet.echonet.propmap import encode_property_map
from hemsnet.errors import InvalidValue
from tests.conftest import load_vectors

M, O, NS, X = Access.MANDATORY, Access.OPTIONAL, Access.NOT_SUPPORTED, Access.PROHIBITED  # noqa: E741
METER_CLASSES = (0x0000, 0x0EF0, 0x05FF, 0x028F, 0x028A, 0x0288)
APPLIANCE_CLASSES = (0x027D, 0x0279, 0x027E, 0x0130, 0x0290, 0x026B)
UNREGISTERED = 0x03B7  # refrigerator: not a class hemsnet has a table for
DT7 = bytes.fromhex("07E80B150A1E00")
DT6 = DT7[:6]


def _table(class_id: int) -> ClassDef:
    table = class_def(class_id)
    assert table is not None
    return table


def test_the_meter_and_appliance_classes_are_registered() -> None:
    assert set(CLASSES) == {*METER_CLASSES, *APPLIANCE_CLASSES}
    for class_id in CLASSES:
        assert _table(class_id).class_id == class_id
    assert class_def(UNREGISTERED) is None


def test_device_classes_include_the_super_class_rows() -> None:
    super_epcs = set(_table(0x0000).properties)
    for class_id in (0x05FF, 0x028F, 0x028A, 0x0288):
        assert super_epcs <= set(_table(class_id).properties)
    assert 0x81 not in _table(0x0EF0)  # a profile is not a device object


def test_aif_table_2_3_overrides_the_super_class_for_0x028f() -> None:
    bidir, base = _table(0x028F), _table(0x0000)
    assert (bidir[0x97].get, bidir[0x97].set, bidir[0x97].anno) == (M, X, NS)
    assert (bidir[0x98].get, bidir[0x98].set, bidir[0x98].anno) == (M, X, NS)
    assert (base[0x97].get, base[0x97].set) == (O, O)
    assert (bidir[0x81].get, bidir[0x81].set, bidir[0x81].anno) == (M, M, M)
    assert bidir[0x8D].get is O
    assert bidir[0x80].set is NS  # AIF Table 2-4, although the MRA says optional
    assert not X.allowed


def test_meter_property_maps_worked_example() -> None:
    """Reference §6 and §8.3: the maps derive from the 0x028F table (mandatory + 0x8D)."""
    bidir = _table(0x028F)
    get_map = bidir.epcs("get", optional=False) | {0x8D}
    assert len(get_map) == 33
    assert encode_property_map(get_map) == bytes.fromhex("2171514170305050425300414000430242")
    assert encode_property_map(bidir.epcs("set", optional=False)) == bytes.fromhex("0381E1EF")
    assert encode_property_map(bidir.epcs("anno", optional=False)) == bytes.fromhex("03808188")


def test_history_epcs() -> None:
    assert _table(0x028F).history_epcs == {0xE7, 0xE8, 0xC6, 0xC8, 0xCE, 0xCF, 0xED, 0xEE}
    assert _table(0x028A).history_epcs == {0xE7, 0xC6, 0xCE}
    assert _table(0x0288).history_epcs == {0xE2, 0xE4, 0xEC, 0xEE}
    assert not _table(0x0EF0).history_epcs


def test_every_scaled_reading_names_its_quantity() -> None:
    reading_codecs = (SingleReading, ReadingPair, TimedPair, TimedSingle, DayHistory, Segments)
    for table in CLASSES.values():
        for prop in table:
            assert (prop.quantity is not None) == isinstance(prop.codec, reading_codecs), prop


# --- every row round-trips ---------------------------------------------------------------


def sample_edts(codec: Any) -> list[bytes]:
    """Canonical EDTs for a codec, both ends of its range where it has one."""
    match codec:
        case UInt(size=size, lo=lo, hi=hi):
            top = (1 << (8 * size)) - 1 if hi is None else hi
            return [lo.to_bytes(size, "big"), top.to_bytes(size, "big")]
        case SInt(size=size, lo=lo, hi=hi):
            return [x.to_bytes(size, "big", signed=True) for x in (lo, hi)]
        case Scaled(inner=inner):
            return sample_edts(inner)
        case OrNone(inner=inner, codes=codes):
            return [codes[0], *sample_edts(inner)]
        case Enumerated(enum=enum):
            return [bytes([member]) for member in enum]
        case CodeTable(table=table):
            return [bytes([code]) for code in table]
        case Raw(min_size=lo, max_size=hi):
            return [b"\x01" * lo, b"\xfe" * hi]
        case Ascii(min_size=lo, max_size=hi):
            return [b"A".ljust(lo, b"\x00"), b"Z" * hi]
        case Utf8(max_size=hi):
            return ["é".encode(), b"n" * hi]
        case DateCodec():
            return [bytes.fromhex("07E8021D")]
        case TimeCodec():
            return [bytes.fromhex("0000"), bytes.fromhex("173B")]
        case PropertyMapCodec():
            return [b"\x00", encode_property_map(range(0x80, 0x80 + 20))]
        case InstanceListCodec():
            return [b"\x00", bytes.fromhex("02028F01028A01")]
        case ClassListCodec():
            return [b"\x00", bytes.fromhex("02028F028A")]
        case InstallationLocationCodec(max_size=hi):
            return [b"\x00", b"\x08", b"\xff"] + ([b"\x01" + bytes(16)] if hi == 17 else [])
        case StandardVersionCodec():
            return [b"\x00\x00a\x00", b"\x00\x00R\x01"]
        case ProtocolVersionCodec():
            return [bytes.fromhex("010E0100")]
        case IdentificationNumberCodec():
            return [b"\xfe" + bytes(range(16)), b"\x01" * 17]
        case RouteBIdCodec():
            return [bytes(16), b"\x01" * 16]
        case OperatingTimeCodec():
            return [bytes.fromhex("4300000010"), bytes.fromhex("44FFFFFFFF")]
        case SingleReading():
            return [bytes(4), bytes.fromhex("05F5E0FF"), bytes.fromhex("FFFFFFFF")]
        case ReadingPair():
            return [bytes.fromhex("05F5E0FF FFFFFFFF")]
        case TimedPair():
            return [DT7 + bytes.fromhex("00000001 FFFFFFFF")]
        case TimedSingle():
            return [DT7 + bytes.fromhex("00000001")]
        case DayHistory():
            return [b"\x00\x63" + bytes(4) * 47 + b"\xff" * 4, b"\x00\xff" + b"\xff" * 192]
        case UIntTuple(size=size, count=count, hi=hi):
            return [bytes(size * count), hi.to_bytes(size, "big") * count]
        case LengthPrefixed(limit=limit):
            return [b"\x00", bytes([limit]) + b"a" * limit]
        case Segments(max_count=count):
            return [
                DT6 + b"\x01" + bytes(8),
                DT6 + bytes([count]) + b"\x00\x00\x00\x01" * 2 * count,
            ]
        case Selector(max_count=count):
            return [DT6 + b"\x01", DT6 + bytes([count]), b"\xff" * 6 + b"\x01"]
        case Currents(width=width):
            return [bytes(2 * width), b"\xff" * width + b"\x7f" + b"\xff" * (width - 2) + b"\xfe"]
    raise AssertionError(f"no samples for {codec!r}")


ROWS = [(table.class_id, prop) for table in CLASSES.values() for prop in table]


@pytest.mark.parametrize(("class_id", "prop"), ROWS, ids=[f"{c:04X}-{p.epc:02X}" for c, p in ROWS])
def test_every_row_round_trips(class_id: int, prop: PropertyDef[Any]) -> None:
    for edt in sample_edts(prop.codec):
        assert prop.min_size <= len(edt) <= prop.max_size
        value = prop.decode(edt)
        assert prop.encode(value) == edt
        assert prop.decode(prop.encode(value)) == value
        decoded = decode_property(class_id, prop.epc, edt)
        assert decoded.value == value
        assert decoded.description and decoded.description == prop.codec.describe(value)
        json.dumps(to_jsonable(value))


@pytest.mark.parametrize(("class_id", "prop"), ROWS, ids=[f"{c:04X}-{p.epc:02X}" for c, p in ROWS])
def test_every_row_refuses_a_wrong_size(class_id: int, prop: PropertyDef[Any]) -> None:
    edt = b"\x00" * (prop.max_size + 1)
    with pytest.raises(InvalidValue) as err:
        prop.decode(edt)
    assert err.value.epc == prop.epc
    assert err.value.edt == edt


# --- decode_property ----------------------------------------------------------------------


def test_unknown_epc_is_reported_not_raised() -> None:
    decoded = decode_property(0x028F, 0xF0, b"\x01\xab")
    assert not decoded.known
    assert decoded.value == b"\x01\xab"
    assert decoded.description == "01 AB"
    assert decoded.name == "unknown EPC 0xF0"


def test_unknown_device_class_falls_back_to_the_super_class() -> None:
    decoded = decode_property(UNREGISTERED, 0x80, b"\x30")
    assert decoded.known
    assert decoded.description == "ON"
    assert not decode_property(UNREGISTERED, 0xB0, b"\x41").known
    assert not decode_property(0x0EF1, 0x80, b"\x30").known  # profiles have no super class


def test_invalid_edt_raises_invalid_value() -> None:
    with pytest.raises(InvalidValue, match=r"EPC 0x80: 0x32 is not a defined OperationStatus"):
        decode_property(0x028F, 0x80, b"\x32")


def test_json_forms() -> None:
    assert to_jsonable(decode_property(0x0EF0, 0xD6, bytes.fromhex("01028F01")).value) == {
        "total": 1,
        "instances": ["028F01"],
    }
    assert to_jsonable(decode_property(0x028F, 0x9E, bytes.fromhex("0381E1EF")).value) == [
        "0x81",
        "0xE1",
        "0xEF",
    ]
    currents = decode_property(0x028F, 0xEB, bytes.fromhex("0000007B7FFFFFFE")).value
    assert to_jsonable(currents) == {"r": "12.3", "t": None}
    assert to_jsonable(decode_property(0x028F, 0x88, b"\x42").value) == "NO_FAULT"
    with pytest.raises(TypeError):
        to_jsonable(object())


# --- the reference's frames decode through the tables -----------------------------------------

VECTORS = load_vectors("spec_examples.json")
_OUT_OF_RANGE = {("12.5 SetC_SNA E1", 0xE1)}  # 0x64 = 100 is the refused value


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_spec_vector_edts_decode(vector: dict[str, Any]) -> None:
    frame = decode_frame(bytes.fromhex(vector["hex"]))
    assert isinstance(frame, Frame)
    owner = frame.deoj if Esv(frame.esv).is_request else frame.seoj
    for prop in (*frame.properties, *frame.get_properties):
        if not prop.edt:
            continue
        if (vector["name"], prop.epc) in _OUT_OF_RANGE:
            with pytest.raises(InvalidValue):
                decode_property(owner.class_id, prop.epc, prop.edt)
            continue
        decoded = decode_property(owner.class_id, prop.epc, prop.edt)
        assert decoded.known, (vector["name"], hex(prop.epc))
