"""The MQTT uplink against a real broker (Debian's mosquitto, started by the tests): Home
Assistant discovery and state reach a subscriber, a broker that restarts empty gets every
retained state back, and a command is sent on only for an object configured as controllable.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from decimal import Decimal
from typing import Final

import aiomqtt

from hemsnet.controller.appliance_events import (
    ApplianceCommanded,
    ApplianceFound,
    AppliancePower,
)
from hemsnet.controller.config import ControllerConfig
from hemsnet.controller.events import MeterPaired, Recorded
from hemsnet.echonet.eoj import Eoj
from hemsnet.metering.samples import Sample
from hemsnet.metering.series import Series, Source
from hemsnet.uplink.config import Controllable, MqttConfig, parse_broker
from hemsnet.uplink.homeassistant import HomeAssistantBridge
from tests.broker import Mosquitto, Seen, mosquitto, watch

__all__ = ["mosquitto"]  # the fixture, used by name

T0: Final = datetime(2026, 11, 21, 10, 0, 5)
METER: Final = Eoj(0x02, 0x8F, 0x01)
BATTERY: Final = Eoj(0x02, 0x7D, 0x01)
SOLAR: Final = Eoj(0x02, 0x79, 0x01)


def sample(series: Series, value: str, at: datetime = T0) -> Sample:
    return Sample(series, at, int(Decimal(value) * 10), Decimal(value))


def bridge_for(
    broker: Mosquitto, controllable: tuple[Controllable, ...] = ()
) -> HomeAssistantBridge:
    mqtt = MqttConfig(
        broker=parse_broker(broker.url), client_id="hemsnet-test", controllable=controllable
    )
    return HomeAssistantBridge.connect(mqtt, ControllerConfig(), lambda: T0)


def test_discovery_and_state_reach_a_subscriber(mosquitto: Mosquitto) -> None:
    async def main() -> Seen:
        stop = asyncio.Event()
        bridge = bridge_for(mosquitto)
        running = asyncio.create_task(bridge.run(stop))
        bridge.meter_events([MeterPaired("fe80::1:1", METER)], T0)
        readings = (
            sample(Series.POWER, "1234"),
            sample(Series.CURRENT_R, "10.5"),
            sample(Series.PRESENT_ENERGY_NORMAL, "4567.8"),
            sample(Series.ENERGY_REVERSE, "12.3"),
            sample(Series.DEMAND_NORMAL, "2.4"),
        )
        bridge.meter_events([Recorded(readings, Source.POLL)], T0)
        try:
            return await watch(mosquitto, lambda s: "hemsnet/meter/fe80__1_1/demand" in s)
        finally:
            stop.set()
            await running

    seen = asyncio.run(main())
    state = "hemsnet/meter/fe80__1_1"
    assert seen["hemsnet/status"] == b"online"
    assert seen[f"{state}/power"] == b"1234"
    assert seen[f"{state}/energy_imported"] == b"4567.8"
    assert seen[f"{state}/energy_exported"] == b"12.3"
    assert seen[f"{state}/link"] == b"up"
    imported = json.loads(seen["homeassistant/sensor/hemsnet_fe80__1_1/energy_imported/config"])
    assert imported["device_class"] == "energy"
    assert imported["state_class"] == "total_increasing"  # the Energy dashboard takes it
    assert imported["unit_of_measurement"] == "kWh"
    assert imported["state_topic"] == f"{state}/energy_imported"
    assert imported["availability"] == [{"topic": "hemsnet/status"}]
    assert imported["device"]["identifiers"] == ["hemsnet_meter_fe80__1_1"]
    power = json.loads(seen["homeassistant/sensor/hemsnet_fe80__1_1/power/config"])
    assert (power["device_class"], power["state_class"], power["unit_of_measurement"]) == (
        "power",
        "measurement",
        "W",
    )


def test_an_older_cumulative_reading_is_never_published_after_a_newer_one(
    mosquitto: Mosquitto,
) -> None:
    """A backfill's history would look like a counter reset to total_increasing."""

    async def main() -> Seen:
        stop = asyncio.Event()
        bridge = bridge_for(mosquitto)
        running = asyncio.create_task(bridge.run(stop))
        bridge.meter_events([MeterPaired("fe80::1:1", METER)], T0)
        newer = sample(Series.MINUTE_ENERGY_NORMAL, "4567.8")
        history = sample(Series.ENERGY_NORMAL, "4000.0", datetime(2026, 11, 20, 10, 0))
        bridge.meter_events([Recorded((newer,), Source.POLL)], T0)
        bridge.meter_events([Recorded((history,), Source.HISTORY)], T0)
        try:
            return await watch(mosquitto, lambda s: "hemsnet/meter/fe80__1_1/energy_imported" in s)
        finally:
            stop.set()
            await running

    assert asyncio.run(main())["hemsnet/meter/fe80__1_1/energy_imported"] == b"4567.8"


def test_a_broker_that_restarts_empty_gets_every_retained_state_back(
    mosquitto: Mosquitto,
) -> None:
    async def main() -> tuple[Seen, float]:
        stop = asyncio.Event()
        bridge = bridge_for(mosquitto)
        running = asyncio.create_task(bridge.run(stop))
        try:
            bridge.meter_events([MeterPaired("fe80::1:1", METER)], T0)
            bridge.meter_events([Recorded((sample(Series.POWER, "1000"),), Source.POLL)], T0)
            await watch(mosquitto, lambda s: s.get("hemsnet/meter/fe80__1_1/power") == b"1000")
            await asyncio.to_thread(mosquitto.stop)  # every retained message is gone with it
            loop = asyncio.get_running_loop()
            began = loop.time()
            later = T0.replace(second=15)
            readings = (sample(Series.POWER, "2000", later), sample(Series.CURRENT_T, "7.5", later))
            bridge.meter_events([Recorded(readings, Source.POLL)], later)
            took = loop.time() - began  # the engine's side: it must not wait for the broker
            await asyncio.to_thread(mosquitto.start)
            seen = await watch(
                mosquitto,
                lambda s: s.get("hemsnet/meter/fe80__1_1/current_t") == b"7.5",
            )
            return seen, took
        finally:
            stop.set()
            await running

    seen, took = asyncio.run(main())
    assert took < 0.05
    assert seen["hemsnet/status"] == b"online"
    assert seen["hemsnet/meter/fe80__1_1/power"] == b"2000"  # the latest, not the first
    assert "homeassistant/sensor/hemsnet_fe80__1_1/power/config" in seen


def test_a_command_goes_on_only_for_an_object_configured_as_controllable(
    mosquitto: Mosquitto,
) -> None:
    sent: list[tuple[str, Eoj, int, bytes]] = []
    battery = "hemsnet/appliance/fe80__2/027D01"
    solar = "hemsnet/appliance/fe80__3/027901"

    async def main() -> tuple[Seen, Seen]:
        stop = asyncio.Event()
        bridge = bridge_for(mosquitto, controllable=(Controllable(BATTERY, "fe80::2"),))
        loop = asyncio.get_running_loop()

        def commander(key: str, eoj: Eoj, epc: int, edt: bytes) -> None:
            """As the controller does: the outcome comes later, as an event."""
            sent.append((key, eoj, epc, edt))
            outcome = ApplianceCommanded(key, eoj, epc, accepted=True)
            loop.call_soon(bridge.appliance_events, [outcome], T0)

        bridge.commander = commander
        running = asyncio.create_task(bridge.run(stop))
        try:
            bridge.appliance_events(
                [
                    ApplianceFound("fe80::2", BATTERY),
                    ApplianceFound("fe80::3", SOLAR),
                    AppliancePower("fe80::3", SOLAR, T0, 1800, operating=True),
                ],
                T0,
            )

            # The birth comes after the bridge subscribed to its command topics (MqttLink
            # subscribes, then publishes): a command sent before then would be lost.
            await watch(mosquitto, lambda s: s.get("hemsnet/status") == b"online")

            async def refused(client: aiomqtt.Client) -> None:
                await client.publish(f"{solar}/operation/set", "OFF", qos=1)
                await client.publish("hemsnet/meter/fe80__1_1/power/set", "0", qos=1)

            first = await watch(
                mosquitto,
                lambda s: (
                    f"{solar}/operation/set/result" in s
                    and "hemsnet/meter/fe80__1_1/power/set/result" in s
                ),
                then=refused,
            )

            async def accepted(client: aiomqtt.Client) -> None:
                await client.publish(f"{battery}/operation/set", "OFF", qos=1)

            second = await watch(
                mosquitto, lambda s: f"{battery}/operation/set/result" in s, then=accepted
            )
            return first, second
        finally:
            stop.set()
            await running

    first, second = asyncio.run(main())
    refusal = json.loads(first[f"{solar}/operation/set/result"])
    assert refusal == {
        "accepted": False,
        "reason": "fe80__3/027901 is not configured as controllable",
    }
    meter = json.loads(first["hemsnet/meter/fe80__1_1/power/set/result"])
    assert meter["accepted"] is False
    assert first[f"{solar}/operation"] == b"ON"  # refused: nothing was sent to it
    assert sent == [("fe80::2", BATTERY, 0x80, b"\x31")]
    assert json.loads(second[f"{battery}/operation/set/result"])["accepted"] is True
    switch = json.loads(second["homeassistant/switch/hemsnet_fe80__2_027D01/operation/config"])
    assert switch["command_topic"] == f"{battery}/operation/set"
    assert "homeassistant/switch/hemsnet_fe80__3_027901/operation/config" not in second
    sensor = json.loads(
        second["homeassistant/binary_sensor/hemsnet_fe80__3_027901/operation/config"]
    )
    assert "command_topic" not in sensor


def test_the_bridge_says_offline_when_it_stops(mosquitto: Mosquitto) -> None:
    """A clean stop publishes what the last will would say (a clean disconnect fires none)."""

    async def main() -> Seen:
        stop = asyncio.Event()
        bridge = bridge_for(mosquitto)
        running = asyncio.create_task(bridge.run(stop))
        await watch(mosquitto, lambda s: s.get("hemsnet/status") == b"online")
        stop.set()
        await running
        return await watch(mosquitto, lambda s: "hemsnet/status" in s)

    assert asyncio.run(main())["hemsnet/status"] == b"offline"
