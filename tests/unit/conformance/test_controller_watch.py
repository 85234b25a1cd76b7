"""The controller watch against hemsnet's own controller, in virtual time: every clause passes."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from hemsnet.conformance.controller_watch import ControllerWatch
from hemsnet.conformance.render import as_json, as_text
from hemsnet.conformance.report import ClauseVerdict
from tests.unit.conformance.harness import START, failed, hemsnet_meter, outcome
from tests.unit.conformance.watch_harness import hemsnet_controller, watch_controller


@pytest.mark.parametrize("class_id", [0x028F, 0x0288])
def test_hemsnet_controller_conforms(class_id: int) -> None:
    report, _ = watch_controller(hemsnet_controller(), class_id=class_id)
    print(as_text(report))
    assert failed(report) == []
    assert all(o.verdict is ClauseVerdict.PASS for o in report.outcomes), as_text(report)
    assert report.passed
    assert "waited" in outcome(report, "timer-2").detail


def test_the_watch_survives_any_datagram_a_controller_sends() -> None:
    """Junk, and requests with any ESV, objects and properties: judged, never raised."""
    draw = random.Random(18)
    watch = ControllerWatch(hemsnet_meter(), now=START, end=START + timedelta(hours=1))
    watch.announce(START)
    now = START
    for _ in range(3000):
        now += timedelta(seconds=draw.random())
        head = b"\x10\x81" + draw.randbytes(2) + b"\x05\xff\x01"
        deoj = draw.choice([b"\x02\x8f\x01", b"\x02\x8f\x00", b"\x0e\xf0\x01", draw.randbytes(3)])
        esv = bytes([draw.choice([0x60, 0x61, 0x62, 0x63, 0x6E, 0x72, 0x73, draw.randrange(256)])])
        body = draw.randbytes(draw.randrange(0, 20))
        data = head + deoj + esv + body if draw.random() < 0.8 else draw.randbytes(30)
        watch.receive(data, "controller", now)
        if watch.next_wakeup() <= now:
            watch.advance(now)
        watch.take_events()
    report = watch.finish(now)
    assert not report.passed
    assert as_json(report)
