"""Monthly partitions of the partitioned tables, made on demand for the months a batch
touches, safely when several workers need the same month at once.

A partition is made in its own short transaction, before the batch's: under an advisory lock
(two ``CREATE TABLE IF NOT EXISTS`` at once can still collide in the catalogue), and not in
the batch's transaction, which would hold that lock, and so every other worker, until its
commit. Months outside 2000..2099 are refused (:class:`ValueError`): the batch's checks keep
times to a window around now (docs/provider.md P3), and this bound stands behind them.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from datetime import date, datetime
from typing import Final

from psycopg import AsyncConnection, sql
from psycopg.rows import TupleRow

__all__ = ["ensure_partitions", "month_of", "partition_name"]

_LOCK: Final = 0x68656D74  # the advisory lock of partition creation
_FIRST_YEAR: Final = 2000
_LAST_YEAR: Final = 2099

# The partitions each connection knows to exist (they are never dropped by hemsnet).
_known: weakref.WeakKeyDictionary[AsyncConnection[TupleRow], set[tuple[str, date]]] = (
    weakref.WeakKeyDictionary()
)


def month_of(at: datetime) -> date:
    return date(at.year, at.month, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_y{month.year:04d}m{month.month:02d}"


async def ensure_partitions(
    connection: AsyncConnection[TupleRow], table: str, months: Iterable[date]
) -> None:
    """Make sure ``table`` has a partition for each of ``months`` (first days of months)."""
    known = _known.setdefault(connection, set())
    missing = sorted({month for month in months if (table, month) not in known})
    for month in missing:
        if not _FIRST_YEAR <= month.year <= _LAST_YEAR:
            raise ValueError(f"refusing a {table} partition for {month:%Y-%m}: out of range")
    if not missing:
        return
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        for month in missing:
            following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
            await connection.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} PARTITION OF {} FOR VALUES FROM ({}) TO ({})"
                ).format(
                    sql.Identifier(partition_name(table, month)),
                    sql.Identifier(table),
                    sql.Literal(month),
                    sql.Literal(following),
                )
            )
    known.update((table, month) for month in missing)
