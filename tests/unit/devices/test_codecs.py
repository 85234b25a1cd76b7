"""EDT codecs: worked examples, ranges, sentinels, errors that name the EPC and the bytes."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from hemsnet.devices import class_def
from hemsnet.devices.model import ClassDef
from hemsnet.devices.values import (
    HalfHourHistory,
    HistorySelector,
    InstallationLocation,
    NormalReverse,
    PhaseCurrents,
    RouteBId,
    SegmentHistory,
    StandardVersion,
    TimedNormalReverse,
)
from hemsnet.echonet.frame import Frame, decode_frame
from hemsnet.errors import InvalidValue
from tests.conftest import load_vectors

VECTORS = {v["name"]: bytes.fromhex(v["hex"]) for v in load_vectors("spec_examples.json")}


def _table(class_id: int) -> ClassDef:
    table = class_def(class_id)
    assert table is not None
    return table


BIDIR = _table(0x028F)
HV = _table(0x028A)
LV = _table(0x0288)


def _edt(vector: str, epc: int) -> bytes:
    frame = decode_frame(VECTORS[vector])
    assert isinstance(frame, Frame)
    return next(p.edt for p in (*frame.properties, *frame.get_properties) if p.epc == epc)


# --- worked examples [reference §12] ------------------------------------------------------

E7_READINGS = [
    123456, 123461, 123467, 123474, 123482, 123491, 123501, 123512, 123517, 123523, 123530,
    123538, 123547, 123557, 123568, 123573, 123579, 123586, 123594, 123603, 123613, 123624,
    123629, 123635, 123642, 123650, 123659, 123669, 123680, 123685, 123691, 123698, 123706,
    123715, 123725, 123736, 123741, 123747, 123754, 123762, 123771, 123781, 123792, 123797,
    123803, 123810, 123818, 123827,
]  # fmt: skip


def test_e7_day48_worked_example() -> None:
    edt = _edt("12.6 Get_Res E7", 0xE7)
    value = BIDIR[0xE7].decode(edt)
    assert value == HalfHourHistory(1, tuple(E7_READINGS))
    assert BIDIR[0xE7].encode(value) == edt


def test_e7_today_has_void_slots_after_the_last_measurement() -> None:
    readings = E7_READINGS[:21] + [None] * 27
    edt = b"\x00\x00" + b"".join(
        b"\xff\xff\xff\xff" if r is None else r.to_bytes(4, "big") for r in readings
    )
    assert edt.startswith(bytes.fromhex("0000 0001E240"))
    value = BIDIR[0xE7].decode(edt)
    assert value.day == 0
    assert value.slots[20] == 123613
    assert value.slots[21:] == (None,) * 27
    assert BIDIR[0xE7].encode(value) == edt


def test_ed_one_minute_history_worked_example() -> None:
    edt = _edt("12.7 Get_Res ED", 0xED)
    value = BIDIR[0xED].decode(edt)
    assert value.start == datetime(2024, 11, 21, 10, 30)
    assert value.count == 10
    assert [s.normal for s in value.segments] == [1234567 - 3 * i for i in range(10)]
    assert all(s.reverse is None for s in value.segments)
    assert BIDIR[0xED].encode(value) == edt


def test_ef_selector_worked_example() -> None:
    edt = _edt("12.7 SetC EF", 0xEF)
    assert BIDIR[0xEF].validate_set(edt) == HistorySelector(datetime(2024, 11, 21, 10, 30), 10)


def test_e3_scheduled_inf_worked_example() -> None:
    edt = _edt("12.8 INF E3", 0xE3)
    value = BIDIR[0xE3].decode(edt)
    assert value == TimedNormalReverse(datetime(2024, 11, 21, 10, 30, 0), 1234567, None)
    assert BIDIR[0xE3].codec.describe(value) == (
        "2024-11-21 10:30:00 normal 1234567 reverse no data (\N{MULTIPLICATION SIGN} E6·D3·D4 kWh)"
    )
    assert BIDIR[0xE3].encode(value) == edt


def test_e1_set_example_and_out_of_range_set() -> None:
    assert BIDIR[0xE1].validate_set(_edt("12.5 SetC E1", 0xE1)) == 1
    with pytest.raises(InvalidValue) as err:
        BIDIR[0xE1].validate_set(_edt("12.5 SetC_SNA E1", 0xE1))
    assert err.value.epc == 0xE1
    assert err.value.edt == b"\x64"
    assert "EPC 0xE1" in str(err.value)
    assert "EDT 64" in str(err.value)


# --- no-data sentinels [AIF 2.3 *2/*3, MRA] -------------------------------------------------


@pytest.mark.parametrize("sentinel", ["FFFFFFFF", "FFFFFFFE"])
def test_u32_no_data_sentinels_decode_to_none(sentinel: str) -> None:
    edt = bytes.fromhex("05F5E0FF" + sentinel)
    assert BIDIR[0xC1].decode(edt) == NormalReverse(99_999_999, None)


def test_none_reading_encodes_as_ffffffff() -> None:
    assert BIDIR[0xC1].encode(NormalReverse(None, 0)) == bytes.fromhex("FFFFFFFF00000000")


@pytest.mark.parametrize("raw", ["05F5E100", "FFFFFFFD", "80000000"])
def test_u32_above_99999999_is_invalid(raw: str) -> None:
    edt = bytes.fromhex("00000001" + raw)
    with pytest.raises(InvalidValue) as err:
        BIDIR[0xC1].decode(edt)
    assert err.value.epc == 0xC1
    assert err.value.edt == edt
    assert "99,999,999" in err.value.reason


def test_instantaneous_power_range_and_no_data() -> None:
    power = BIDIR[0xEA]
    assert power.decode(bytes.fromhex("7FFFFFFE")) is None
    assert power.encode(None) == bytes.fromhex("7FFFFFFE")
    assert power.decode(bytes.fromhex("80000001")) == -2_147_483_647
    assert power.decode(bytes.fromhex("7FFFFFFD")) == 2_147_483_645
    for bad in ("80000000", "7FFFFFFF"):
        with pytest.raises(InvalidValue, match="EPC 0xEA"):
            power.decode(bytes.fromhex(bad))


def test_two_phase_currents_in_tenths_of_an_ampere() -> None:
    edt = bytes.fromhex("0000007B FFFFFF85")
    assert BIDIR[0xEB].decode(edt) == PhaseCurrents(Decimal("12.3"), Decimal("-12.3"))
    single_phase = bytes.fromhex("0000007B 7FFFFFFE")
    value = BIDIR[0xEB].decode(single_phase)
    assert value.t is None
    assert BIDIR[0xEB].encode(value) == single_phase
    assert BIDIR[0xEB].codec.describe(value) == "R 12.3 A T no data"
    with pytest.raises(InvalidValue, match=r"multiple of 0\.1"):
        BIDIR[0xEB].encode(PhaseCurrents(Decimal("1.25"), None))


def test_lv_currents_are_int16() -> None:
    edt = bytes.fromhex("0064 7FFE")
    assert LV[0xE8].decode(edt) == PhaseCurrents(Decimal("10.0"), None)
    assert LV[0xE8].encode(PhaseCurrents(Decimal(10), None)) == edt


# --- date-times ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dt7",
    ["07E8 0D 01 00 00 00", "07E8 02 1E 00 00 00", "07E7 02 1D 00 00 00", "07E8 01 01 18 00 00",
     "07E8 01 01 00 3C 00", "07E8 01 01 00 00 3C", "0000 01 01 00 00 00", "07E8 00 01 00 00 00"],
)  # fmt: skip
def test_invalid_date_times_are_refused(dt7: str) -> None:
    edt = bytes.fromhex(dt7 + "00000001 00000002")
    with pytest.raises(InvalidValue, match="invalid date-time"):
        BIDIR[0xE2].decode(edt)


def test_leap_day_is_valid() -> None:
    edt = bytes.fromhex("07E8 02 1D 17 3B 3B 00000001 00000002")
    assert BIDIR[0xE2].decode(edt).at == datetime(2024, 2, 29, 23, 59, 59)


def test_dt6_default_decodes_to_none_and_back() -> None:
    selector = bytes.fromhex("FFFFFFFFFFFF 01")
    assert BIDIR[0xEF].decode(selector) == HistorySelector(None, 1)
    assert BIDIR[0xEF].encode(HistorySelector(None, 1)) == selector
    history = bytes.fromhex("FFFFFFFFFFFF 01 FFFFFFFE FFFFFFFE")
    value = BIDIR[0xED].decode(history)
    assert value == SegmentHistory(None, (NormalReverse(None, None),))
    assert BIDIR[0xED].decode(BIDIR[0xED].encode(value)) == value


def test_partly_ff_dt6_is_invalid() -> None:
    with pytest.raises(InvalidValue, match="invalid date-time"):
        BIDIR[0xEF].decode(bytes.fromhex("07E8 FF FF FF FF 01"))


def test_encoding_refuses_aware_or_too_fine_date_times() -> None:
    with pytest.raises(InvalidValue, match="finer than the minute"):
        BIDIR[0xEF].encode(HistorySelector(datetime(2024, 1, 1, 0, 0, 30), 1))
    with pytest.raises(InvalidValue, match="must be datetime"):
        BIDIR[0xE3].encode(TimedNormalReverse(date(2024, 1, 1), 1, 1))  # type: ignore[arg-type]


# --- history arrays -----------------------------------------------------------------------


def test_day48_default_day_and_range() -> None:
    edt = b"\x00\xff" + b"\xff" * 192
    assert BIDIR[0xC6].decode(edt) == HalfHourHistory(None, (None,) * 48)
    assert BIDIR[0xC6].encode(HalfHourHistory(None, (None,) * 48)) == edt
    with pytest.raises(InvalidValue, match="day 100"):
        BIDIR[0xC6].decode(b"\x00\x64" + bytes(192))
    with pytest.raises(InvalidValue, match="47 slots"):
        BIDIR[0xC6].encode(HalfHourHistory(0, (0,) * 47))


@pytest.mark.parametrize(
    ("edt", "reason"),
    [("07E80B150A1E 00", "count 0 outside 1..10"), ("07E80B150A1E 0B" + "00" * 88, "count 11"),
     ("07E80B150A1E 02 0000000100000002", "2 segments need 23 bytes")],
)  # fmt: skip
def test_segment_count_must_fit_and_match_the_length(edt: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        BIDIR[0xED].codec.decode(bytes.fromhex(edt))


def test_segment_history_size_bounds() -> None:
    assert (BIDIR[0xED].min_size, BIDIR[0xED].max_size) == (15, 87)
    with pytest.raises(InvalidValue, match=r"PDC 7 outside 15\.\.87"):
        BIDIR[0xED].decode(bytes.fromhex("07E80B150A1E 00"))


def test_lv_30_minute_history_needs_minute_00_or_30() -> None:
    assert LV[0xED].decode(bytes.fromhex("07E80B150A1E 0C")).count == 12
    with pytest.raises(InvalidValue, match="minute 15"):
        LV[0xED].decode(bytes.fromhex("07E80B150A0F 01"))


# --- Set validation: read-only defaults [MRA readOnly] ------------------------------------


def test_e1_default_is_readable_but_not_settable() -> None:
    assert BIDIR[0xE1].decode(b"\xff") is None
    assert BIDIR[0xE1].encode(None) == b"\xff"
    assert BIDIR[0xE1].validate_set(b"\x63") == 99
    with pytest.raises(InvalidValue, match="read-only"):
        BIDIR[0xE1].validate_set(b"\xff")
    with pytest.raises(InvalidValue, match=r"outside 0\.\.99"):
        BIDIR[0xE1].decode(b"\xfe")


def test_ef_default_is_not_settable() -> None:
    with pytest.raises(InvalidValue, match="read-only"):
        BIDIR[0xEF].validate_set(bytes.fromhex("FFFFFFFFFFFF 01"))


# --- unit and digit properties ------------------------------------------------------------


def test_unit_code_0x0e_only_on_0x028f() -> None:
    assert BIDIR[0xE6].decode(b"\x0e") == 0x0E
    assert BIDIR[0xE6].codec.describe(0x01) == "unit 0.1 kWh"
    for table, epc in ((HV, 0xE6), (LV, 0xE1)):
        with pytest.raises(InvalidValue, match="code 0x0E is not defined"):
            table[epc].decode(b"\x0e")
    for code in (0x05, 0x09, 0x0F):
        with pytest.raises(InvalidValue):
            BIDIR[0xCD].decode(bytes([code]))


@pytest.mark.parametrize(("epc", "good", "bad"), [
    (0xE5, [1, 8], [0, 9]), (0xC4, [1, 8], [0, 9]), (0xCC, [1, 8], [0, 9]),
    (0xE0, [1, 31], [0, 32]), (0xD4, [0, 3], [4, 0xFF]),
])  # fmt: skip
def test_one_byte_ranges(epc: int, good: list[int], bad: list[int]) -> None:
    for value in good:
        assert BIDIR[epc].decode(bytes([value])) == value
    for value in bad:
        with pytest.raises(InvalidValue):
            BIDIR[epc].decode(bytes([value]))


def test_coefficient_range() -> None:
    assert BIDIR[0xD3].decode((999_999).to_bytes(4, "big")) == 999_999
    with pytest.raises(InvalidValue, match=r"1000000 outside 0\.\.999999"):
        BIDIR[0xD3].decode((1_000_000).to_bytes(4, "big"))


# --- identification ------------------------------------------------------------------------


def test_route_b_id_japan_layout() -> None:
    edt = bytes.fromhex("00 000016") + b"AUTHID012345"
    value = BIDIR[0xC0].decode(edt)
    assert value == RouteBId(edt)
    assert value.japan_layout
    assert value.manufacturer_code == 0x16
    assert value.free_area == b"AUTHID012345"
    assert BIDIR[0xC0].encode(value) == edt


def test_route_b_id_other_layout_is_valid_but_not_japan() -> None:
    value = BIDIR[0xC0].decode(bytes.fromhex("FE") + bytes(15))
    assert not value.japan_layout
    assert value.manufacturer_code is None
    assert value.free_area is None
    assert "not Japan layout" in BIDIR[0xC0].codec.describe(value)


# --- super class ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edt", "text"),
    [("00", "not set"), ("08", "living room #0"), ("7F", "others #7"),
     ("85", "free definition 0x85"), ("FF", "not fixed"),
     ("01" + "00" * 16, "position information " + " ".join(["00"] * 16))],
)  # fmt: skip
def test_installation_location(edt: str, text: str) -> None:
    prop = BIDIR[0x81]
    value = prop.decode(bytes.fromhex(edt))
    assert prop.codec.describe(value) == text
    assert prop.encode(value) == bytes.fromhex(edt)


@pytest.mark.parametrize("edt", ["01", "07", "02" + "00" * 16, "0808"])
def test_installation_location_reserved_forms(edt: str) -> None:
    with pytest.raises(InvalidValue):
        BIDIR[0x81].decode(bytes.fromhex(edt))


def test_standard_version_release_letters() -> None:
    prop = BIDIR[0x82]
    assert prop.decode(b"\x00\x00R\x00") == StandardVersion("R")
    assert prop.codec.describe(StandardVersion("R")) == "Release R"
    assert prop.decode(b"\x00\x00a\x00") == StandardVersion("A")
    assert prop.encode(StandardVersion("A")) == b"\x00\x00a\x00"
    assert prop.decode(b"\x00\x00R\x01") == StandardVersion("R", 1)
    for bad in (b"\x00\x00A\x00", b"\x00\x00r\x00", b"\x01\x00R\x00"):
        with pytest.raises(InvalidValue):
            prop.decode(bad)


def test_production_number_strips_padding() -> None:
    prop = BIDIR[0x8D]
    assert prop.decode(b"SN-0001\x00\x00\x00\x00\x00") == "SN-0001"
    assert prop.decode(b"SN-0001     ") == "SN-0001"
    assert prop.encode("SN-0001") == b"SN-0001\x00\x00\x00\x00\x00"
    with pytest.raises(InvalidValue, match="13 characters"):
        prop.encode("SN-0001-TOO-LONG"[:13])


def test_current_time_and_date() -> None:
    assert BIDIR[0x97].decode(b"\x17\x3b") == time(23, 59)
    assert BIDIR[0x98].decode(b"\x07\xe8\x02\x1d") == date(2024, 2, 29)
    for bad in (b"\x18\x00", b"\x00\x3c"):
        with pytest.raises(InvalidValue, match="invalid time"):
            BIDIR[0x97].decode(bad)
    with pytest.raises(InvalidValue, match="invalid date 2023-02-29"):
        BIDIR[0x98].decode(b"\x07\xe7\x02\x1d")


def test_encode_refuses_a_value_of_the_wrong_type() -> None:
    with pytest.raises(InvalidValue, match="EPC 0x81"):
        BIDIR[0x81].encode(InstallationLocation(0x03))
    with pytest.raises(InvalidValue, match="must be"):
        BIDIR[0xC1].encode((1, 2))
