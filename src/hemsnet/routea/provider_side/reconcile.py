"""Route A against Route B for the same meter: where the two disagree (A8, A9).

For each meter of ``route_a_meter`` it compares, per half-hour and series (``energy_normal``,
``energy_reverse``), the utility's value in ``route_a_reading`` with the home controller's in
``reading`` (not void, with a value) under the meter's Route B key. Both routes read the same
register of the same meter, scaled by the same attributes, so they must be equal: by default any
difference is reported (``tolerance`` kWh widens that). Half-hours that only one route has are
reported too, within the span both routes cover for that meter (from the later of their first
half-hours to the earlier of their last): before one route started, or after its latest data,
a missing value is not a disagreement but a route not there yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

import psycopg

__all__ = ["MeterReconciliation", "Mismatch", "reconcile", "report_json"]

_QUERY: Final = """
WITH a AS (
    SELECT r.measured_at, s.series, s.value
    FROM route_a_reading r
    CROSS JOIN LATERAL (VALUES ('energy_normal', r.energy_normal),
                               ('energy_reverse', r.energy_reverse)) AS s (series, value)
    WHERE r.home = %(home)s AND r.meter = %(meter)s AND s.value IS NOT NULL
      AND r.measured_at >= %(since)s AND r.measured_at < %(until)s
), b AS (
    SELECT measured_at, series, value FROM reading
    WHERE home = %(home)s AND meter = %(route_b)s
      AND series IN ('energy_normal', 'energy_reverse') AND NOT void AND value IS NOT NULL
      AND measured_at >= %(since)s AND measured_at < %(until)s
), span AS (
    SELECT greatest((SELECT min(measured_at) FROM a), (SELECT min(measured_at) FROM b)) AS lo,
           least((SELECT max(measured_at) FROM a), (SELECT max(measured_at) FROM b)) AS hi
)
SELECT coalesce(a.measured_at, b.measured_at) AS at, coalesce(a.series, b.series) AS series,
       a.value, b.value, span.lo, span.hi
FROM a FULL JOIN b ON a.measured_at = b.measured_at AND a.series = b.series
CROSS JOIN span
WHERE coalesce(a.measured_at, b.measured_at) BETWEEN span.lo AND span.hi
ORDER BY 1, 2
"""
_EARLIEST: Final = datetime(1, 1, 1)
_LATEST: Final = datetime(9999, 12, 31)


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A half-hour and series where the routes differ; a ``None`` value: that route lacks it."""

    measured_at: datetime
    series: str
    route_a: Decimal | None
    route_b: Decimal | None


@dataclass(slots=True)
class MeterReconciliation:
    home: str
    meter: str
    route_b_meter: str
    start: datetime | None = None
    end: datetime | None = None
    compared: int = 0
    disagreements: list[Mismatch] = field(default_factory=list)
    route_a_only: list[Mismatch] = field(default_factory=list)
    route_b_only: list[Mismatch] = field(default_factory=list)


def reconcile(
    connection: psycopg.Connection[Any],
    *,
    tolerance: Decimal = Decimal(0),
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[MeterReconciliation]:
    """Reconcile every meter of ``route_a_meter`` (optionally in [since, until), meter time)."""
    links = connection.execute(
        "SELECT home, meter, route_b_meter FROM route_a_meter ORDER BY home, meter"
    ).fetchall()
    found = []
    for home, meter, route_b in links:
        result = MeterReconciliation(home, meter, route_b)
        rows = connection.execute(
            _QUERY,
            {"home": home, "meter": meter, "route_b": route_b,
             "since": since or _EARLIEST, "until": until or _LATEST},
        )  # fmt: skip
        for at, series, a, b, lo, hi in rows:
            result.start, result.end = lo, hi
            mismatch = Mismatch(at, series, a, b)
            if a is None:
                result.route_b_only.append(mismatch)
            elif b is None:
                result.route_a_only.append(mismatch)
            else:
                result.compared += 1
                if abs(a - b) > tolerance:
                    result.disagreements.append(mismatch)
        found.append(result)
    return found


def report_json(results: Iterable[MeterReconciliation], tolerance: Decimal) -> dict[str, Any]:
    """The report as JSON-ready data (values as decimal strings, times ISO)."""

    def item(m: Mismatch) -> dict[str, Any]:
        return {
            "measured_at": m.measured_at.isoformat(),
            "series": m.series,
            "route_a": None if m.route_a is None else str(m.route_a),
            "route_b": None if m.route_b is None else str(m.route_b),
        }

    return {
        "tolerance_kwh": str(tolerance),
        "meters": [
            {
                "home": r.home,
                "meter": r.meter,
                "route_b_meter": r.route_b_meter,
                "from": None if r.start is None else r.start.isoformat(),
                "to": None if r.end is None else r.end.isoformat(),
                "compared": r.compared,
                "disagreements": [item(m) for m in r.disagreements],
                "route_a_only": [item(m) for m in r.route_a_only],
                "route_b_only": [item(m) for m in r.route_b_only],
            }
            for r in results
        ],
    }
