"""Benchmark the MQTT uplink (not a test): what it costs the controller's event loop, and how
fast it empties into a real broker.

Run with ``.venv/bin/python -m bench.uplink`` from the repository (it starts mosquitto, Debian's
package, as the tests do, with ``tests/broker.py``). It
measures, on this process:

1. the time :meth:`HomeAssistantBridge.meter_events` takes for one EA/EB poll's events (the
   cost the Route B engine's loop pays per poll), with the broker away and with it connected;
2. end to end, from the bridge's call to a subscriber holding the value, through mosquitto on
   127.0.0.1, QoS 0 and 1, for 5,000 power updates one after another.

Exit status: 0 when measured, 1 when it could not run.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiomqtt

from hemsnet.controller.config import ControllerConfig
from hemsnet.controller.events import MeterPaired, Recorded
from hemsnet.echonet.eoj import Eoj
from hemsnet.metering.samples import Sample
from hemsnet.metering.series import Series, Source
from hemsnet.uplink.config import MqttConfig, parse_broker
from hemsnet.uplink.homeassistant import HomeAssistantBridge
from tests.broker import MOSQUITTO, Mosquitto

T0 = datetime(2026, 11, 21, 10, 0)
UPDATES = 5_000


def poll(n: int) -> list[Recorded]:
    """The events of one EA/EB poll, ``n`` seconds in."""
    at = T0 + timedelta(seconds=n)
    samples = (
        Sample(Series.POWER, at, 1000 + n % 500, Decimal(1000 + n % 500)),
        Sample(Series.CURRENT_R, at, 100, Decimal("10.0")),
        Sample(Series.CURRENT_T, at, 95, Decimal("9.5")),
    )
    return [Recorded(samples, Source.POLL)]


def bridge(broker: Mosquitto, qos: int) -> HomeAssistantBridge:
    config = MqttConfig(broker=parse_broker(broker.url), client_id=f"bench-{qos}", qos=qos)
    made = HomeAssistantBridge.connect(config, ControllerConfig(), lambda: T0)
    made.meter_events([MeterPaired("fe80::1", Eoj(0x02, 0x8F, 0x01))], T0)
    return made


def per_call_us(made: HomeAssistantBridge, rounds: int = 20_000) -> tuple[float, float]:
    """Median and 99th percentile of one poll's meter_events, microseconds."""
    times = []
    for n in range(rounds):
        events = poll(n)
        started = time.perf_counter_ns()
        made.meter_events(events, T0)
        times.append((time.perf_counter_ns() - started) / 1000)
    times.sort()
    return statistics.median(times), times[int(0.99 * len(times))]


async def end_to_end(broker: Mosquitto, qos: int) -> tuple[float, float]:
    """Median and 99th percentile, ms, from meter_events to a subscriber holding the value,
    over UPDATES power updates one after another."""
    made = bridge(broker, qos)
    stop = asyncio.Event()
    task = asyncio.create_task(made.run(stop))
    await made.link.connected.wait()
    latencies = []
    async with aiomqtt.Client("127.0.0.1", broker.port) as client:
        await client.subscribe("hemsnet/meter/fe80__1/power", qos=qos)
        messages = aiter(client.messages)
        for n in range(UPDATES):
            value = 1_000_000 + n
            at = T0 + timedelta(seconds=n)
            started = time.perf_counter()
            made.meter_events(
                [Recorded((Sample(Series.POWER, at, value, Decimal(value)),), Source.POLL)], T0
            )
            while (await anext(messages)).payload != str(value).encode():
                pass  # the retained value of the run before
            latencies.append((time.perf_counter() - started) * 1000)
    stop.set()
    await task
    latencies.sort()
    return statistics.median(latencies), latencies[int(0.99 * len(latencies))]


def main() -> int:
    if not MOSQUITTO.exists():
        print(f"needs {MOSQUITTO} (Debian package mosquitto)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="hemsnet-bench-") as folder:
        broker = Mosquitto(Path(folder))
        away = bridge(broker, 1)  # never connected: the broker is away
        median, p99 = per_call_us(away)
        print(
            f"meter_events, one EA/EB poll, broker away: median {median:.1f} us, p99 {p99:.1f} us"
        )
        broker.start()
        try:
            for qos in (0, 1):
                median, p99 = asyncio.run(end_to_end(broker, qos))
                print(
                    f"a power update to a subscriber through mosquitto, QoS {qos}, {UPDATES} "
                    f"in turn: median {median:.2f} ms, p99 {p99:.2f} ms"
                )
        finally:
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
