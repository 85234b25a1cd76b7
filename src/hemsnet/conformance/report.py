"""A conformance report: clauses, their outcomes and the frames that prove them.

A :class:`Clause` is one requirement with its spec reference; an :class:`Outcome` says how the
device under test fared on it, with the frames (:class:`Evidence`) exchanged. Every failure
carries its frames in hex, so a vendor can replay them. The run passes when no mandatory
clause failed and none was left unchecked except where the user asked to skip it (T3).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

__all__ = ["Clause", "ClauseVerdict", "Evidence", "Outcome", "Report"]


class ClauseVerdict(Enum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"  # not checked: not observed, or the user asked to skip it


@dataclass(frozen=True, slots=True)
class Clause:
    """One requirement: ``id`` is stable for scripts, ``ref`` cites the spec."""

    id: str
    title: str
    ref: str
    mandatory: bool = True


@dataclass(frozen=True, slots=True)
class Evidence:
    """A datagram that crossed: ``sent`` by the tester or received from the device."""

    at: datetime
    sent: bool
    data: bytes

    def line(self) -> str:
        arrow = "->" if self.sent else "<-"
        return f"{self.at.isoformat(timespec='milliseconds')} {arrow} {self.data.hex().upper()}"


@dataclass(frozen=True, slots=True)
class Outcome:
    clause: Clause
    verdict: ClauseVerdict
    detail: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(slots=True)
class Report:
    """Every outcome of one run, in the order the clauses were checked."""

    subject: str  # what was tested, e.g. "meter 028F01 at fe80::1%eth1"
    started: datetime
    ended: datetime | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    skipped_by_user: frozenset[str] = frozenset()
    listener: Callable[[Outcome], None] | None = None  # told each outcome as it is judged
    complete: bool = False  # every clause judged (not an interrupted run)
    error: str | None = None  # the tester's own error that ended the run early

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        if self.listener is not None:
            self.listener(outcome)

    def extend(self, outcomes: Iterable[Outcome]) -> None:
        for outcome in outcomes:
            self.add(outcome)

    def count(self, verdict: ClauseVerdict) -> int:
        return sum(1 for o in self.outcomes if o.verdict is verdict)

    @property
    def blocking(self) -> list[Outcome]:
        """Mandatory clauses that failed, or that went unchecked without the user's say."""
        return [
            o
            for o in self.outcomes
            if o.clause.mandatory
            and (
                o.verdict is ClauseVerdict.FAIL
                or (o.verdict is ClauseVerdict.SKIP and o.clause.id not in self.skipped_by_user)
            )
        ]

    @property
    def passed(self) -> bool:
        return self.complete and bool(self.outcomes) and not self.blocking
