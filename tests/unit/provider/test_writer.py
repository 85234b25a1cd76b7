"""The provider's writer on a real PostgreSQL: idempotent under redelivery, the seq rule,
monthly partitions made on demand (also from two connections at once), dates refused."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from psycopg import AsyncConnection
from psycopg.rows import TupleRow

from hemsnet.provider.batch import Batch, parse_batch
from hemsnet.provider.partitions import ensure_partitions
from hemsnet.provider.schema import MIGRATIONS, migrate, version
from hemsnet.provider.state import LinkState
from hemsnet.provider.writer import ingest
from tests.postgres import postgres, postgres_server
from tests.provider_home import NOW, T0, batch, half_hours, reading

__all__ = ["postgres", "postgres_server"]  # the fixtures, used by name

T = TypeVar("T")
Connect = Callable[[], Awaitable[AsyncConnection[TupleRow]]]


def run(url: str, body: Callable[[AsyncConnection[TupleRow]], Awaitable[T]]) -> T:
    async def main() -> T:
        async with await AsyncConnection.connect(url, autocommit=True) as connection:
            await migrate(connection)
            return await body(connection)

    return asyncio.run(main())


def checked(home: str, records: list[dict[str, Any]]) -> Batch:
    return parse_batch(home, batch(home, records), NOW)


async def rows(connection: AsyncConnection[TupleRow], query: str) -> list[tuple[Any, ...]]:
    cursor = await connection.execute(query.encode())
    return await cursor.fetchall()


def test_migration_makes_the_schema_once_and_refuses_a_newer_one(postgres: str) -> None:
    async def body(connection: AsyncConnection[TupleRow]) -> None:
        assert await version(connection) == len(MIGRATIONS)
        assert await migrate(connection) == len(MIGRATIONS)  # again: nothing to do
        await connection.execute("INSERT INTO schema_version VALUES (99)")
        with pytest.raises(Exception, match="newer than this hemsnet"):
            await migrate(connection)

    run(postgres, body)


def test_redelivery_stores_each_reading_once(postgres: str) -> None:
    records = half_hours(1, 6)

    async def body(connection: AsyncConnection[TupleRow]) -> list[tuple[Any, ...]]:
        first = await ingest(connection, [checked("h1", records)])
        again = await ingest(connection, [checked("h1", records), checked("h1", records[2:])])
        assert (first.rows, again.rows) == (6, 6)  # rewritten: the same seq wins again
        return await rows(
            connection, "SELECT (SELECT count(*) FROM reading), last_seq, last_data_at FROM home"
        )

    assert run(postgres, body) == [(6, 6, datetime(2026, 12, 1, 1, 30))]


def test_an_older_seq_never_overwrites_a_newer_one(postgres: str) -> None:
    old = reading(1, T0, "100.5")
    new = reading(7, T0, "100.7")  # the same reading corrected, queued again

    async def body(connection: AsyncConnection[TupleRow]) -> list[tuple[Any, ...]]:
        await ingest(connection, [checked("h1", [new])])
        await ingest(connection, [checked("h1", [old])])  # redelivered late
        await ingest(connection, [checked("h1", [old]), checked("h1", [new])])  # both at once
        return await rows(connection, "SELECT seq, value FROM reading")

    assert run(postgres, body) == [(7, Decimal("100.7"))]


def test_homes_never_share_rows(postgres: str) -> None:
    async def body(connection: AsyncConnection[TupleRow]) -> list[tuple[Any, ...]]:
        await ingest(connection, [checked("h1", half_hours(1, 2)), checked("h2", half_hours(1, 2))])
        return await rows(connection, "SELECT home, count(*) FROM reading GROUP BY 1 ORDER BY 1")

    assert run(postgres, body) == [("h1", 2), ("h2", 2)]


def test_every_kind_of_record_is_stored_and_superseded(postgres: str) -> None:
    at = T0.isoformat()
    records: list[dict[str, Any]] = [
        {"seq": 1, "kind": "attribute", "meter": "m", "epc": 0xE1, "at": at, "edt": "02"},
        {"seq": 2, "kind": "gap", "meter": "m", "series": "energy_normal", "start": at,
         "end": "2026-11-30T23:30:00", "status": "open", "opened": at, "closed": None},
        {"seq": 3, "kind": "fault", "meter": "m", "start": at, "end": None},
        {"seq": 4, "kind": "appliance_reading", "appliance": "fe80::5:1", "eoj": "027D01",
         "at": at, "watts": 1500, "operating": True},
        {"seq": 5, "kind": "control_action", "id": 1, "at": at, "appliance": "027d01",
         "action": "shed", "step": 0, "outcome": "sent", "target_kw": 4.0,
         "projected_kw": 4.5, "power_before_w": 1500, "power_after_w": None},
        {"seq": 6, "kind": "dropped", "first": 100, "last": 199, "count": 100,
         "reason": "backlog full"},
        {"seq": 7, "kind": "gap", "meter": "m", "series": "energy_normal", "start": at,
         "end": "2026-11-30T23:30:00", "status": "filled", "opened": at,
         "closed": "2026-12-01T00:05:00"},
    ]  # fmt: skip

    async def body(connection: AsyncConnection[TupleRow]) -> dict[str, Any]:
        written = await ingest(connection, [checked("h1", records)])
        assert written.rows == 6  # the gap twice in one call: the newer only
        found = {}
        for table in ("attribute", "fault", "appliance_reading", "control_action", "dropped"):
            found[table] = (await rows(connection, f"SELECT count(*), max(seq) FROM {table}"))[0]
        found["gap"] = await rows(connection, "SELECT status, seq FROM gap")
        found["target"] = await rows(connection, "SELECT target_kw FROM home")
        return found

    assert run(postgres, body) == {
        "attribute": (1, 1),
        "fault": (1, 3),
        "appliance_reading": (1, 4),
        "control_action": (1, 5),
        "dropped": (1, 6),
        "gap": [("filled", 7)],
        "target": [(Decimal("4.0"),)],
    }


def test_partitions_are_made_for_the_months_touched(postgres: str) -> None:
    async def body(connection: AsyncConnection[TupleRow]) -> list[tuple[Any, ...]]:
        await ingest(connection, [checked("h1", half_hours(1, 4))])  # Nov 30 23:00 .. Dec 1
        return await rows(
            connection,
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'reading'::regclass ORDER BY 1",
        )

    assert run(postgres, body) == [("reading_y2026m11",), ("reading_y2026m12",)]


def test_two_connections_make_the_same_partitions_at_once(postgres: str) -> None:
    months = [date(2026, m, 1) for m in range(1, 13)]

    async def body(connection: AsyncConnection[TupleRow]) -> list[tuple[Any, ...]]:
        async with (
            await AsyncConnection.connect(postgres, autocommit=True) as second,
            await AsyncConnection.connect(postgres, autocommit=True) as third,
        ):
            await asyncio.gather(
                ensure_partitions(connection, "reading", months),
                ensure_partitions(second, "reading", reversed(months)),
                ingest(third, [checked("h2", half_hours(1, 3))]),
            )
        return await rows(
            connection,
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'reading'::regclass",
        )

    assert run(postgres, body) == [(12,)]  # h2's readings fall in November and December


def test_an_absurd_month_is_refused(postgres: str) -> None:
    async def body(connection: AsyncConnection[TupleRow]) -> None:
        with pytest.raises(ValueError, match="out of range"):
            await ensure_partitions(connection, "reading", [date(9999, 1, 1)])

    run(postgres, body)


def test_link_state_follows_the_newest_time_the_home_sent(postgres: str) -> None:
    online = LinkState("h1", "online", datetime(2026, 12, 4, 9, 0))
    will = LinkState("h1", "offline", datetime(2026, 12, 4, 9, 0))  # the will: same time
    stale = LinkState("h1", "online", datetime(2026, 12, 4, 8, 0))

    async def body(connection: AsyncConnection[TupleRow]) -> list[tuple[Any, ...]]:
        await ingest(connection, [], [online])
        await ingest(connection, [], [will])
        await ingest(connection, [], [stale])
        return await rows(connection, "SELECT link_state, link_since, last_seq FROM home")

    assert run(postgres, body) == [("offline", datetime(2026, 12, 4, 9, 0), 0)]
