"""Response-wait timers [AIF 2.4.2, Table 2-5]."""

from __future__ import annotations

from hemsnet.devices.registry import class_def
from hemsnet.echonet.timers import TIMER_1_MIN, TIMER_2_MIN, needs_timer_2, response_wait

METER = class_def(0x028F)
assert METER is not None
HISTORY = METER.history_epcs


def test_the_aif_minimums() -> None:
    assert (TIMER_1_MIN, TIMER_2_MIN) == (40.0, 180.0)


def test_one_plain_epc_waits_timer_1() -> None:
    assert response_wait([0xE2], HISTORY) == 40.0
    assert not needs_timer_2([0x80], HISTORY)


def test_two_or_more_epcs_wait_timer_2() -> None:
    assert response_wait([0x80, 0xE5], HISTORY) == 180.0


def test_every_aif_history_epc_waits_timer_2_even_alone() -> None:
    for epc in (0xE7, 0xE8, 0xC6, 0xC8, 0xCE, 0xCF, 0xED):
        assert epc in HISTORY
        assert response_wait([epc], HISTORY) == 180.0


def test_configured_values_are_used() -> None:
    assert response_wait([0x80], HISTORY, timer_1=45, timer_2=200) == 45
    assert response_wait([0xE7], HISTORY, timer_1=45, timer_2=200) == 200
