"""The meter tester as an engine: :class:`MeterChecks` run by a :class:`ScriptEngine`.

``checker.engine`` is what a runner pumps (over UDP, through a dongle, or in virtual time in a
test); ``checker.report`` fills as the checks are judged and is complete once
``checker.engine.done``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime

from hemsnet.conformance.exchange import ScriptEngine
from hemsnet.conformance.meter_checks import MeterCheckOptions, MeterChecks
from hemsnet.conformance.report import Report

__all__ = ["MeterChecker"]


class MeterChecker:
    """One conformance run against the meter at ``device``."""

    def __init__(
        self,
        device: Hashable | None,
        *,
        now: datetime,
        options: MeterCheckOptions | None = None,
        subject: str | None = None,
        identify: Callable[[Hashable], Hashable] = lambda source: source,
        endpoint: Callable[[Hashable], Hashable] = lambda source: source,
        tid_start: int = 1,
    ) -> None:
        options = options or MeterCheckOptions()
        where = device if device is not None else "the other end of Route B"
        name = subject or f"meter {options.class_id:04X}01 at {where}"
        self.report = Report(name, started=now)
        self.checks = MeterChecks(options, self.report)
        self.engine = ScriptEngine(
            self.checks.script,
            now=now,
            device=device,
            identify=identify,
            endpoint=endpoint,
            tid_start=tid_start,
        )

    def finish(self, now: datetime) -> Report:
        """The report at ``now``: complete if the script ran to its end."""
        self.report.ended = now
        self.report.complete = self.engine.complete
        self.report.error = self.engine.failure
        return self.report
