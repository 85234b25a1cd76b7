"""An MQTT client that keeps going: connect, reconnect with back-off, last will, publish,
subscribe. The Home Assistant publisher (:mod:`hemsnet.uplink.homeassistant`) uses it, and so
can any other uplink (a provider's broker, Route C store-and-forward).

It is built on aiomqtt (paho-mqtt underneath), MQTT 3.1.1. :meth:`MqttLink.publish` never
waits: it queues, and one task sends while the broker is there. What happens while it is not:

* **Retained messages** are state: the latest message of each topic is kept for as long as the
  link lives, and every (re)connection publishes all of them again, in the order their topics
  were first published (a birth message published first goes first each time). A
  broker that restarted empty (no persistence) thus gets every retained state back, and a
  value that was superseded while the broker was away is dropped, as the broker itself would
  have replaced it.
* **Other messages** (events) wait in a queue of ``queue_limit`` (1000); beyond that the oldest
  is dropped and counted in :attr:`MqttLink.dropped`.
* **The last will** (``will``, retained) is what the broker says for us if the connection
  breaks; a clean stop publishes it itself, since a clean disconnect does not fire the will.
* **Back-off**: 1 s after the first failure, doubling up to 60 s, with up to 25 % jitter so
  that many clients do not return together; one log line per outage, not per attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import aiomqtt

from hemsnet.aio.clock import wait_for_stop
from hemsnet.uplink.config import Broker

__all__ = ["MqttLink", "MqttMessage", "tls_context"]

log = logging.getLogger(__name__)

_BACKOFF_FIRST: Final = 1.0
_BACKOFF_MAX: Final = 60.0
_JITTER: Final = 0.25
_CONNECT_TIMEOUT: Final = 10.0

Handler = Callable[[str, bytes], None]


def tls_context(broker: Broker) -> ssl.SSLContext | None:
    """The TLS context of an ``mqtts://`` broker (``None`` for ``mqtt://``); OSError or
    ssl.SSLError when a CA, certificate or key file cannot be used."""
    if not broker.tls:
        return None
    context = ssl.create_default_context(cafile=broker.ca_file)
    if broker.cert_file is not None:
        context.load_cert_chain(broker.cert_file, broker.key_file)
    return context


@dataclass(frozen=True, slots=True)
class MqttMessage:
    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False


class MqttLink:
    """One connection to one broker, kept up until the ``stop`` given to :meth:`run`."""

    def __init__(
        self,
        broker: Broker,
        *,
        client_id: str,
        will: MqttMessage | None = None,
        keepalive: int = 30,
        queue_limit: int = 1000,
    ) -> None:
        self.broker = broker
        self.tls = tls_context(broker)
        self.client_id = client_id
        self.will = will
        self.keepalive = keepalive
        self.queue_limit = queue_limit
        self.connected = asyncio.Event()
        self.connections = 0
        self.published = 0
        self.dropped = 0
        self._retained: dict[str, MqttMessage] = {}  # the latest of each retained topic
        self._pending: dict[str, MqttMessage] = {}  # retained, not yet sent on this connection
        self._events: deque[MqttMessage] = deque()  # not retained, not yet sent
        self._wakeup = asyncio.Event()
        self._handlers: list[tuple[str, Handler]] = []
        self._client: aiomqtt.Client | None = None

    # --- what users call (from the event loop) -------------------------------------------

    def publish(
        self, topic: str, payload: str | bytes, *, qos: int = 0, retain: bool = False
    ) -> None:
        """Queue a message; never waits (see the module doc for what is kept)."""
        data = payload.encode() if isinstance(payload, str) else payload
        message = MqttMessage(topic, data, qos, retain)
        if retain:
            self._retained[topic] = message
            if self.connected.is_set():
                self._pending.pop(topic, None)  # a newer value goes after what is pending
                self._pending[topic] = message
        else:
            if len(self._events) >= self.queue_limit:
                self._events.popleft()
                self.dropped += 1
            self._events.append(message)
        self._wakeup.set()

    def subscribe(self, topic_filter: str, handler: Handler) -> None:
        """Call ``handler(topic, payload)`` for each message on ``topic_filter``, on every
        connection from now on (call before :meth:`run`, or it applies from the next one)."""
        self._handlers.append((topic_filter, handler))

    @property
    def unsent(self) -> int:
        """Messages (not retained) queued and not yet acknowledged by the broker."""
        return len(self._events)

    def retained(self, topic: str) -> bytes | None:
        """The latest retained payload published on ``topic``, if any."""
        message = self._retained.get(topic)
        return None if message is None else message.payload

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, serve, and reconnect with back-off until ``stop``."""
        delay = _BACKOFF_FIRST
        failing = False
        while not stop.is_set():
            try:
                async with self._new_client() as client:
                    self._client = client
                    self._on_connected(failing)
                    failing = False
                    delay = _BACKOFF_FIRST
                    await self._serve(client, stop)
                    await self._say_goodbye(client)
            except aiomqtt.MqttError as exc:
                if not failing:
                    log.warning("MQTT broker %s: %s; trying again with back-off", self.broker, exc)
                failing = True
            finally:
                self._client = None
                self.connected.clear()
            if stop.is_set():
                break
            await wait_for_stop(stop, delay * (1 + random.uniform(0, _JITTER)))
            delay = min(2 * delay, _BACKOFF_MAX)

    # --- inside ------------------------------------------------------------------------------

    def _new_client(self) -> aiomqtt.Client:
        will = self.will
        broker = self.broker
        return aiomqtt.Client(
            broker.host,
            broker.port,
            username=broker.username,
            password=broker.password,
            identifier=self.client_id,
            will=None
            if will is None
            else aiomqtt.Will(will.topic, will.payload, will.qos, will.retain),
            keepalive=self.keepalive,
            timeout=_CONNECT_TIMEOUT,
            tls_context=self.tls,
        )

    def _on_connected(self, after_failure: bool) -> None:
        self.connections += 1
        if after_failure or self.connections > 1:
            log.warning("MQTT broker %s: connected again", self.broker)
        else:
            log.info("MQTT broker %s: connected", self.broker)
        self._pending = dict(self._retained)
        self.connected.set()
        self._wakeup.set()

    async def _serve(self, client: aiomqtt.Client, stop: asyncio.Event) -> None:
        """Send and receive until ``stop`` or the connection breaks (MqttError)."""
        for topic_filter, _ in self._handlers:
            await client.subscribe(topic_filter, qos=1)
        tasks = [
            asyncio.create_task(self._send(client)),
            asyncio.create_task(self._receive(client)),
            asyncio.create_task(stop.wait()),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for task in done:
            task.result()  # a broken connection raises MqttError here

    async def _send(self, client: aiomqtt.Client) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending or self._events:
                if self._pending:
                    topic = next(iter(self._pending))
                    message = self._pending[topic]
                else:
                    message = self._events[0]
                await client.publish(
                    message.topic, message.payload, qos=message.qos, retain=message.retain
                )
                # Sent: only now off the queue, so a broken connection loses nothing.
                if message.retain:
                    if self._pending.get(message.topic) is message:
                        del self._pending[message.topic]
                elif self._events and self._events[0] is message:
                    self._events.popleft()
                self.published += 1

    async def _receive(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            payload = message.payload
            data = payload if isinstance(payload, bytes) else str(payload or "").encode()
            for topic_filter, handler in self._handlers:
                if message.topic.matches(topic_filter):
                    try:
                        handler(message.topic.value, data)
                    except Exception:  # one bad handler must not break the connection
                        log.exception("MQTT handler for %s failed", message.topic.value)

    async def _say_goodbye(self, client: aiomqtt.Client) -> None:
        """On a clean stop, what the will would have said: a clean disconnect does not fire
        it."""
        will = self.will
        if will is None:
            return
        with contextlib.suppress(aiomqtt.MqttError):
            await client.publish(will.topic, will.payload, qos=will.qos, retain=will.retain)
