"""The provider's workers end to end, with a real mosquitto and a real PostgreSQL: a test-side
home publishes batches exactly as docs/route-c.md says, and gets each acknowledgement only once
its rows are in PostgreSQL; two workers on the shared subscription split the batches and store
everything once; a database stopped and started under load loses nothing and acknowledges
nothing it did not store; a batch naming another home is refused."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Final

import aiomqtt
import psycopg
import pytest

from hemsnet.provider.consumer import Consumer
from hemsnet.uplink.config import parse_broker
from tests.broker import MOSQUITTO, Mosquitto
from tests.postgres import new_postgres, postgres, postgres_server
from tests.provider_home import NOW, batch, batches, half_hours

__all__ = ["postgres", "postgres_server"]  # the fixtures, used by name

WITHIN: Final = 30.0  # s for a home's batches all to be acknowledged
Ack = tuple[int, int]


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    """One mosquitto for the module: each test uses its own home IDs."""
    if not MOSQUITTO.exists():
        pytest.skip(f"needs {MOSQUITTO}: `make sysdeps` installs it (Debian package mosquitto)")
    server = Mosquitto(tmp_path_factory.mktemp("mosquitto"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Home:
    """A test-side home: publishes its batches, resends what is not acknowledged in time."""

    def __init__(self, client: aiomqtt.Client, home: str) -> None:
        self.client = client
        self.home = home
        self.acks: list[Ack] = []

    async def deliver(
        self,
        payloads: list[bytes],
        *,
        resend_after: float = 3.0,
        on_ack: Callable[[Ack], Awaitable[None]] | None = None,
    ) -> None:
        pending = {_range(payload): payload for payload in payloads}
        async with asyncio.timeout(WITHIN):
            while pending:
                for payload in list(pending.values()):
                    await self.client.publish(
                        f"hemsnet/v1/home/{self.home}/up/batch", payload, qos=1
                    )
                try:
                    async with asyncio.timeout(resend_after):
                        async for message in self.client.messages:
                            assert isinstance(message.payload, bytes)
                            body = json.loads(message.payload)
                            ack = (body["first"], body["last"])
                            assert body["v"] == 1
                            self.acks.append(ack)
                            if on_ack is not None:
                                await on_ack(ack)
                            pending.pop(ack, None)
                            if not pending:
                                break
                except TimeoutError:
                    pass  # the next round resends what is still pending


def _range(payload: bytes) -> Ack:
    body = json.loads(payload)
    return body["first"], body["last"]


@asynccontextmanager
async def home(broker: Mosquitto, name: str) -> AsyncIterator[Home]:
    async with aiomqtt.Client(
        "127.0.0.1",
        broker.port,
        identifier=f"hemsnet-home-{name}",
        protocol=aiomqtt.ProtocolVersion.V5,
    ) as client:
        await client.subscribe(f"hemsnet/v1/home/{name}/down/#", qos=1)
        yield Home(client, name)


@asynccontextmanager
async def workers(broker: Mosquitto, db: str, count: int = 1) -> AsyncIterator[list[Consumer]]:
    stop = asyncio.Event()
    consumers = [
        Consumer(parse_broker(broker.url), db, client_id=f"provider-test-{i}", now=lambda: NOW)
        for i in range(count)
    ]
    tasks = [asyncio.create_task(consumer.run(stop)) for consumer in consumers]
    try:
        async with asyncio.timeout(WITHIN):
            for consumer in consumers:
                await consumer.connected.wait()
        yield consumers
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def query(db: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    async with await psycopg.AsyncConnection.connect(db, autocommit=True) as connection:
        cursor = await connection.execute(sql.encode(), params)
        return await cursor.fetchall()


def test_each_ack_comes_after_its_rows_are_in_postgres(broker: Mosquitto, postgres: str) -> None:
    missing: list[Ack] = []

    async def check(ack: Ack) -> None:
        first, last = ack
        (count,), = await query(
            postgres, "SELECT count(*) FROM reading WHERE home = 'a1' AND seq BETWEEN %s AND %s",
            first, last,
        )  # fmt: skip
        if count != last - first + 1:
            missing.append(ack)

    async def main() -> list[Ack]:
        async with workers(broker, postgres), home(broker, "a1") as a1:
            await a1.deliver(list(batches("a1", 400, 50)), on_ack=check)
            return a1.acks

    acks = asyncio.run(main())
    assert sorted(set(acks)) == [(i, i + 49) for i in range(1, 400, 50)]
    assert missing == []
    stored = "SELECT count(*), last_seq FROM reading JOIN home USING (home) GROUP BY last_seq"
    assert asyncio.run(query(postgres, stored)) == [(400, 400)]


def test_two_workers_split_the_batches_and_store_everything_once(
    broker: Mosquitto, postgres: str
) -> None:
    names = [f"b{i}" for i in range(4)]

    async def main() -> list[int]:
        async with workers(broker, postgres, 2) as pair:
            async with home(broker, names[0]) as h0, home(broker, names[1]) as h1, \
                    home(broker, names[2]) as h2, home(broker, names[3]) as h3:  # fmt: skip
                await asyncio.gather(
                    *(h.deliver(list(batches(h.home, 300, 20))) for h in (h0, h1, h2, h3))
                )
            return [worker.counts.stored for worker in pair]

    stored = asyncio.run(main())
    assert all(count > 0 for count in stored), stored
    assert sum(stored) >= 4 * 15  # each batch at least once (a resend may store one again)
    rows = asyncio.run(
        query(
            postgres,
            "SELECT home, count(*), count(DISTINCT seq) FROM reading GROUP BY 1 ORDER BY 1",
        )
    )
    assert rows == [(name, 300, 300) for name in names]


def test_a_database_restart_under_load_loses_nothing(broker: Mosquitto) -> None:
    server = new_postgres()
    try:
        db = server.database("restart")
        payloads = list(batches("c1", 3000, 50, datetime(2026, 10, 1)))  # to Dec 2

        async def main() -> tuple[Consumer, int]:
            async with workers(broker, db) as (worker,), home(broker, "c1") as c1:
                await c1.deliver(payloads[:30])
                await asyncio.to_thread(server.stop)
                delivering = asyncio.create_task(c1.deliver(payloads[30:], resend_after=1.0))
                async with asyncio.timeout(WITHIN):
                    await worker.database_away.wait()
                    acked_while_down = len(c1.acks) - 30
                    await asyncio.to_thread(server.start)
                await delivering
                return worker, acked_while_down

        worker, acked_while_down = asyncio.run(main())
        assert acked_while_down == 0
        rows = asyncio.run(query(db, "SELECT count(*), count(DISTINCT seq), max(seq) FROM reading"))
        assert rows == [(3000, 3000, 3000)]
        assert worker.counts.refused == 0
    finally:
        server.remove()


def test_a_batch_naming_another_home_is_refused_and_not_acknowledged(
    broker: Mosquitto, postgres: str, caplog: pytest.LogCaptureFixture
) -> None:
    hostile = batch("d2", half_hours(1, 3))  # published on d1's topic, claiming to be d2
    good = batch("d1", half_hours(1, 3))

    async def main() -> list[Ack]:
        async with workers(broker, postgres) as (worker,), home(broker, "d1") as d1:
            await d1.client.publish("hemsnet/v1/home/d1/up/batch", hostile, qos=1)
            await d1.deliver([good])
            assert worker.counts.refused == 1
            return d1.acks

    with caplog.at_level(logging.WARNING, logger="hemsnet.provider"):
        assert asyncio.run(main()) == [(1, 3)]
    assert asyncio.run(query(postgres, "SELECT DISTINCT home FROM reading")) == [("d1",)]
    assert any(
        "home d1: batch refused" in r.getMessage() and "not the topic's home" in r.getMessage()
        for r in caplog.records
    )
