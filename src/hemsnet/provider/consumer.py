"""One provider worker: takes the homes' batches and link states from the broker's shared
subscriptions, stores them in PostgreSQL, and acknowledges each batch once it is committed.

* **Grouping.** What arrives while a transaction runs is stored together in the next one (up
  to ``group`` messages): fewer commits at high rates; each batch is still acknowledged on its
  own, and only after the commit that stored it.
* **Flow control.** At ``max_pending`` messages held the worker stops reading from the broker
  (:class:`~hemsnet.provider.read_gate.ReadGate`), and reads again at half: a worker behind
  holds a bounded number, discards none, and the broker keeps the rest (docs/provider.md P7).
* **Database away.** The worker keeps running and keeps the messages it holds, retries with
  back-off, and says so in one line per outage.
* **Broker away.** It reconnects with back-off (1 s doubling to 60 s, with jitter), one line
  per outage. MQTT 5 clean start: while no worker is connected the broker keeps nothing for the
  group, and the homes resend what was not acknowledged.
* **Hostile input.** Nothing a home sends raises out of here: a bad batch is one log line
  naming the home and the fault, and is not acknowledged (docs/provider.md P4).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import ssl
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import aiomqtt
import psycopg

from hemsnet.aio.clock import wait_for_stop
from hemsnet.provider.batch import Batch, BatchError, parse_batch
from hemsnet.provider.database import Database
from hemsnet.provider.fields import DEFAULT_WINDOW, TimeWindow
from hemsnet.provider.read_gate import ReadGate
from hemsnet.provider.state import LinkState, parse_state
from hemsnet.provider.topics import BATCH_FILTER, STATE_FILTER, ack_topic, home_of
from hemsnet.provider.writer import ingest
from hemsnet.uplink.config import Broker

__all__ = ["Consumer", "WorkerCounts"]

log = logging.getLogger(__name__)

_BACKOFF_FIRST: Final = 1.0
_BROKER_BACKOFF_MAX: Final = 60.0
_DATABASE_BACKOFF_MAX: Final = 15.0
_JITTER: Final = 0.25
_CONNECT_TIMEOUT: Final = 10.0
_ACK_TIMEOUT: Final = 10.0


@dataclass(slots=True)
class WorkerCounts:
    """What a worker did, for its tests and its logs."""

    stored: int = 0  # batches committed
    acked: int = 0  # acknowledgements published
    refused: int = 0  # batches refused (bad envelope, or refused by the database)
    paused: int = 0  # times the worker stopped reading from the broker: it held enough


@dataclass(slots=True)
class _Message:
    home: str
    kind: str  # "batch" or "state"
    payload: bytes
    received: datetime


@dataclass(slots=True)
class _Group:
    batches: list[Batch] = field(default_factory=list)
    states: list[LinkState] = field(default_factory=list)


class Consumer:
    """One worker: one MQTT connection and one database connection, until ``stop``."""

    def __init__(
        self,
        broker: Broker,
        database_url: str,
        *,
        client_id: str,
        tls: ssl.SSLContext | None = None,
        now: Callable[[], datetime] = datetime.now,
        window: TimeWindow = DEFAULT_WINDOW,
        max_pending: int = 2000,
        group: int = 64,
    ) -> None:
        self.broker = broker
        self.client_id = client_id
        self.tls = tls
        self.now = now
        self.window = window
        self.max_pending = max_pending
        self.group = group
        self.counts = WorkerCounts()
        self.connected = asyncio.Event()
        self.lost = asyncio.Event()  # set when a connection to the broker broke
        self._database = Database(database_url)
        self.database_away = self._database.away
        self._inbox: deque[_Message] = deque()
        self._wakeup = asyncio.Event()
        self._client: aiomqtt.Client | None = None
        self._gate: ReadGate | None = None
        self._acking: set[asyncio.Task[None]] = set()  # acks waiting for the broker's PUBACK

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop``; an error that is not the network's (a database of a newer
        schema) ends the worker, raised here."""
        tasks = [
            asyncio.create_task(self._write_loop(stop)),
            asyncio.create_task(self._broker_loop(stop)),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            for task in [*tasks, *self._acking]:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self._database.close()

    # --- the broker ---------------------------------------------------------------------------

    async def _broker_loop(self, stop: asyncio.Event) -> None:
        delay, failing = _BACKOFF_FIRST, False
        while not stop.is_set():
            try:
                async with self._new_client() as client:
                    await client.subscribe(BATCH_FILTER, qos=1)
                    await client.subscribe(STATE_FILTER, qos=1)
                    self._client, self._gate = client, ReadGate(client)
                    self._hold_off()  # still full from the last connection
                    self.lost.clear()
                    self.connected.set()
                    log.log(
                        logging.WARNING if failing else logging.INFO,
                        "MQTT broker %s: %s as %s",
                        self.broker,
                        "connected again" if failing else "connected",
                        self.client_id,
                    )
                    delay, failing = _BACKOFF_FIRST, False
                    await self._receive_until(client, stop)
            except aiomqtt.MqttError as exc:
                if not failing:
                    log.warning("MQTT broker %s: %s; trying again with back-off", self.broker, exc)
                failing = True
                self.lost.set()
            finally:
                self._client = self._gate = None
                self.connected.clear()
            if stop.is_set():
                break
            await wait_for_stop(stop, delay * (1 + random.uniform(0, _JITTER)))
            delay = min(2 * delay, _BROKER_BACKOFF_MAX)

    def _new_client(self) -> aiomqtt.Client:
        client = aiomqtt.Client(
            self.broker.host,
            self.broker.port,
            username=self.broker.username,
            password=self.broker.password,
            identifier=self.client_id,
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=True,
            keepalive=30,
            timeout=_CONNECT_TIMEOUT,
            tls_context=self.tls,
        )
        # A transaction's acks go out together (P6): aiomqtt's warning past 10 is noise here.
        client.pending_calls_threshold = 4 * self.group
        return client

    async def _receive_until(self, client: aiomqtt.Client, stop: asyncio.Event) -> None:
        receiving = asyncio.create_task(self._receive(client))
        stopping = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (receiving, stopping):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if receiving in done:
            receiving.result()  # a broken connection raises MqttError here

    async def _receive(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            topic = home_of(message.topic.value)
            payload = message.payload
            if topic is None or not isinstance(payload, bytes):
                log.warning("MQTT: a message on %r that is not a home's uplink: ignored",
                            message.topic.value[:120])  # fmt: skip
                continue
            self._accept(_Message(*topic, payload, self.now()))

    def _accept(self, message: _Message) -> None:
        self._inbox.append(message)
        self._wakeup.set()
        self._hold_off()

    def _hold_off(self) -> None:
        """Stop reading from the broker while ``max_pending`` messages wait."""
        gate = self._gate
        if gate is not None and not gate.paused and len(self._inbox) >= self.max_pending:
            gate.pause()
            self.counts.paused += 1
            log.debug("holding %d messages: reading from the broker paused", len(self._inbox))

    # --- the database -------------------------------------------------------------------------

    async def _write_loop(self, stop: asyncio.Event) -> None:
        # Connect and migrate first: a database of a newer schema stops the worker at start.
        await self._store(_Group(), stop)
        while not stop.is_set():
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._inbox and not stop.is_set():
                taken = [self._inbox.popleft() for _ in range(min(self.group, len(self._inbox)))]
                if self._gate is not None and len(self._inbox) <= self.max_pending // 2:
                    self._gate.resume()
                group = self._checked(taken)
                if group.batches or group.states:
                    stored = await self._store(group, stop)
                    self._send_acks(stored)

    def _checked(self, messages: Sequence[_Message]) -> _Group:
        group = _Group()
        for message in messages:
            checked = self.check(message.home, message.kind, message.payload, message.received)
            if isinstance(checked, Batch):
                group.batches.append(checked)
            elif checked is not None:
                group.states.append(checked)
        return group

    def check(
        self, home: str, kind: str, payload: bytes, received: datetime
    ) -> Batch | LinkState | None:
        """The batch or state a message of ``home``'s ``up/<kind>`` topic holds; ``None``, and
        one log line naming the home and the fault, when it is refused. Never raises."""
        if kind == "state" and not payload:
            return None  # a retained state cleared: nothing to store
        try:
            if kind == "state":
                return parse_state(home, payload, received, self.window)
            batch = parse_batch(home, payload, received, self.window)
        except BatchError as exc:
            self.counts.refused += 1
            log.warning("home %s: %s refused, not acknowledged: %s", home, kind, exc)
            return None
        except Exception as exc:  # a fault of ours: the message is refused, the worker goes on
            self.counts.refused += 1
            log.error("home %s: %s refused, not acknowledged: could not be checked (%s: %s)",
                      home, kind, type(exc).__name__, exc)  # fmt: skip
            return None
        if batch.refused:
            log.warning(
                "home %s: batch %d..%d: %d of %d records refused, the rest stored; %s",
                batch.home,
                batch.first,
                batch.last,
                len(batch.refused),
                batch.records,
                batch.refused[0],
            )
        return batch

    async def _store(self, group: _Group, stop: asyncio.Event) -> list[Batch]:
        """Commit ``group``; the batches stored (all, unless the database refused some).
        Retries while the database is away, until ``stop``."""
        delay = _BACKOFF_FIRST
        while not stop.is_set():
            try:
                connection = await self._database.connection()
                if group.batches or group.states:
                    await ingest(connection, group.batches, group.states)
            except psycopg.OperationalError as exc:  # away, restarting, a deadlock: transient
                self._database.failed(exc, len(self._inbox) + len(group.batches))
                await wait_for_stop(stop, delay * (1 + random.uniform(0, _JITTER)))
                delay = min(2 * delay, _DATABASE_BACKOFF_MAX)
                continue
            except (psycopg.Error, ValueError) as exc:  # this data, not the database
                return await self._store_one_by_one(group, exc, stop)
            self._database.worked()
            self.counts.stored += len(group.batches)
            return group.batches
        return []

    async def _store_one_by_one(
        self, group: _Group, exc: Exception, stop: asyncio.Event
    ) -> list[Batch]:
        if len(group.batches) + len(group.states) == 1:
            for batch in group.batches:
                self.counts.refused += 1
                log.warning(
                    "home %s: batch %d..%d refused by the database, not acknowledged: %s",
                    batch.home,
                    batch.first,
                    batch.last,
                    str(exc).strip()[:200],
                )
            for state in group.states:
                log.warning("home %s: state refused by the database: %s", state.home, exc)
            return []
        stored: list[Batch] = []
        for state in group.states:
            await self._store(_Group(states=[state]), stop)
        for batch in group.batches:
            stored += await self._store(_Group(batches=[batch]), stop)
        return stored

    def _send_acks(self, batches: Sequence[Batch]) -> None:
        """Acknowledge ``batches`` without waiting for the broker's PUBACKs: while reading is
        paused they cannot come, and storing must go on for reading to resume."""
        task = asyncio.create_task(self._acknowledge(batches))
        self._acking.add(task)
        task.add_done_callback(self._acking.discard)

    async def _acknowledge(self, batches: Sequence[Batch]) -> None:
        client = self._client
        if client is None or not batches:
            return  # the broker is away: the homes send these again, and they are stored once
        results = await asyncio.gather(
            *(
                client.publish(
                    ack_topic(batch.home),
                    json.dumps({"v": 1, "first": batch.first, "last": batch.last}),
                    qos=1,
                    timeout=_ACK_TIMEOUT,
                )
                for batch in batches
            ),
            return_exceptions=True,
        )
        failed = [result for result in results if isinstance(result, BaseException)]
        self.counts.acked += len(results) - len(failed)
        if failed:
            log.info("%d acknowledgement(s) not sent (%s); the homes will resend", len(failed),
                     failed[0])  # fmt: skip
