"""The meter tester against hemsnet's own meters, in virtual time: every clause passes."""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterator, Sequence
from datetime import datetime, timedelta

import pytest

from hemsnet.conformance.render import as_json, as_junit, as_text
from hemsnet.conformance.report import ClauseVerdict
from hemsnet.echonet.send import Send
from hemsnet.meter.config import MixedHistory
from tests.unit.conformance.harness import START, check_meter, failed, hemsnet_meter, outcome


@pytest.mark.parametrize("class_id", [0x028F, 0x0288])
def test_hemsnet_meter_conforms(class_id: int) -> None:
    report, _ = check_meter(hemsnet_meter(class_id=class_id), device_class=class_id)
    print(as_text(report))
    assert failed(report) == []
    assert report.passed
    assert outcome(report, "startup-announcement").verdict is ClauseVerdict.PASS
    assert outcome(report, "scheduled-notification").verdict is ClauseVerdict.PASS


def test_a_low_voltage_meter_checked_as_a_high_voltage_one_fails_without_a_crash() -> None:
    report, _ = check_meter(hemsnet_meter(class_id=0x0288), device_class=0x028F)
    assert not report.passed
    assert {"search", "instance-list", "opc-12"} <= set(failed(report))


def test_a_meter_that_serves_a_history_epc_with_another_passes_too() -> None:
    report, _ = check_meter(hemsnet_meter(mixed_history=MixedHistory.SERVE))
    assert outcome(report, "history-mixed").detail == "served whole"
    assert report.passed


class _Garbage:
    """A hostile device: it answers every datagram with seeded junk, some of it shaped like
    an answer under the request's TID, with any ESV, objects and properties."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.random = random.Random(seed)
        self.now = now

    def announce(self, now: datetime) -> list[Send]:
        return [Send(self.random.randbytes(self.random.randrange(0, 40)))]

    def receive(self, data: bytes, source: Hashable, now: datetime) -> list[Send]:
        r = self.random
        junk = r.randbytes(r.randrange(0, 60))
        if r.random() < 0.7 and len(data) >= 4:
            esv = r.choice([0x50, 0x51, 0x52, 0x71, 0x72, 0x73, 0x7A, 0x6F, 0x62])
            junk = b"\x10\x81" + data[2:4] + r.randbytes(6) + bytes([esv]) + junk
        return [Send(junk, source)] if r.random() < 0.9 else []

    def advance(self, now: datetime) -> list[Send]:
        self.now = now
        return []

    def next_wakeup(self) -> datetime:
        return self.now + timedelta(days=1)

    def take_events(self) -> Sequence[object]:
        return ()


@pytest.mark.parametrize("seed", range(8))
def test_the_tester_survives_any_answer_and_reports_it(seed: int) -> None:
    report, _ = check_meter(_Garbage(seed, START))
    assert not report.passed
    assert outcome(report, "response-form").verdict is ClauseVerdict.FAIL
    for render in (as_text, as_json, as_junit):
        assert render(report)


def test_an_interrupted_run_does_not_conform_though_all_it_checked_passed() -> None:
    from hemsnet.conformance.meter_checker import MeterChecker
    from tests.unit.conformance.pair import Pair

    checker = MeterChecker("device", now=START)
    pair = Pair(checker.engine, hemsnet_meter(), START)
    pair.start(b_first=True)
    pair.run_until(lambda: len(checker.report.outcomes) >= 10, timedelta(hours=1))
    report = checker.finish(pair.now)
    assert failed(report) == [] and not report.complete
    assert not report.passed
    assert "INTERRUPTED" in as_text(report)
    assert 'errors="1"' in as_junit(report) and "<error" in as_junit(report)
    assert '"complete": false' in as_json(report)


def test_a_run_across_midnight_conforms_wherever_midnight_falls() -> None:
    """Midnight at any point of the run (the day's void slots, the clock, the selections)."""
    midnight = datetime(2026, 11, 17)
    # The first 2 s of a run hold everything up to the unknown EPC; the day's void slots are
    # judged about 1.1 s in, between two reads of the clock 10 ms apart.
    coarse = [0.2 * step for step in range(10)]
    fine = [1.04 + 0.0025 * step for step in range(30)]
    for seconds in coarse + fine:
        start = midnight - timedelta(seconds=seconds)
        report, _ = check_meter(hemsnet_meter(now=start), now=start)
        assert failed(report) == [], (start, failed(report))


def test_a_bug_of_the_tester_ends_the_run_incomplete_not_a_hung_runner() -> None:
    from hemsnet.conformance.exchange import ScriptEngine

    def script(_: object) -> Iterator[object]:
        yield from ()
        raise RuntimeError("a bug")

    engine = ScriptEngine(script, now=START, device="device")  # type: ignore[arg-type]
    engine.advance(START)
    assert engine.done and not engine.complete
    assert engine.failure == "RuntimeError: a bug"
    assert [type(e).__name__ for e in engine.take_events()] == ["ScriptDone"]
