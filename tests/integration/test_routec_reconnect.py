"""The Route C uplink across a broker restart (real mosquitto, no persistence): records stored
while the broker is away are sent once it is back, ``online`` is said again, and whatever was
lost with the broker (a batch sent to no subscriber) comes again after ``ack_timeout``: every
seq arrives."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final

import aiomqtt

from hemsnet.metering.series import Series, Source
from hemsnet.store import Store
from hemsnet.store.model import Reading
from hemsnet.uplink.config import parse_broker
from hemsnet.uplink.routec import RouteCUplink
from hemsnet.uplink.routec_config import RouteCConfig
from tests.broker import WITHIN, Mosquitto, mosquitto

__all__ = ["mosquitto"]  # the fixture, used by name

T0: Final = datetime(2026, 1, 1)
TOPIC: Final = "hemsnet/v1/home/h1/{}"


def store_readings(store: Store, meter: int, first: int, count: int) -> None:
    store.record(
        Reading(meter, Series.POWER, T0 + timedelta(seconds=n), n, Decimal(n), Source.POLL, T0)
        for n in range(first, first + count)
    )


async def provide(broker: Mosquitto, seen: set[int], states: list[str], until: int) -> None:
    """Play the provider until seqs 1..``until`` have all come: take, keep, acknowledge."""
    async with aiomqtt.Client("127.0.0.1", broker.port) as provider:
        await provider.subscribe(TOPIC.format("up/#"), qos=1)
        async with asyncio.timeout(WITHIN):
            async for message in provider.messages:
                assert isinstance(message.payload, bytes)
                data = json.loads(message.payload)
                if message.topic.value == TOPIC.format("up/state"):
                    states.append(data["state"])
                    continue
                seen.update(record["seq"] for record in data["records"])
                ack = {"v": 1, "first": data["first"], "last": data["last"]}
                await provider.publish(TOPIC.format("down/ack"), json.dumps(ack), qos=1)
                if set(range(1, until + 1)) <= seen:
                    return


def test_records_stored_while_the_broker_is_away_arrive_when_it_is_back(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    db = tmp_path / "home.db"
    config = RouteCConfig(parse_broker(mosquitto.url), "h1", batch_size=50, ack_timeout=1.0)
    seen: set[int] = set()
    states: list[str] = []
    lines: list[str] = []

    async def main() -> None:
        with Store.open(db) as store:
            meter = store.meter("m", "fe80::1", T0)
            uplink = RouteCUplink(config, db, clock=lambda: T0, report=lines.append)
            stop = asyncio.Event()
            running = asyncio.create_task(uplink.run(stop))
            store_readings(store, meter, 0, 200)
            await provide(mosquitto, seen, states, 200)
            mosquitto.stop()
            store_readings(store, meter, 200, 300)  # while the broker is away
            mosquitto.start()
            await provide(mosquitto, seen, states, 500)
            stop.set()
            await running

    asyncio.run(main())
    assert seen == set(range(1, 501))
    assert states[0] == "online" and states[-1] == "online"  # said again to the empty broker
