"""The controller watch against hemsnet's own controller, in virtual time: every clause passes."""

from __future__ import annotations

import pytest

from hemsnet.conformance.render import as_text
from hemsnet.conformance.report import Verdict
from tests.unit.conformance.harness import failed, outcome
from tests.unit.conformance.watch_harness import hemsnet_controller, watch_controller


@pytest.mark.parametrize("class_id", [0x028F, 0x0288])
def test_hemsnet_controller_conforms(class_id: int) -> None:
    report, _ = watch_controller(hemsnet_controller(), class_id=class_id)
    print(as_text(report))
    assert failed(report) == []
    assert all(o.verdict is Verdict.PASS for o in report.outcomes), as_text(report)
    assert report.passed
    assert "waited" in outcome(report, "timer-2").detail
