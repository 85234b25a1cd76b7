"""The controller's request discipline [AIF 2.4]: hemsnet.controller.requests."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime, timedelta

import pytest

from hemsnet.controller.requests import Answer, Match, Request, RequestLane
from hemsnet.devices.hv_meter_bidir import HV_METER_BIDIR
from hemsnet.echonet.eoj import CONTROLLER, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, decode_frame
from hemsnet.echonet.tid import TidAllocator
from hemsnet.errors import RequestNotAllowed
from tests.conftest import counting

NOW = datetime(2024, 5, 1, 12, 0, 0)
METER = Eoj.of(0x028F, 0x01)
METER_2 = Eoj.of(0x028F, 0x02)
EVERY_METER = Eoj.of(0x028F, 0x00)
LV_METER = Eoj.of(0x0288, 0x01)
SOURCE = ("192.0.2.10", 3610)
OTHER_SOURCE = ("192.0.2.11", 3610)

#: [AIF Table 2-5]: the history EPCs that take timer 2 and go alone [AIF 2.4.4].
AIF_HISTORY_EPCS = (0xE7, 0xE8, 0xC6, 0xC8, 0xCE, 0xCF, 0xED)

#: 0xEF: 2024-05-01 12:30, 10 segments (YYYY MM DD hh mm + count).
EF_VALID = bytes.fromhex("07e805010c1e") + bytes([10])

INSTANT_POWER = (1500).to_bytes(4, "big")


def lane(
    *,
    timer_1: float = 40.0,
    timer_2: float = 180.0,
    max_opc: int = 3,
    tids: TidAllocator | None = None,
) -> RequestLane:
    return RequestLane(
        timer_1=timer_1, timer_2=timer_2, max_opc=max_opc, tids=tids or TidAllocator(counting())
    )


def response(
    tid: int, esv: Esv, *props: Property, seoj: Eoj = METER, deoj: Eoj = CONTROLLER
) -> Frame:
    return Frame(tid, seoj, deoj, esv, tuple(props))


def sent_tid(the_lane: RequestLane) -> int:
    pending = the_lane.pending
    assert pending is not None
    return pending.tid


# --- Request ------------------------------------------------------------------------------


def test_request_get_carries_epcs_without_edt() -> None:
    request = Request.get(METER, 0xE7, 0x80)
    assert request.esv is Esv.GET
    assert request.deoj == METER
    assert request.properties == (Property(0xE7, b""), Property(0x80, b""))
    assert request.epcs == (0xE7, 0x80)
    assert request.multicast is False
    assert Request.get(EVERY_METER, 0x80, multicast=True).multicast is True


def test_request_setc_carries_one_property_with_edt() -> None:
    request = Request.setc(METER, 0xE1, b"\x05")
    assert request.esv is Esv.SETC
    assert request.properties == (Property(0xE1, b"\x05"),)
    assert request.epcs == (0xE1,)


# --- One request outstanding [AIF 2.4.1] --------------------------------------------------


def test_a_fresh_lane_is_idle() -> None:
    the_lane = lane()
    assert the_lane.pending is None
    assert the_lane.busy is False
    assert the_lane.expired(NOW + timedelta(days=1)) is False


def test_second_send_is_refused_while_one_is_outstanding() -> None:
    the_lane = lane()
    first = Request.get(METER, 0xE2)
    the_lane.send(first, SOURCE, NOW)
    pending = the_lane.pending
    assert the_lane.busy is True
    with pytest.raises(RequestNotAllowed, match="already outstanding"):
        the_lane.send(Request.get(METER, 0xEA), SOURCE, NOW + timedelta(seconds=1))
    assert the_lane.pending == pending  # the refusal leaves the request in flight alone
    assert pending is not None
    assert pending.request == first


def test_next_request_goes_as_soon_as_the_answer_comes() -> None:
    the_lane = lane()
    the_lane.send(Request.get(METER, 0xE2), SOURCE, NOW)
    tid = sent_tid(the_lane)
    the_lane.settle(response(tid, Esv.GET_RES, Property(0xE2, b"\x00" * 4)), SOURCE)
    assert the_lane.busy is False
    the_lane.send(Request.get(METER, 0xEA), SOURCE, NOW + timedelta(seconds=1))
    assert the_lane.busy is True


def test_next_request_goes_after_a_timeout() -> None:
    the_lane = lane()
    the_lane.send(Request.get(METER, 0xE2), SOURCE, NOW)
    answer = the_lane.settle(None)
    assert answer.timed_out is True
    assert the_lane.busy is False
    the_lane.send(Request.get(METER, 0xE2), SOURCE, NOW + timedelta(seconds=40))
    assert the_lane.busy is True


def test_settle_without_a_request_is_refused() -> None:
    with pytest.raises(RequestNotAllowed, match="no request is outstanding"):
        lane().settle(None)


def test_settle_twice_is_refused() -> None:
    the_lane = lane()
    the_lane.send(Request.get(METER, 0x80), SOURCE, NOW)
    the_lane.settle(None)
    with pytest.raises(RequestNotAllowed):
        the_lane.settle(None)


# --- Response-wait timers [AIF 2.4.2, Table 2-5] ------------------------------------------


@pytest.mark.parametrize("epc", [0x80, 0xE2, 0xEA, 0xEB, 0xD0, 0xE3, 0x88, 0xE1, 0xEF])
def test_timer_1_for_one_non_history_epc(epc: int) -> None:
    the_lane = lane()
    the_lane.send(Request.get(METER, epc), SOURCE, NOW)
    pending = the_lane.pending
    assert pending is not None
    assert pending.deadline == NOW + timedelta(seconds=40)


@pytest.mark.parametrize("epcs", [(0xEA, 0xEB), (0x80, 0xE2, 0xEA), (0xE5, 0xE6)])
def test_timer_2_for_opc_two_or_more(epcs: tuple[int, ...]) -> None:
    the_lane = lane()
    the_lane.send(Request.get(METER, *epcs), SOURCE, NOW)
    pending = the_lane.pending
    assert pending is not None
    assert pending.deadline == NOW + timedelta(seconds=180)


@pytest.mark.parametrize("epc", AIF_HISTORY_EPCS)
def test_timer_2_for_a_history_epc_alone(epc: int) -> None:
    the_lane = lane()
    the_lane.send(Request.get(METER, epc), SOURCE, NOW)
    pending = the_lane.pending
    assert pending is not None
    assert pending.deadline == NOW + timedelta(seconds=180)


def test_aif_history_epcs_are_history_epcs_of_the_class() -> None:
    assert set(AIF_HISTORY_EPCS) <= HV_METER_BIDIR.history_epcs


def test_setc_of_one_selector_takes_timer_1() -> None:
    the_lane = lane()
    the_lane.send(Request.setc(METER, 0xE1, b"\x01"), SOURCE, NOW)
    pending = the_lane.pending
    assert pending is not None
    assert pending.deadline == NOW + timedelta(seconds=40)


@pytest.mark.parametrize(
    ("epcs", "seconds"),
    [((0xE2,), 45.0), ((0xE7,), 200.5), ((0xEA, 0xEB), 200.5), ((0x80,), 45.0)],
)
def test_custom_timers_are_honoured(epcs: tuple[int, ...], seconds: float) -> None:
    the_lane = lane(timer_1=45.0, timer_2=200.5)
    assert (the_lane.timer_1, the_lane.timer_2) == (45.0, 200.5)
    the_lane.send(Request.get(METER, *epcs), SOURCE, NOW)
    pending = the_lane.pending
    assert pending is not None
    assert pending.deadline == NOW + timedelta(seconds=seconds)


def test_expired_exactly_at_the_deadline() -> None:
    the_lane = lane()
    the_lane.send(Request.get(METER, 0xE2), SOURCE, NOW)
    deadline = NOW + timedelta(seconds=40)
    assert the_lane.expired(NOW) is False
    assert the_lane.expired(deadline - timedelta(microseconds=1)) is False
    assert the_lane.expired(deadline) is True
    assert the_lane.expired(deadline + timedelta(seconds=1)) is True


def test_expired_with_timer_2() -> None:
    the_lane = lane()
    the_lane.send(Request.get(METER, 0xE7), SOURCE, NOW)
    assert the_lane.expired(NOW + timedelta(seconds=179)) is False
    assert the_lane.expired(NOW + timedelta(seconds=180)) is True


def test_not_expired_once_settled() -> None:
    the_lane = lane()
    the_lane.send(Request.get(METER, 0xE2), SOURCE, NOW)
    the_lane.settle(None)
    assert the_lane.expired(NOW + timedelta(hours=1)) is False


# --- OPC limits [AIF 2.4.4] ---------------------------------------------------------------


def test_three_properties_pass_with_the_default_max_opc() -> None:
    the_lane = lane()
    assert the_lane.max_opc == 3
    the_lane.check(Request.get(METER, 0x80, 0xE2, 0xEA))
    the_lane.send(Request.get(METER, 0x80, 0xE2, 0xEA), SOURCE, NOW)
    assert the_lane.busy is True


def test_more_than_max_opc_is_refused() -> None:
    the_lane = lane()
    with pytest.raises(RequestNotAllowed, match=r"4 properties; a request carries 1\.\.3"):
        the_lane.send(Request.get(METER, 0x80, 0xE2, 0xEA, 0xEB), SOURCE, NOW)
    assert the_lane.busy is False


def test_no_property_is_refused() -> None:
    with pytest.raises(RequestNotAllowed, match="0 properties"):
        lane().send(Request.get(METER), SOURCE, NOW)


def test_max_opc_1_is_honoured() -> None:
    the_lane = lane(max_opc=1)
    with pytest.raises(RequestNotAllowed, match=r"2 properties; a request carries 1\.\.1"):
        the_lane.send(Request.get(METER, 0xEA, 0xEB), SOURCE, NOW)
    assert the_lane.busy is False
    the_lane.send(Request.get(METER, 0xEA), SOURCE, NOW)
    assert the_lane.busy is True


@pytest.mark.parametrize("history", AIF_HISTORY_EPCS)
@pytest.mark.parametrize("position", [0, 1])
def test_a_history_epc_with_another_is_refused(history: int, position: int) -> None:
    epcs = [0xE2]
    epcs.insert(position, history)
    the_lane = lane()
    with pytest.raises(RequestNotAllowed, match="history EPC goes alone"):
        the_lane.send(Request.get(METER, *epcs), SOURCE, NOW)
    assert the_lane.busy is False


def test_two_history_epcs_together_are_refused() -> None:
    with pytest.raises(RequestNotAllowed, match="history EPC goes alone"):
        lane().check(Request.get(METER, 0xE7, 0xE8))


def test_a_history_epc_alone_passes_with_max_opc_1() -> None:
    the_lane = lane(max_opc=1)
    the_lane.send(Request.get(METER, 0xE7), SOURCE, NOW)
    assert the_lane.busy is True


def test_a_refused_request_takes_no_tid() -> None:
    the_lane = lane(tids=TidAllocator(counting(100)))
    with pytest.raises(RequestNotAllowed):
        the_lane.send(Request.get(METER, 0xE7, 0xE2), SOURCE, NOW)
    the_lane.send(Request.get(METER, 0xE7), SOURCE, NOW)
    assert sent_tid(the_lane) == 100


# --- SetC range [AIF 2.4.5] ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("epc", "edt", "reason"),
    [
        (0xE1, bytes([100]), "100 outside 0..99"),
        (0xE1, bytes([0xFF]), "read-only"),  # the default Get may return, Set may not write
        (0xE1, b"", "PDC 0"),
        (0xE1, b"\x01\x02", "PDC 2"),
        (0xEF, EF_VALID[:6] + bytes([11]), "segment count 11 outside 1..10"),
        (0xEF, EF_VALID[:6] + bytes([0]), "segment count 0 outside 1..10"),
        (0xEF, b"\xff" * 6 + bytes([5]), "read-only"),
        (0xEF, EF_VALID[:6], "PDC 6"),
    ],
)
def test_setc_out_of_range_is_refused_before_sending(epc: int, edt: bytes, reason: str) -> None:
    the_lane = lane(tids=TidAllocator(counting(7)))
    request = Request.setc(METER, epc, edt)
    with pytest.raises(RequestNotAllowed, match=reason) as caught:
        the_lane.send(request, SOURCE, NOW)
    assert f"0x{epc:02X}" in str(caught.value)
    assert "AIF 2.4.5" in str(caught.value)
    assert the_lane.busy is False
    with pytest.raises(RequestNotAllowed, match=reason):
        the_lane.check(request)
    the_lane.send(Request.get(METER, 0x80), SOURCE, NOW)
    assert sent_tid(the_lane) == 7  # nothing was allocated for the refused SetC


def test_the_table_agrees_e1_100_is_out_of_range() -> None:
    definition = HV_METER_BIDIR[0xE1]
    with pytest.raises(ValueError, match="outside"):
        definition.validate_set(bytes([100]))
    assert definition.validate_set(bytes([99])) == 99


def test_setc_of_a_property_the_class_lacks_is_refused() -> None:
    assert HV_METER_BIDIR.get(0xF0) is None
    with pytest.raises(RequestNotAllowed, match="0xF0 is no 0x028F property"):
        lane().send(Request.setc(METER, 0xF0, b"\x01"), SOURCE, NOW)


@pytest.mark.parametrize(
    ("epc", "edt"),
    [
        (0xE1, bytes([0])),
        (0xE1, bytes([99])),
        (0xEF, EF_VALID),
        (0xEF, EF_VALID[:6] + bytes([1])),
    ],
)
def test_valid_setc_is_sent_with_its_edt(epc: int, edt: bytes) -> None:
    the_lane = lane()
    data = the_lane.send(Request.setc(METER, epc, edt), SOURCE, NOW)
    frame = decode_frame(data)
    assert isinstance(frame, Frame)
    assert frame.esv is Esv.SETC
    assert frame.properties == (Property(epc, edt),)
    assert frame.tid == sent_tid(the_lane)


def test_encoded_e1_matches_the_raw_byte() -> None:
    assert HV_METER_BIDIR[0xE1].encode(5) == bytes([5])


# --- Only Get and SetC --------------------------------------------------------------------


@pytest.mark.parametrize("esv", [esv for esv in Esv if esv not in (Esv.GET, Esv.SETC)])
def test_services_other_than_get_and_setc_are_refused(esv: Esv) -> None:
    the_lane = lane()
    request = Request(esv, (Property(0x80, b"\x30"),), METER)
    with pytest.raises(RequestNotAllowed, match=f"not {esv.symbol}"):
        the_lane.send(request, SOURCE, NOW)
    assert the_lane.busy is False


# --- The datagram -------------------------------------------------------------------------


def test_datagram_is_a_get_frame_from_the_controller() -> None:
    the_lane = lane(tids=TidAllocator(counting(0x1234)))
    data = the_lane.send(Request.get(METER, 0xEA, 0xEB), SOURCE, NOW)
    assert data[:4] == bytes([0x10, 0x81, 0x12, 0x34])  # EHD1 EHD2 TID
    frame = decode_frame(data)
    assert isinstance(frame, Frame)
    assert frame.tid == 0x1234
    assert frame.seoj == CONTROLLER == Eoj(0x05, 0xFF, 0x01)
    assert frame.deoj == METER
    assert frame.esv is Esv.GET
    assert frame.properties == (Property(0xEA), Property(0xEB))
    assert frame.get_properties == ()


def test_datagram_to_every_instance_keeps_deoj_instance_0() -> None:
    the_lane = lane()
    data = the_lane.send(Request.get(EVERY_METER, 0x80, multicast=True), None, NOW)
    frame = decode_frame(data)
    assert isinstance(frame, Frame)
    assert frame.deoj == EVERY_METER
    assert frame.seoj == CONTROLLER


def test_pending_records_request_tid_destination_and_deadline() -> None:
    the_lane = lane(tids=TidAllocator(counting(9)))
    request = Request.get(METER, 0xE2)
    the_lane.send(request, SOURCE, NOW)
    pending = the_lane.pending
    assert pending is not None
    assert pending.request == request
    assert pending.tid == 9
    assert pending.to == SOURCE
    assert pending.deadline == NOW + timedelta(seconds=40)


# --- Fresh TIDs [AIF 2.4.3] ---------------------------------------------------------------


def test_each_request_gets_a_fresh_tid_after_answers() -> None:
    the_lane = lane()
    seen: list[int] = []
    for _ in range(20):
        the_lane.send(Request.get(METER, 0xE2), SOURCE, NOW)
        tid = sent_tid(the_lane)
        seen.append(tid)
        the_lane.settle(response(tid, Esv.GET_RES, Property(0xE2, b"\x00" * 4)), SOURCE)
    assert len(set(seen)) == 20


def test_a_timed_out_request_is_never_resent_under_its_tid() -> None:
    the_lane = lane()
    request = Request.get(METER, 0xE2)
    seen: list[int] = []
    for attempt in range(20):
        data = the_lane.send(request, SOURCE, NOW + timedelta(seconds=40 * attempt))
        frame = decode_frame(data)
        assert isinstance(frame, Frame)
        seen.append(frame.tid)
        the_lane.settle(None)
    assert len(set(seen)) == 20


def test_tids_come_from_the_given_allocator() -> None:
    the_lane = lane(tids=TidAllocator(counting(0xFFFF)))
    the_lane.send(Request.get(METER, 0x80), SOURCE, NOW)
    assert sent_tid(the_lane) == 0xFFFF
    the_lane.settle(None)
    the_lane.send(Request.get(METER, 0x80), SOURCE, NOW)
    assert sent_tid(the_lane) == 0


def test_settle_releases_the_tid() -> None:
    tids = TidAllocator(counting())
    the_lane = lane(tids=tids)
    the_lane.send(Request.get(METER, 0x80), SOURCE, NOW)
    tid = sent_tid(the_lane)
    assert tids.in_flight(tid) is True
    the_lane.settle(None)
    assert tids.in_flight(tid) is False
    assert tids.outstanding == 0


# --- Matching responses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "esv", "props"),
    [
        (Request.get(METER, 0xEA), Esv.GET_RES, (Property(0xEA, INSTANT_POWER),)),
        (Request.get(METER, 0xEA), Esv.GET_SNA, (Property(0xEA),)),
        (Request.setc(METER, 0xE1, b"\x01"), Esv.SET_RES, (Property(0xE1),)),
        (Request.setc(METER, 0xE1, b"\x01"), Esv.SETC_SNA, (Property(0xE1, b"\x01"),)),
    ],
)
def test_the_paired_response_is_the_answer(
    request_: Request, esv: Esv, props: tuple[Property, ...]
) -> None:
    the_lane = lane()
    the_lane.send(request_, SOURCE, NOW)
    frame = response(sent_tid(the_lane), esv, *props)
    assert the_lane.match(frame, SOURCE) is Match.ANSWER
    assert the_lane.busy is True  # matching alone settles nothing


@pytest.mark.parametrize(
    ("request_", "esv"),
    [
        (Request.get(METER, 0xEA), Esv.SET_RES),
        (Request.get(METER, 0xEA), Esv.SETC_SNA),
        (Request.get(METER, 0xEA), Esv.INF),
        (Request.get(METER, 0xEA), Esv.GET),
        (Request.get(METER, 0xEA), Esv.SETI_SNA),
        (Request.get(METER, 0xEA), Esv.INF_SNA),
        (Request.setc(METER, 0xE1, b"\x01"), Esv.GET_RES),
        (Request.setc(METER, 0xE1, b"\x01"), Esv.GET_SNA),
        (Request.setc(METER, 0xE1, b"\x01"), Esv.SETI_SNA),
        (Request.setc(METER, 0xE1, b"\x01"), Esv.INFC_RES),
    ],
)
def test_a_wrongly_paired_esv_is_not_the_answer(request_: Request, esv: Esv) -> None:
    the_lane = lane()
    the_lane.send(request_, SOURCE, NOW)
    frame = response(sent_tid(the_lane), esv, Property(request_.epcs[0], b"\x01"))
    assert the_lane.match(frame, SOURCE) is Match.UNSOLICITED


@pytest.mark.parametrize("seoj", [METER_2, LV_METER, CONTROLLER, Eoj.of(0x028F, 0x00)])
def test_a_response_from_another_object_is_not_the_answer(seoj: Eoj) -> None:
    the_lane = lane()
    the_lane.send(Request.get(METER, 0x80), SOURCE, NOW)
    frame = response(sent_tid(the_lane), Esv.GET_RES, Property(0x80, b"\x30"), seoj=seoj)
    assert the_lane.match(frame, SOURCE) is Match.UNSOLICITED


@pytest.mark.parametrize("seoj", [METER, METER_2, Eoj.of(0x028F, 0x7F)])
def test_any_instance_answers_a_request_to_instance_0(seoj: Eoj) -> None:
    the_lane = lane()
    the_lane.send(Request.get(EVERY_METER, 0x80, multicast=True), None, NOW)
    frame = response(sent_tid(the_lane), Esv.GET_RES, Property(0x80, b"\x30"), seoj=seoj)
    assert the_lane.match(frame, SOURCE) is Match.ANSWER


@pytest.mark.parametrize("seoj", [LV_METER, Eoj.of(0x0288, 0x00), Eoj(0x0E, 0xF0, 0x01)])
def test_another_class_does_not_answer_a_request_to_instance_0(seoj: Eoj) -> None:
    the_lane = lane()
    the_lane.send(Request.get(EVERY_METER, 0x80, multicast=True), None, NOW)
    frame = response(sent_tid(the_lane), Esv.GET_RES, Property(0x80, b"\x30"), seoj=seoj)
    assert the_lane.match(frame, SOURCE) is Match.UNSOLICITED


def test_a_response_from_another_source_is_not_the_answer() -> None:
    the_lane = lane()
    the_lane.send(Request.get(METER, 0x80), SOURCE, NOW)
    frame = response(sent_tid(the_lane), Esv.GET_RES, Property(0x80, b"\x30"))
    assert the_lane.match(frame, OTHER_SOURCE) is Match.UNSOLICITED
    assert the_lane.match(frame, SOURCE) is Match.ANSWER


@pytest.mark.parametrize("source", [SOURCE, OTHER_SOURCE, ("2001:db8::1", 3610, 0, 0)])
def test_any_source_answers_when_to_is_none(source: Hashable) -> None:
    the_lane = lane()
    the_lane.send(Request.get(METER, 0x80), None, NOW)
    frame = response(sent_tid(the_lane), Esv.GET_RES, Property(0x80, b"\x30"))
    assert the_lane.match(frame, source) is Match.ANSWER


def test_a_response_to_an_unknown_tid_is_unsolicited() -> None:
    the_lane = lane(tids=TidAllocator(counting(10)))
    the_lane.send(Request.get(METER, 0x80), SOURCE, NOW)
    frame = response(11, Esv.GET_RES, Property(0x80, b"\x30"))
    assert the_lane.match(frame, SOURCE) is Match.UNSOLICITED


def test_a_response_with_nothing_in_flight_is_unsolicited() -> None:
    frame = response(0, Esv.GET_RES, Property(0x80, b"\x30"))
    assert lane().match(frame, SOURCE) is Match.UNSOLICITED


def test_a_response_after_the_timeout_is_late() -> None:
    the_lane = lane()
    the_lane.send(Request.get(METER, 0xE2), SOURCE, NOW)
    tid = sent_tid(the_lane)
    the_lane.settle(None)
    frame = response(tid, Esv.GET_RES, Property(0xE2, b"\x00" * 4))
    assert the_lane.match(frame, SOURCE) is Match.LATE


def test_a_late_response_is_not_the_answer_to_the_next_request() -> None:
    the_lane = lane()
    the_lane.send(Request.get(METER, 0xE2), SOURCE, NOW)
    old = sent_tid(the_lane)
    the_lane.settle(None)
    the_lane.send(Request.get(METER, 0xE2), SOURCE, NOW + timedelta(seconds=40))
    new = sent_tid(the_lane)
    assert new != old
    late = response(old, Esv.GET_RES, Property(0xE2, b"\x00" * 4))
    assert the_lane.match(late, SOURCE) is Match.LATE
    fresh = response(new, Esv.GET_RES, Property(0xE2, b"\x00" * 4))
    assert the_lane.match(fresh, SOURCE) is Match.ANSWER


def test_a_duplicate_of_an_answered_response_is_late() -> None:
    the_lane = lane()
    the_lane.send(Request.get(METER, 0xE2), SOURCE, NOW)
    frame = response(sent_tid(the_lane), Esv.GET_RES, Property(0xE2, b"\x00" * 4))
    assert the_lane.match(frame, SOURCE) is Match.ANSWER
    the_lane.settle(frame, SOURCE)
    assert the_lane.match(frame, SOURCE) is Match.LATE


def test_recent_retired_tids_are_all_late() -> None:
    the_lane = lane()
    retired: list[int] = []
    for _ in range(10):
        the_lane.send(Request.get(METER, 0x80), SOURCE, NOW)
        retired.append(sent_tid(the_lane))
        the_lane.settle(None)
    for tid in retired:
        assert the_lane.match(response(tid, Esv.GET_RES, Property(0x80, b"\x30")), SOURCE) is (
            Match.LATE
        )


def test_settle_returns_the_answer_with_its_source() -> None:
    the_lane = lane()
    request = Request.get(METER, 0x80)
    the_lane.send(request, SOURCE, NOW)
    frame = response(sent_tid(the_lane), Esv.GET_RES, Property(0x80, b"\x30"))
    answer = the_lane.settle(frame, SOURCE)
    assert answer == Answer(request, frame, SOURCE)
    assert the_lane.pending is None


def test_round_trip_through_the_wire() -> None:
    """A meter that echoes the request's TID into its response is the answer."""
    the_lane = lane()
    data = the_lane.send(Request.get(METER, 0xEA), SOURCE, NOW)
    sent = decode_frame(data)
    assert isinstance(sent, Frame)
    reply = Frame(sent.tid, sent.deoj, sent.seoj, Esv.GET_RES, (Property(0xEA, INSTANT_POWER),))
    assert the_lane.match(reply, SOURCE) is Match.ANSWER
    answer = the_lane.settle(reply, SOURCE)
    assert answer.values() == {0xEA: INSTANT_POWER}


# --- Answer -------------------------------------------------------------------------------


def test_answer_of_get_res() -> None:
    request = Request.get(METER, 0x80, 0xEA)
    frame = response(1, Esv.GET_RES, Property(0x80, b"\x30"), Property(0xEA, INSTANT_POWER))
    answer = Answer(request, frame, SOURCE)
    assert answer.timed_out is False
    assert answer.accepted is True
    assert answer.values() == {0x80: b"\x30", 0xEA: INSTANT_POWER}
    assert answer.refused() == set()
    assert answer.source == SOURCE


def test_answer_of_get_sna_serves_some() -> None:
    request = Request.get(METER, 0x80, 0xEA, 0xEB)
    frame = response(1, Esv.GET_SNA, Property(0x80, b"\x30"), Property(0xEA), Property(0xEB))
    answer = Answer(request, frame, SOURCE)
    assert answer.timed_out is False
    assert answer.accepted is False
    assert answer.values() == {0x80: b"\x30"}
    assert answer.refused() == {0xEA, 0xEB}


def test_answer_of_get_sna_serves_none() -> None:
    request = Request.get(METER, 0xE7)
    answer = Answer(request, response(1, Esv.GET_SNA, Property(0xE7)), SOURCE)
    assert answer.accepted is False
    assert answer.values() == {}
    assert answer.refused() == {0xE7}


def test_answer_of_get_res_missing_an_epc_names_it_refused() -> None:
    request = Request.get(METER, 0x80, 0xEA)
    answer = Answer(request, response(1, Esv.GET_RES, Property(0x80, b"\x30")), SOURCE)
    assert answer.values() == {0x80: b"\x30"}
    assert answer.refused() == {0xEA}


def test_answer_of_set_res() -> None:
    request = Request.setc(METER, 0xE1, b"\x01")
    answer = Answer(request, response(1, Esv.SET_RES, Property(0xE1)), SOURCE)
    assert answer.timed_out is False
    assert answer.accepted is True
    assert answer.values() == {}
    assert answer.refused() == set()


def test_answer_of_setc_sna() -> None:
    """A SetC_SNA echoes the refused property's EDT [EL spec §4.2.3]."""
    request = Request.setc(METER, 0xE1, b"\x30")
    answer = Answer(request, response(1, Esv.SETC_SNA, Property(0xE1, b"\x30")), SOURCE)
    assert answer.timed_out is False
    assert answer.accepted is False
    assert answer.values() == {}
    assert answer.refused() == {0xE1}


def test_answer_of_setc_sna_with_some_accepted() -> None:
    request = Request(Esv.SETC, (Property(0xE1, b"\x01"), Property(0xEF, EF_VALID)), METER)
    frame = response(1, Esv.SETC_SNA, Property(0xE1), Property(0xEF, EF_VALID))
    answer = Answer(request, frame, SOURCE)
    assert answer.refused() == {0xEF}


@pytest.mark.parametrize(
    "request_",
    [
        Request.get(METER, 0x80, 0xEA, 0xEB),
        Request.get(METER, 0xE7),
        Request.setc(METER, 0xE1, b"\x01"),
    ],
)
def test_answer_of_a_timeout(request_: Request) -> None:
    answer = Answer(request_, None)
    assert answer.timed_out is True
    assert answer.accepted is False
    assert answer.values() == {}
    assert answer.refused() == set(request_.epcs)
    assert answer.source is None


def test_settle_none_gives_a_timed_out_answer() -> None:
    the_lane = lane()
    request = Request.get(METER, 0xEA, 0xEB)
    the_lane.send(request, SOURCE, NOW)
    answer = the_lane.settle(None)
    assert answer.request == request
    assert answer.frame is None
    assert answer.timed_out is True
    assert answer.refused() == {0xEA, 0xEB}


def test_request_refused_is_a_value_error() -> None:
    assert issubclass(RequestNotAllowed, ValueError)
