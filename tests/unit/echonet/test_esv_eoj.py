"""ESV pairing rules and EOJ addressing."""

from __future__ import annotations

import pytest

from hemsnet.echonet.eoj import CONTROLLER, NODE_PROFILE, Eoj, parse_eoj
from hemsnet.echonet.esv import Esv


def test_every_request_has_its_documented_answers() -> None:
    assert Esv.GET.success_response is Esv.GET_RES
    assert Esv.GET.sna_response is Esv.GET_SNA
    assert Esv.SETC.success_response is Esv.SET_RES
    assert Esv.SETC.sna_response is Esv.SETC_SNA
    assert Esv.SETI.success_response is None
    assert Esv.SETI.sna_response is Esv.SETI_SNA
    assert Esv.INF_REQ.success_response is Esv.INF
    assert Esv.SETGET.success_response is Esv.SETGET_RES
    assert Esv.INFC.success_response is Esv.INFC_RES
    assert Esv.INFC.sna_response is None


def test_responses_know_their_request() -> None:
    assert Esv.GET_RES.answers is Esv.GET
    assert Esv.GET_SNA.answers is Esv.GET
    assert Esv.SET_RES.answers is Esv.SETC
    assert Esv.INFC_RES.answers is Esv.INFC
    assert Esv.INF.answers is None


def test_classification() -> None:
    assert [e for e in Esv if e.is_request] == [
        Esv.SETI, Esv.SETC, Esv.GET, Esv.INF_REQ, Esv.SETGET
    ]  # fmt: skip
    assert all(e.is_sna for e in Esv if 0x50 <= e <= 0x5F)
    assert {e for e in Esv if e.is_setget} == {Esv.SETGET, Esv.SETGET_RES, Esv.SETGET_SNA}
    assert Esv.SETGET_SNA.symbol == "SetGet_SNA"


def test_instance_zero_and_node_profile_addressing() -> None:
    meter = Eoj(0x02, 0x8F, 0x01)
    assert Eoj(0x02, 0x8F, 0x00).addresses(meter)
    assert meter.addresses(meter)
    assert not Eoj(0x02, 0x8F, 0x02).addresses(meter)
    assert not Eoj(0x02, 0x8A, 0x01).addresses(meter)
    assert Eoj(0x0E, 0xF0, 0x02).addresses(NODE_PROFILE)
    assert Eoj(0x0E, 0xF0, 0x00).addresses(NODE_PROFILE)


@pytest.mark.parametrize("text", ["05FF01", "0x05ff01", "05:FF:01", " 05 FF 01 "])
def test_parse_eoj_accepts_common_spellings(text: str) -> None:
    assert parse_eoj(text) == CONTROLLER


@pytest.mark.parametrize("text", ["05FF", "05FF0101", "zzzzzz"])
def test_parse_eoj_rejects_with_a_message(text: str) -> None:
    with pytest.raises(ValueError, match="EOJ"):
        parse_eoj(text)


def test_eoj_helpers() -> None:
    assert Eoj.of(0x028F, 1) == Eoj(2, 0x8F, 1)
    assert Eoj(2, 0x8F, 1).class_id == 0x028F
    assert str(Eoj(2, 0x8F, 1)) == "028F01"
    assert Eoj(2, 0x8F, 1).with_instance(0) == Eoj(2, 0x8F, 0)
    assert Eoj.from_bytes(b"\x02\x8f\x01").to_bytes() == b"\x02\x8f\x01"
