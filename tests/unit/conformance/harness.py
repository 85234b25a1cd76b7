"""The meter tester against a meter engine (hemsnet's own, or one broken on purpose)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from hemsnet.conformance.meter_checker import MeterChecker
from hemsnet.conformance.meter_checks import MeterCheckOptions
from hemsnet.conformance.report import ClauseVerdict, Outcome, Report
from hemsnet.meter.config import MeterConfig
from hemsnet.meter.engine import MeterEngine
from hemsnet.meter.faults import FaultPlan
from tests.unit.conformance.pair import AnyEngine, Pair

START = datetime(2026, 11, 16, 9, 7, 30)  # a Monday, meter time


def hemsnet_meter(
    *, class_id: int = 0x028F, now: datetime = START, faults: FaultPlan | None = None, **config: Any
) -> MeterEngine:
    base = MeterConfig() if class_id == 0x028F else MeterConfig.low_voltage()
    return MeterEngine(
        dataclasses.replace(base, **config),
        now=now,
        seed=7,
        installed=now - timedelta(days=10),
        faults=faults,
    )


def check_meter(
    device: AnyEngine,
    *,
    now: datetime = START,
    options: MeterCheckOptions | None = None,
    device_class: int = 0x028F,
) -> tuple[Report, Pair]:
    options = options or MeterCheckOptions(class_id=device_class)
    checker = MeterChecker("device", now=now, options=options)
    pair = Pair(checker.engine, device, now)
    pair.start(b_first=True)
    pair.run_until(lambda: checker.engine.done, timedelta(hours=2))
    assert checker.engine.failure is None, checker.engine.failure
    return checker.finish(pair.now), pair


def outcome(report: Report, clause_id: str) -> Outcome:
    found = [o for o in report.outcomes if o.clause.id == clause_id]
    assert len(found) == 1, f"{clause_id}: {[o.clause.id for o in report.outcomes]}"
    return found[0]


def failed(report: Report) -> list[str]:
    return [o.clause.id for o in report.outcomes if o.verdict is ClauseVerdict.FAIL]
