"""``hemsnet controller --config F`` with a ``[routec]`` table, end to end: a meter in one
namespace, the controller in another with the provider's broker (TLS, passwords, the ACL of
examples/routec/) beside it, and a test-side provider that acknowledges. What the controller
stores reaches the provider as the contract's records; the home says online, and offline on a
clean stop."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from hemsnet.store import Store
from hemsnet.store.outbox import Outbox
from hemsnet.testbed.netns import Namespaces, inside
from tests.broker import ROUTEC_USERS, ProviderBroker, needs_mosquitto
from tests.integration.test_controller_netns import (
    backfilled,
    controller_args,
    hemsnet,
    meter_args,
    now,
)

pytestmark = pytest.mark.netns

WITHIN = 60.0
TOPIC = "hemsnet/v1/home/h1/{}"


def payload(message: aiomqtt.Message) -> Any:
    assert isinstance(message.payload, bytes)
    return json.loads(message.payload)


def test_the_controller_sends_what_it_stores_to_the_provider(
    topology: Namespaces, tmp_path: Path
) -> None:
    needs_mosquitto()
    meter_end, ctl_end = topology.link(topology.namespace("meter"), topology.namespace("ctl"))
    db, config, password = tmp_path / "hemsnet.db", tmp_path / "hemsnet.toml", tmp_path / "pw"
    password.write_text(ROUTEC_USERS["h1"])
    records: dict[int, dict[str, Any]] = {}
    states: list[str] = []

    async def scenario(broker: ProviderBroker) -> list[str]:
        config.write_text(
            f'[routec]\nurl = "{broker.url}"\nhome = "h1"\npassword_file = "{password}"\n'
            f'ca_file = "{broker.ca}"\n'
        )
        async with broker.client("provider", ROUTEC_USERS["provider"]) as provider:
            await provider.subscribe(TOPIC.format("up/#"), qos=1)
            async with (
                hemsnet(meter_end, "meter", *meter_args(now() - timedelta(hours=2))),
                hemsnet(
                    ctl_end, "controller", *controller_args(db, "--config", str(config))
                ) as controller,
            ):
                await controller.wait_for_line(backfilled)
                async with asyncio.timeout(WITHIN):
                    async for message in provider.messages:
                        if message.topic.value == TOPIC.format("up/state"):
                            states.append(payload(message)["state"])
                            if states[-1] == "offline":
                                break
                            continue
                        batch = payload(message)
                        records.update((r["seq"], r) for r in batch["records"])
                        ack = {"v": 1, "first": batch["first"], "last": batch["last"]}
                        await provider.publish(TOPIC.format("down/ack"), json.dumps(ack), qos=1)
                        kinds = {r["kind"] for r in records.values()}
                        if {"reading", "attribute"} <= kinds and controller.proc.returncode is None:
                            assert await controller.stop() == 0  # then the offline state
                return controller.lines

    def run_in_ctl() -> None:  # the broker and the provider's socket in the ctl namespace
        nonlocal lines
        with inside(ctl_end.netns):
            broker = ProviderBroker(tmp_path, ROUTEC_USERS)
            broker.start()
            try:
                lines = asyncio.run(scenario(broker))
            finally:
                broker.stop()

    lines: list[str] = []
    thread = threading.Thread(target=run_in_ctl)
    thread.start()
    thread.join()
    assert any("; Route C mqtts://h1@127.0.0.1:" in line for line in lines[:3])
    assert states == ["online", "offline"]
    with Store.open(db) as store, Outbox.open(db) as outbox:
        (meter,) = store.meters()
        acked = outbox.watermark()  # the acks the controller took before it stopped
    assert set(records) == set(range(1, max(records) + 1)) and acked <= max(records)
    readings = [r for r in records.values() if r["kind"] == "reading"]
    assert {r["meter"] for r in readings} == {meter.key}
    assert {"energy_normal", "power"} <= {r["series"] for r in readings}
    attributes = {r["epc"] for r in records.values() if r["kind"] == "attribute"}
    assert {0xD3, 0xE5, 0xE6} <= attributes
