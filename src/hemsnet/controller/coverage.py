"""Which readings the controller holds, which are missing, and the gaps it has opened.

A grid instant of a 30-minute or one-minute series is *settled* once a value or the meter's
"no data" (void) has been recorded for it; a void only settles an instant that the meter has
had time to measure (it says so for the slots still ahead in a history of today). A gap is a
run of unsettled half-hours after the start of the record; it is *filled* when each of its
half-hours has a value, and *unrecoverable* when the meter answered void for some of them or
no longer holds them.

The raw count held for each instant is kept too, so that a later reading that contradicts it
is caught: the instant is then *disputed* until the meter's own history settles it
(:mod:`hemsnet.controller.vetting`, decision C46).

`Held` is what the store already holds when the controller starts, so that a
restarted controller knows what to fetch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from hemsnet.metering.samples import Sample
from hemsnet.metering.series import (
    HALF_HOUR,
    HALF_HOUR_SERIES,
    MINUTE_SERIES,
    Series,
    instants,
)

__all__ = ["Coverage", "GapKey", "Held"]


GapKey = tuple[Series, datetime, datetime]


@dataclass(slots=True)
class Held:
    """Readings already stored: the grid ones with their raw counts, the void ones, the open
    gaps, and the newest real reading of each series that is not on a grid."""

    real: dict[Series, dict[datetime, int]] = field(default_factory=dict)
    void: dict[Series, set[datetime]] = field(default_factory=dict)
    open_gaps: set[GapKey] = field(default_factory=set)
    latest: dict[Series, tuple[datetime, int]] = field(default_factory=dict)
    peak_kw: Decimal | None = None  # the highest 30-minute demand held


class Coverage:
    """The settled instants of every grid series, and the open gaps."""

    def __init__(self, held: Held | None = None) -> None:
        grid = HALF_HOUR_SERIES + MINUTE_SERIES
        self._real: dict[Series, dict[datetime, int]] = {s: {} for s in grid}
        self._settled: dict[Series, set[datetime]] = {s: set() for s in grid}
        self.open_gaps: set[GapKey] = set()
        self.disputed: set[tuple[Series, datetime]] = set()
        if held is not None:
            self.merge(held)

    def merge(self, held: Held) -> None:
        """Take what the store holds under what was noted since the start."""
        for series, counts in held.real.items():
            self._real[series] = counts | self._real[series]
            self._settled[series] |= counts.keys()
        for series, instants_ in held.void.items():
            self._settled[series] |= instants_
        self.open_gaps |= held.open_gaps

    def add(self, samples: Iterable[Sample], *, settled_before: datetime) -> list[Sample]:
        """Take note of ``samples``; the ones worth recording are returned.

        A void sample at or after ``settled_before`` is dropped: the meter has not measured
        that instant yet.
        """
        kept = []
        for sample in samples:
            settled = self._settled.get(sample.series)
            if settled is None:  # a series read at any second: nothing to cover
                kept.append(sample)
                continue
            if sample.raw is None:
                if sample.measured_at >= settled_before:
                    continue
            else:
                self._real[sample.series][sample.measured_at] = sample.raw
            settled.add(sample.measured_at)
            self.disputed.discard((sample.series, sample.measured_at))
            kept.append(sample)
        return kept

    def held(self, series: Series, at: datetime) -> int | None:
        """The raw count held for ``at``; ``None`` when none is (or the series is no grid)."""
        counts = self._real.get(series)
        return None if counts is None else counts.get(at)

    def dispute(self, series: Series, at: datetime) -> None:
        """A reading contradicted the count held for ``at``: fetch the meter's history of it."""
        self.disputed.add((series, at))

    def has(self, series: Series, at: datetime) -> bool:
        return at in self._settled[series]

    def any_real(self, series: Iterable[Series], start: datetime, end: datetime) -> bool:
        """Whether any of ``series`` has a value in [start, end)."""
        return any(start <= at < end for one in series for at in self._real[one])

    def earliest_real(self, series: Series) -> datetime | None:
        real = self._real[series]
        return min(real) if real else None

    def missing(self, series: Series, start: datetime, end: datetime) -> list[datetime]:
        """The unsettled grid instants of ``series`` in [start, end)."""
        step = series.step
        assert step is not None
        settled = self._settled[series]
        return [at for at in instants(start, end, step) if at not in settled]

    def to_fetch(
        self, series: Series, start: datetime, end: datetime, disputed_until: datetime | None = None
    ) -> list[datetime]:
        """The grid instants of ``series`` to ask the meter's history for: the unsettled ones
        in [start, end), and the disputed ones in [start, ``disputed_until`` or ``end``)."""
        missing = self.missing(series, start, end)
        until = end if disputed_until is None else disputed_until
        disputed = [at for s, at in self.disputed if s is series and start <= at < until]
        return sorted({*missing, *disputed})

    def missing_days(
        self,
        series: Iterable[Series],
        start: datetime,
        end: datetime,
        disputed_until: datetime | None = None,
    ) -> dict[date, set[Series]]:
        """For each date with a half-hour to fetch (:meth:`to_fetch`): the series that want it."""
        days: dict[date, set[Series]] = {}
        for one in series:
            for at in self.to_fetch(one, start, end, disputed_until):
                days.setdefault(at.date(), set()).add(one)  # slot 0 of a day48 is 00:00
        return days

    def open_new_gaps(
        self, series: Iterable[Series], start: datetime, end: datetime
    ) -> list[GapKey]:
        """Runs of unsettled half-hours in [start, end) not inside an open gap, now open."""
        opened = []
        for one in series:
            fresh = [at for at in self.missing(one, start, end) if not self._in_open_gap(one, at)]
            for run in _runs(fresh):
                key = (one, run[0], run[-1] + HALF_HOUR)
                self.open_gaps.add(key)
                opened.append(key)
        return opened

    def settle_gaps(self, reachable_from: datetime | None) -> list[tuple[GapKey, bool]]:
        """Close the open gaps that are over: ``(gap, filled)``.

        A gap is over when each of its half-hours is settled, or when some of them lie before
        ``reachable_from`` (the meter no longer holds them).
        """
        done = []
        for key in sorted(self.open_gaps, key=lambda k: (k[0].value, k[1])):
            series, start, end = key
            unsettled = self.missing(series, start, end)
            beyond = reachable_from is not None and start < reachable_from
            if unsettled and not beyond:
                continue
            real = self._real[series]
            filled = all(at in real for at in instants(start, end, HALF_HOUR))
            self.open_gaps.discard(key)
            done.append((key, filled))
        return done

    def _in_open_gap(self, series: Series, at: datetime) -> bool:
        return any(s is series and start <= at < end for s, start, end in self.open_gaps)


def _runs(instants_: list[datetime]) -> list[list[datetime]]:
    """Consecutive half-hours grouped into runs."""
    runs: list[list[datetime]] = []
    for at in instants_:
        if runs and at - runs[-1][-1] == HALF_HOUR:
            runs[-1].append(at)
        else:
            runs.append([at])
    return runs
