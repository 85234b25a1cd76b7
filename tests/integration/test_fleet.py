"""``hemsnet fleet``'s engine against a real broker: simulated homes send their outboxes over one
shared connection per process, and a provider played by the test acknowledges them. A batch
the provider loses is sent again when its ack is overdue, and nothing is lost in the end."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import aiomqtt
import pytest

from hemsnet.fleet.run import FleetPlan, Mode, home_id, run_fleet
from hemsnet.store.outbox import Outbox
from hemsnet.uplink.config import parse_broker
from tests.broker import WITHIN, Mosquitto, mosquitto

__all__ = ["mosquitto"]  # the fixture, used by name

HOMES = 3
START = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(hours=3)


class Provider(threading.Thread):
    """Acknowledges every batch after noting its sequence numbers, except the first batch of
    each home, which it loses (as a worker that died holding it)."""

    def __init__(self, broker: Mosquitto) -> None:
        super().__init__(daemon=True)
        self.broker = broker
        self.seen: dict[str, set[int]] = {}
        self.lost: set[str] = set()
        self.subscribed = threading.Event()

    def run(self) -> None:
        with contextlib.suppress(aiomqtt.MqttError):  # the broker stops after the test
            asyncio.run(self._serve())

    async def _serve(self) -> None:
        async with aiomqtt.Client("127.0.0.1", self.broker.port) as client:
            await client.subscribe("hemsnet/v1/home/+/up/batch", qos=1)
            self.subscribed.set()
            async for message in client.messages:
                home = message.topic.value.split("/")[3]
                assert isinstance(message.payload, bytes)
                batch = json.loads(message.payload)
                if home not in self.lost:
                    self.lost.add(home)
                    continue
                self.seen.setdefault(home, set()).update(r["seq"] for r in batch["records"])
                ack = {"v": 1, "first": batch["first"], "last": batch["last"]}
                await client.publish(f"hemsnet/v1/home/{home}/down/ack", json.dumps(ack), qos=1)


@pytest.fixture
def provider(mosquitto: Mosquitto) -> Iterator[Provider]:
    played = Provider(mosquitto)
    played.start()
    assert played.subscribed.wait(WITHIN)
    yield played


@pytest.mark.parametrize("mode", ["backlog", "live"])
def test_every_record_of_every_home_arrives_and_a_lost_batch_is_sent_again(
    mode: Mode,
    tmp_path: Path,
    mosquitto: Mosquitto,
    provider: Provider,
) -> None:
    plan = FleetPlan(
        broker=parse_broker(mosquitto.url), folder=tmp_path, homes=HOMES, hours=3, start=START,
        processes=2, mode=mode, batch_size=100, ack_timeout=0.5,
    )  # fmt: skip
    lines: list[str] = []
    result = run_fleet(plan, lines.append)
    queued = {}
    for n in range(HOMES):
        with Outbox.open(tmp_path / f"{home_id(n)}.db") as outbox:
            queued[home_id(n)] = outbox.last_seq()
            assert outbox.watermark() == queued[home_id(n)]  # acknowledged, durably
            assert outbox.backlog() == 0
    assert all(last > 100 for last in queued.values())  # more than one batch each
    assert {home: set(range(1, last + 1)) for home, last in queued.items()} == provider.seen
    assert result.homes == HOMES
    assert result.records == sum(queued.values())
    assert result.resent >= HOMES  # the lost first batches
    assert lines == [f"fleet: {HOMES} homes released to the broker {plan.broker}"]
