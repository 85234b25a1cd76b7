"""One MQTT connection for the homes of a fleet process, kept up across broker restarts.

Publishing never waits for a connection: while there is none, :meth:`FleetLink.publish_all`
says so and the pumps keep their batches (a batch lost with a connection is sent again when
its ack is overdue, as a real home's uplink does). Acks are handed to ``on_ack(home, payload)``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Final

import aiomqtt

from hemsnet.aio.clock import wait_for_stop
from hemsnet.uplink.config import Broker

__all__ = ["ACK_FILTER", "FleetLink"]

log = logging.getLogger(__name__)

ACK_FILTER: Final = "hemsnet/v1/home/+/down/ack"
_IN_FLIGHT: Final = 200  # QoS 1 publishes the broker has not acknowledged yet
_BACKOFF_FIRST: Final = 0.5
_BACKOFF_MAX: Final = 5.0


class FleetLink:
    """Connect, subscribe to every home's acks, reconnect with back-off until ``stop``."""

    def __init__(
        self, broker: Broker, client_id: str, on_ack: Callable[[str, bytes], None]
    ) -> None:
        self.broker = broker
        self.client_id = client_id
        self.on_ack = on_ack
        self.connection = 0  # numbers the connections; 0 before the first
        self.connected = asyncio.Event()
        self._client: aiomqtt.Client | None = None

    async def run(self, stop: asyncio.Event) -> None:
        delay = _BACKOFF_FIRST
        while not stop.is_set():
            try:
                async with self._new_client() as client:
                    await client.subscribe(ACK_FILTER, qos=1)  # before any batch goes
                    self._client = client
                    self.connection += 1
                    self.connected.set()
                    delay = _BACKOFF_FIRST
                    if self.connection > 1:
                        log.warning("fleet: connected to the broker again")
                    await self._receive(client, stop)
            except aiomqtt.MqttError as exc:
                log.warning("fleet: broker %s: %s; trying again", self.broker, exc)
            finally:
                self._client = None
                self.connected.clear()
            await wait_for_stop(stop, delay)
            delay = min(2 * delay, _BACKOFF_MAX)

    async def publish_all(
        self, messages: Sequence[tuple[str, bytes]], *, retain: bool = False
    ) -> bool:
        """Publish ``(topic, payload)`` QoS 1, all at once; False when the connection is not
        there or broke meanwhile (what was not sent is the pumps' to send again)."""
        client = self._client
        if client is None:
            return False
        try:
            await asyncio.gather(*(client.publish(t, p, qos=1, retain=retain) for t, p in messages))
        except aiomqtt.MqttError:
            return False
        return True

    def _new_client(self) -> aiomqtt.Client:
        client = aiomqtt.Client(
            self.broker.host,
            self.broker.port,
            username=self.broker.username,
            password=self.broker.password,
            identifier=self.client_id,
            max_inflight_messages=_IN_FLIGHT,
            timeout=30,
        )
        client.pending_calls_threshold = _IN_FLIGHT * 100  # thousands in flight, by design
        return client

    async def _receive(self, client: aiomqtt.Client, stop: asyncio.Event) -> None:
        receiving = asyncio.ensure_future(self._route(client))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            done, _ = await asyncio.wait((receiving, stopping), return_when=asyncio.FIRST_COMPLETED)
        finally:
            receiving.cancel()
            stopping.cancel()
        if receiving in done:
            receiving.result()  # a broken connection raises MqttError here

    async def _route(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            parts = message.topic.value.split("/")
            if len(parts) == 6 and isinstance(message.payload, bytes):
                self.on_ack(parts[3], message.payload)
