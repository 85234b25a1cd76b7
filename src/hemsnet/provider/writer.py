"""Writing checked batches and link states to PostgreSQL, idempotently.

:func:`ingest` stores any number of batches in one transaction: per table, the rows go by
``COPY`` into a temporary staging table, then one ``INSERT ... SELECT ... ON CONFLICT``
moves them in. A row replaces the stored one of the same key only if its ``seq`` is greater
or equal (docs/route-c.md, "Idempotent writes"), so redelivery in any order never duplicates
and never lets an older record overwrite a newer one. Rows are deduplicated (the newest seq of
a key in the call wins) and sorted by key before they go in: one statement may not touch a
row twice, and two workers writing the same keys lock them in the same order (no deadlock).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from psycopg import AsyncConnection, sql
from psycopg.rows import TupleRow

from hemsnet.provider.batch import Batch, Row
from hemsnet.provider.partitions import ensure_partitions, month_of
from hemsnet.provider.state import LinkState
from hemsnet.provider.tables import TABLES, RecordTable

__all__ = ["Ingested", "ingest"]

_staged: weakref.WeakSet[AsyncConnection[TupleRow]] = weakref.WeakSet()


@dataclass(frozen=True, slots=True)
class Ingested:
    rows: int  # rows written (inserted or replaced), after deduplication


async def ingest(
    connection: AsyncConnection[TupleRow],
    batches: Sequence[Batch],
    states: Sequence[LinkState] = (),
) -> Ingested:
    """Store ``batches`` and ``states`` in one transaction, committed when this returns."""
    tables = {name: _newest(TABLES[name], rows) for name, rows in _rows_by_table(batches)}
    for name, rows in tables.items():
        column = TABLES[name].partitioned_on
        if column is not None and rows:
            at = TABLES[name].columns.index(column)
            await ensure_partitions(connection, name, _months(row[at] for row in rows))
    written = 0
    async with connection.transaction():
        await _stage_tables(connection)
        await _upsert_homes(connection, batches, states)
        for name, rows in tables.items():
            written += await _write(connection, TABLES[name], rows)
        for state in sorted(states, key=lambda s: s.home):
            await connection.execute(_SET_STATE, (state.state, state.at, state.home, state.at))
    return Ingested(written)


def _rows_by_table(batches: Iterable[Batch]) -> Iterable[tuple[str, list[Row]]]:
    merged: dict[str, list[Row]] = {}
    for batch in batches:
        for name, rows in batch.rows.items():
            merged.setdefault(name, []).extend(rows)
    return sorted(merged.items())


def _newest(table: RecordTable, rows: list[Row]) -> list[Row]:
    """One row per key, the one of the highest seq, in key order."""
    width = len(table.key)
    best: dict[Row, Row] = {}
    for row in rows:
        key = row[:width]
        held = best.get(key)
        if held is None or _seq(held) <= _seq(row):
            best[key] = row
    return [best[key] for key in sorted(best)]


def _seq(row: Row) -> int:
    seq = row[-1]
    assert isinstance(seq, int)
    return seq


def _months(times: Iterable[object]) -> set[date]:
    return {month_of(at) for at in times if isinstance(at, datetime)}


async def _stage_tables(connection: AsyncConnection[TupleRow]) -> None:
    """The staging tables: temporary (this session's own), emptied at each commit."""
    if connection in _staged:
        return
    for table in TABLES.values():
        await connection.execute(
            sql.SQL(
                "CREATE TEMPORARY TABLE IF NOT EXISTS {} "
                "(LIKE {} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            ).format(_stage(table), sql.Identifier(table.name))
        )
    _staged.add(connection)


def _stage(table: RecordTable) -> sql.Identifier:
    return sql.Identifier(f"stage_{table.name}")


async def _write(connection: AsyncConnection[TupleRow], table: RecordTable, rows: list[Row]) -> int:
    """Copy ``rows`` in; the number written."""
    columns = sql.SQL(", ").join(map(sql.Identifier, table.columns))
    async with connection.cursor() as cursor:
        async with cursor.copy(
            sql.SQL("COPY {} ({}) FROM STDIN").format(_stage(table), columns)
        ) as copy:
            for row in rows:
                await copy.write_row(row)
        await cursor.execute(_insert(table))
        result = await cursor.fetchone()
    assert result is not None
    return int(result[0])


def _insert(table: RecordTable) -> sql.Composed:
    """Move the staged rows in (a newer or equal seq wins) and count what was written."""
    columns = sql.SQL(", ").join(map(sql.Identifier, table.columns))
    key = sql.SQL(", ").join(map(sql.Identifier, table.key))
    updates = sql.SQL(", ").join(
        sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(c), sql.Identifier(c))
        for c in [*table.columns[len(table.key) :], "received_at"]
    )
    return sql.SQL(
        "WITH written AS (INSERT INTO {table} AS t ({columns}) "
        "SELECT {columns} FROM {stage} ORDER BY {key} "
        "ON CONFLICT ({key}) DO UPDATE SET {updates} WHERE t.seq <= EXCLUDED.seq RETURNING 1) "
        "SELECT count(*) FROM written"
    ).format(
        table=sql.Identifier(table.name),
        columns=columns,
        stage=_stage(table),
        key=key,
        updates=updates,
    )


@dataclass(slots=True)
class _HomeUpdate:
    last_seq: int = 0
    last_data: datetime | None = None
    refused: int = 0
    target_kw: float | None = None


async def _upsert_homes(
    connection: AsyncConnection[TupleRow], batches: Sequence[Batch], states: Sequence[LinkState]
) -> None:
    homes: dict[str, _HomeUpdate] = {state.home: _HomeUpdate() for state in states}
    for batch in batches:
        home = homes.setdefault(batch.home, _HomeUpdate())
        home.last_seq = max(home.last_seq, batch.last)
        if batch.last_data is not None and (
            home.last_data is None or batch.last_data > home.last_data
        ):
            home.last_data = batch.last_data
        home.refused += len(batch.refused)
        if batch.target_kw is not None and batch.last >= home.last_seq:
            home.target_kw = batch.target_kw
    async with connection.cursor() as cursor:
        await cursor.executemany(
            _UPSERT_HOME,
            [
                (name, h.last_seq, h.last_data, h.refused, h.target_kw, h.last_seq)
                for name, h in sorted(homes.items())
            ],
        )


# A home's target follows the newest control action it sent (the seq rule again).
_UPSERT_HOME: Final = """
INSERT INTO home AS h (home, last_seq, last_data_at, refused, target_kw, last_batch_at)
VALUES (%s, %s, %s, %s, %s, CASE WHEN %s > 0 THEN now() END)
ON CONFLICT (home) DO UPDATE SET
    last_seq = greatest(h.last_seq, EXCLUDED.last_seq),
    last_data_at = greatest(h.last_data_at, EXCLUDED.last_data_at),
    refused = h.refused + EXCLUDED.refused,
    target_kw = CASE WHEN EXCLUDED.target_kw IS NOT NULL AND EXCLUDED.last_seq >= h.last_seq
                     THEN EXCLUDED.target_kw ELSE h.target_kw END,
    last_batch_at = CASE WHEN EXCLUDED.last_seq > 0 THEN now() ELSE h.last_batch_at END
"""

# The newest state the home said wins; at the same time, the later arrival (its will).
_SET_STATE: Final = """
UPDATE home SET link_state = %s, link_since = %s
WHERE home = %s AND (link_since IS NULL OR link_since <= %s)
"""
