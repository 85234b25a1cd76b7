"""The provider's workers end to end, with a real mosquitto and a real PostgreSQL: a test-side
home publishes batches exactly as docs/route-c.md says, and gets each acknowledgement only once
its rows are in PostgreSQL; two workers on the shared subscription split the batches and store
everything once; a database stopped and started under load loses nothing and acknowledges
nothing it did not store; a batch naming another home is refused."""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any, Final

import aiohttp
import aiomqtt
import psycopg
import pytest

from hemsnet.errors import ConfigError
from hemsnet.provider.consumer import Consumer
from hemsnet.provider.schema import migrate
from hemsnet.uplink.config import parse_broker
from hemsnet.uplink.mqtt import tls_context
from tests.broker import MOSQUITTO, ROUTEC_USERS, Mosquitto, ProviderBroker, provider_broker
from tests.postgres import new_postgres, postgres, postgres_server
from tests.provider_home import NOW, batch, batches, half_hours

__all__ = ["postgres", "postgres_server", "provider_broker"]  # the fixtures, used by name

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
        try:
            await self._deliver(pending, resend_after, on_ack)
        except TimeoutError:
            missing = sorted(pending)
            raise AssertionError(
                f"home {self.home}: {len(missing)} batch(es) not acknowledged within {WITHIN} s, "
                f"first {missing[:3]}; acknowledged {len(self.acks)}"
            ) from None

    async def _deliver(
        self,
        pending: dict[Ack, bytes],
        resend_after: float,
        on_ack: Callable[[Ack], Awaitable[None]] | None,
    ) -> None:
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


@pytest.mark.parametrize("secure", [False, True], ids=["mqtt", "mqtts"])
def test_a_worker_behind_stops_reading_and_the_broker_keeps_the_rest(
    broker: Mosquitto, provider_broker: ProviderBroker, secure: bool
) -> None:
    """200 batches published once each while the database is down, to a worker that may hold
    20: it stops reading from the broker instead of discarding, and once the database is back
    every batch is stored and acknowledged without the home sending any of them again (over
    TLS too, where decrypted records may wait inside the TLS layer when reading resumes)."""
    name = "h1" if secure else "e1"  # over TLS the ACL binds the home's topics to its login
    if secure:
        url = replace(
            parse_broker(provider_broker.url),
            username="provider",
            password=ROUTEC_USERS["provider"],
            ca_file=str(provider_broker.ca),
        )

        def home_client() -> aiomqtt.Client:
            return provider_broker.client(
                name, ROUTEC_USERS[name], protocol=aiomqtt.ProtocolVersion.V5
            )
    else:
        url = parse_broker(broker.url)

        def home_client() -> aiomqtt.Client:
            return aiomqtt.Client(
                "127.0.0.1", broker.port, identifier=f"hemsnet-home-{name}",
                protocol=aiomqtt.ProtocolVersion.V5,
            )  # fmt: skip

    server = new_postgres()
    try:
        db = server.database("behind")
        payloads = list(batches(name, 2000, 10, datetime(2026, 10, 1)))
        worker = Consumer(
            url, db, client_id="provider-behind", now=lambda: NOW, tls=tls_context(url),
            max_pending=20, group=4,
        )  # fmt: skip

        async def main() -> list[Ack]:
            stop = asyncio.Event()
            running = asyncio.create_task(worker.run(stop))
            try:
                async with home_client() as client:
                    await client.subscribe(f"hemsnet/v1/home/{name}/down/#", qos=1)
                    async with asyncio.timeout(WITHIN):
                        await worker.connected.wait()
                    await asyncio.to_thread(server.stop)
                    home = Home(client, name)  # publishes each once: no resend within WITHIN
                    delivering = asyncio.create_task(home.deliver(payloads, resend_after=WITHIN))
                    async with asyncio.timeout(WITHIN):
                        await worker.database_away.wait()
                    await asyncio.to_thread(server.start)
                    await delivering
                    return home.acks
            finally:
                stop.set()
                await running

        acks = asyncio.run(main())
        assert worker.counts.paused >= 1
        assert sorted(acks) == sorted(map(_range, payloads))  # each acknowledged once
        rows = asyncio.run(query(db, "SELECT count(*), count(DISTINCT seq) FROM reading"))
        assert rows == [(2000, 2000)]
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


def test_a_broker_restart_is_survived_and_link_states_are_stored(
    broker: Mosquitto, postgres: str
) -> None:
    online = json.dumps({"v": 1, "state": "online", "at": NOW.isoformat()}).encode()

    async def main() -> list[Ack]:
        async with workers(broker, postgres) as (worker,):
            await asyncio.to_thread(broker.stop)
            await asyncio.to_thread(broker.start)
            async with asyncio.timeout(WITHIN):
                await worker.lost.wait()  # it notices the broker left...
                await worker.connected.wait()  # ...and comes back
            async with home(broker, "f1") as f1:
                await f1.client.publish("hemsnet/v1/home/f1/up/state", online, qos=1, retain=True)
                await f1.deliver(list(batches("f1", 20, 10)))
                return f1.acks

    assert asyncio.run(main()) == [(1, 10), (11, 20)]
    rows = asyncio.run(query(postgres, "SELECT link_state, link_since, last_seq FROM home"))
    assert rows == [("online", NOW, 20)]


def test_a_database_of_a_newer_schema_stops_the_worker(broker: Mosquitto, postgres: str) -> None:
    async def main() -> None:
        async with await psycopg.AsyncConnection.connect(postgres, autocommit=True) as connection:
            await migrate(connection)
            await connection.execute("INSERT INTO schema_version VALUES (99)")
        worker = Consumer(parse_broker(broker.url), postgres, client_id="provider-test-old")
        async with asyncio.timeout(WITHIN):
            await worker.run(asyncio.Event())

    with pytest.raises(ConfigError, match="schema version 99, newer than this hemsnet"):
        asyncio.run(main())


# --- the command: hemsnet provider, its fleet API and page, its stop ----------------------


class Command:
    """``hemsnet provider`` as a real process; its stdout lines through a queue."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hemsnet", "provider", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip())

    def line(self, containing: str) -> str:
        while True:
            line = self.lines.get(timeout=WITHIN)
            if containing in line:
                return line

    def stop(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=WITHIN)
        return self.proc.returncode, err


def test_the_command_stores_serves_the_fleet_and_stops_cleanly(
    broker: Mosquitto, postgres: str
) -> None:
    midnight = datetime.combine(date.today(), datetime.min.time())
    first_day = midnight - timedelta(days=2)
    records = half_hours(1, 96, first_day)  # two whole days, 0.5 kWh a half-hour: 1 kW
    records.append({"seq": 97, "kind": "control_action", "id": 1, "at": records[-1]["at"],
                    "appliance": "027d01", "action": "shed", "step": 0, "outcome": "accepted",
                    "target_kw": 4.0})  # fmt: skip
    records.append({"seq": 98, "kind": "gap", "meter": "m", "series": "energy_normal",
                    "start": records[0]["at"], "end": records[1]["at"], "status": "open",
                    "opened": records[1]["at"]})  # fmt: skip
    secret = "s3cret-pw"
    user_broker = broker.url.replace("mqtt://", f"mqtt://provider:{secret}@")
    db = postgres.replace("hemsnet@", f"hemsnet:{secret}@")  # trust: the password is unused
    command = Command("--broker", user_broker, "--db", db, "--workers", "2",
                      "--web", "127.0.0.1:0")  # fmt: skip
    try:
        url = command.line("fleet page").split()[-1]

        async def main() -> dict[str, Any]:
            async with home(broker, "e1") as e1:
                await e1.deliver([batch("e1", records[i : i + 40]) for i in range(0, 98, 40)])
            answers: dict[str, Any] = {}
            async with aiohttp.ClientSession() as session:
                for path in ("api/homes", "api/homes/e1?days=2", "api/homes/e1?days=x",
                             "api/homes/e1?days=1000", "api/homes/no%20body",
                             "api/homes/nobody"):  # fmt: skip
                    async with session.get(url + path) as response:
                        answers[path] = (response.status, await response.json())
                async with session.get(url) as response:
                    answers["/"] = (response.status, await response.text())
            return answers

        answers = asyncio.run(main())
    finally:
        code, err = command.stop()
    status, listing = answers["api/homes"]
    assert status == 200
    # Other homes may be listed: the broker is the module's, and retained states stay on it.
    (e1,) = [found for found in listing["homes"] if found["home"] == "e1"]
    assert e1["home"] == "e1" and e1["readings"] == 96 and e1["last_seq"] == 98
    assert e1["target_kw"] == 4.0 and e1["last_data"] == records[95]["at"]
    assert set(e1) == {"home", "link", "last_data", "last_seq", "last_batch", "target_kw",
                       "refused_records", "readings"}  # fmt: skip
    status, detail = answers["api/homes/e1?days=2"]
    assert status == 200
    assert [(d["date"], d["peak_kw"], d["over_target"]) for d in detail["demand"]] == [
        (first_day.date().isoformat(), 1.0, False),
        ((first_day + timedelta(days=1)).date().isoformat(), 1.0, False),
    ]
    assert detail["completeness"] == {"present": 96, "expected": 96, "ratio": 1.0}
    assert detail["gaps"]["open"] == 1 and len(detail["gaps"]["open_gaps"]) == 1
    assert answers["api/homes/e1?days=x"][0] == 400
    assert "days='x'" in answers["api/homes/e1?days=x"][1]["error"]
    assert answers["api/homes/e1?days=1000"][0] == 400
    assert answers["api/homes/no%20body"][0] == 400
    assert answers["api/homes/nobody"][0] == 404
    status, page = answers["/"]
    assert status == 200 and '<a href="/api/homes/e1">e1</a>' in page
    assert code == 0, err
    assert "Traceback" not in err
    assert secret not in err and all(secret not in line for line in list(command.lines.queue))
