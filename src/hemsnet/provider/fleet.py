"""What the fleet API and page show, read from the provider's tables: each home's link and
data, and for one home its daily demand peaks against its target, its gaps and how complete
its half-hourly data is (docs/provider.md, "The fleet API")."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, LiteralString

from psycopg import AsyncConnection
from psycopg.rows import TupleRow

__all__ = ["MAX_DAYS", "MAX_HOMES", "home_detail", "homes"]

MAX_HOMES: Final = 10_000  # a page of the list
MAX_DAYS: Final = 92  # the longest window of one home's detail
_OPEN_GAPS_SHOWN: Final = 20
_HALF_HOURS_A_DAY: Final = 48


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _number(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


async def homes(
    connection: AsyncConnection[TupleRow], after: str = "", limit: int = 1000
) -> list[dict[str, Any]]:
    """Homes in ID order after ``after``: link state and since when, last data, last seq, and
    how many readings are stored (counted now: exact, and a scan of the homes' index)."""
    return await _summaries(connection, "h.home > %s ORDER BY h.home LIMIT %s", (after, limit))


async def _summaries(
    connection: AsyncConnection[TupleRow], where: LiteralString, params: tuple[object, ...]
) -> list[dict[str, Any]]:
    cursor = await connection.execute(
        "SELECT h.home, h.link_state, h.link_since, h.last_data_at, h.last_seq, "
        "h.last_batch_at, h.target_kw, h.refused, "
        "(SELECT count(*) FROM reading r WHERE r.home = h.home) FROM home h WHERE " + where,
        params,
    )
    return [
        {
            "home": home,
            "link": {"state": state, "since": _iso(since)},
            "last_data": _iso(last_data),
            "last_seq": last_seq,
            "last_batch": _iso(last_batch),
            "target_kw": _number(target),
            "refused_records": refused,
            "readings": readings,
        }
        for (home, state, since, last_data, last_seq, last_batch, target, refused, readings)
        in await cursor.fetchall()
    ]  # fmt: skip


async def home_detail(
    connection: AsyncConnection[TupleRow], home: str, days: int
) -> dict[str, Any] | None:
    """One home over the ``days`` days up to the end of its last data's day (``None``: no such
    home): its row, demand peaks per day, gaps, completeness."""
    found = await _summaries(connection, "h.home = %s", (home,))
    if not found:
        return None
    summary = found[0]
    last = datetime.fromisoformat(summary["last_data"]) if summary["last_data"] else None
    end = datetime.combine((last - timedelta(minutes=30)).date() if last else date.today(),
                           datetime.min.time()) + timedelta(days=1)  # fmt: skip
    start = end - timedelta(days=days)
    return {
        **summary,
        "window": {"from": start.isoformat(), "to": end.isoformat(), "days": days},
        "demand": await _peaks(connection, home, start, end, summary["target_kw"]),
        "gaps": await _gaps(connection, home),
        "completeness": await _completeness(connection, home, start, end, days),
    }


async def _peaks(
    connection: AsyncConnection[TupleRow],
    home: str,
    start: datetime,
    end: datetime,
    target_kw: float | None,
) -> list[dict[str, Any]]:
    """Each day's highest 30-minute demand: twice the energy (kWh) of each half-hour between
    two cumulative readings 30 minutes apart; a half-hour ending at 00:00 is the day before's."""
    cursor = await connection.execute(
        """
        WITH steps AS (
            SELECT measured_at, value - lag(value) OVER w AS kwh,
                   measured_at - lag(measured_at) OVER w AS span
            FROM reading
            WHERE home = %s AND series = 'energy_normal' AND NOT void
              AND measured_at > %s AND measured_at <= %s
            WINDOW w AS (PARTITION BY meter ORDER BY measured_at)
        )
        SELECT (measured_at - interval '30 minutes')::date AS day, max(kwh) * 2, count(*)
        FROM steps WHERE span = interval '30 minutes' AND kwh >= 0
        GROUP BY 1 ORDER BY 1
        """,
        (home, start, end),
    )
    return [
        {
            "date": day.isoformat(),
            "peak_kw": _number(peak),
            "half_hours": count,
            "over_target": None if target_kw is None else float(peak) > target_kw,
        }
        for day, peak, count in await cursor.fetchall()
    ]


async def _gaps(connection: AsyncConnection[TupleRow], home: str) -> dict[str, Any]:
    cursor = await connection.execute(
        "SELECT status, count(*) FROM gap WHERE home = %s GROUP BY status", (home,)
    )
    counts = {"open": 0, "filled": 0, "unrecoverable": 0}
    counts.update({status: n for status, n in await cursor.fetchall()})
    cursor = await connection.execute(
        "SELECT meter, series, start_at, end_at, opened_at FROM gap "
        "WHERE home = %s AND status = 'open' ORDER BY start_at LIMIT %s",
        (home, _OPEN_GAPS_SHOWN),
    )
    return {
        **counts,
        "open_gaps": [
            {"meter": m, "series": s, "start": _iso(a), "end": _iso(b), "opened": _iso(o)}
            for m, s, a, b, o in await cursor.fetchall()
        ],
    }


async def _completeness(
    connection: AsyncConnection[TupleRow], home: str, start: datetime, end: datetime, days: int
) -> dict[str, Any]:
    """Half-hourly cumulative readings present over those expected (:00 and :30, per meter)."""
    cursor = await connection.execute(
        """
        SELECT count(DISTINCT meter), count(*) FROM reading
        WHERE home = %s AND series = 'energy_normal' AND measured_at >= %s AND measured_at < %s
          AND extract(second FROM measured_at) = 0 AND extract(minute FROM measured_at) IN (0, 30)
        """,
        (home, start, end),
    )
    row = await cursor.fetchone()
    meters, present = (row[0], row[1]) if row is not None else (0, 0)
    expected = max(meters, 1) * days * _HALF_HOURS_A_DAY
    return {"present": present, "expected": expected, "ratio": round(present / expected, 4)}
