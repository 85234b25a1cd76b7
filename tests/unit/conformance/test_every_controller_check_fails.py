"""Every clause of the controller watch fails on a controller that breaks it (and hemsnet's own
passes: test_controller_watch.py). Each case is hemsnet's controller with one rule broken."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hemsnet.conformance.render import as_junit, as_text
from hemsnet.conformance.report import ClauseVerdict
from tests.unit.conformance import broken_controller as bc
from tests.unit.conformance.harness import outcome
from tests.unit.conformance.watch_harness import hemsnet_controller, watch_controller


def _tid() -> bc.BrokenController:
    mod = bc.TidMod16()
    return bc.BrokenController(hemsnet_controller(), out=mod.out, into=mod.into)


def _with(**hooks: object) -> Callable[[], bc.BrokenController]:
    return lambda: bc.BrokenController(hemsnet_controller(), **hooks)  # type: ignore[arg-type]


def _stateful(make: Callable[[], object], **names: str) -> Callable[[], bc.BrokenController]:
    def build() -> bc.BrokenController:
        state = make()
        hooks = {hook: getattr(state, attr) for hook, attr in names.items()}
        return bc.BrokenController(hemsnet_controller(), **hooks)

    return build


CASES: dict[str, Callable[[], bc.BrokenController]] = {
    "one-outstanding": _with(out=bc.also_a_second),
    "timer-1": _with(retry_after=bc.early(10, history=False)),
    "timer-2": _with(retry_after=bc.early(60, history=True)),
    "fresh-tid": _tid,
    "opc": _with(out=bc.padded_to_13),
    "history-alone": _with(out=bc.with_operation_status),
    "setc-in-range": _stateful(bc.DayOutOfRangeOnce, out="out"),
    "day-check": _stateful(bc.TrustsAnyDay, out="out", into="into"),
    "fault-pause": _with(into=bc.drop_fault_notice),
    "fault-resume": _with(into=bc.fault_status_as(b"\x41")),
    "route-b-only": _with(out=bc.and_a_battery),
    "attributes": _stateful(bc.MeasuresFirst, out="out"),
}


@pytest.mark.parametrize("clause", sorted(CASES))
def test_the_clause_fails_on_a_controller_that_breaks_it(clause: str) -> None:
    report, _ = watch_controller(CASES[clause]())
    result = outcome(report, clause)
    assert result.verdict is ClauseVerdict.FAIL, as_text(report)
    assert result.evidence, "a failure carries its frames"
    first = result.evidence[0].data.hex().upper()
    assert first in as_text(report) and first in as_junit(report)
    if result.clause.mandatory:
        assert not report.passed


def test_every_clause_has_a_case() -> None:
    report, _ = watch_controller(hemsnet_controller())
    assert {o.clause.id for o in report.outcomes} == set(CASES)
