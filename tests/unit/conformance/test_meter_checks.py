"""The meter tester against hemsnet's own meters, in virtual time: every clause passes."""

from __future__ import annotations

import pytest

from hemsnet.conformance.render import as_text
from hemsnet.conformance.report import Verdict
from tests.unit.conformance.harness import check_meter, failed, hemsnet_meter, outcome


@pytest.mark.parametrize("class_id", [0x028F, 0x0288])
def test_hemsnet_meter_conforms(class_id: int) -> None:
    report, _ = check_meter(hemsnet_meter(class_id=class_id), device_class=class_id)
    print(as_text(report))
    assert failed(report) == []
    assert report.passed
    assert outcome(report, "startup-announcement").verdict is Verdict.PASS
    assert outcome(report, "scheduled-notification").verdict is Verdict.PASS


def test_a_low_voltage_meter_checked_as_a_high_voltage_one_fails_without_a_crash() -> None:
    report, _ = check_meter(hemsnet_meter(class_id=0x0288), device_class=0x028F)
    assert not report.passed
    assert {"search", "instance-list", "opc-12"} <= set(failed(report))
