"""The Route C uplink as a service: the outbox of the controller's store to the provider's
broker, store-and-forward, through the home gateway and the WAN [G.9958 I.1(3), 6.4.2, 6.4.3]
(docs/route-c.md).

An :class:`~hemsnet.uplink.mqtt.MqttLink` keeps the connection (TLS, the home's user and
password, back-off); its last will is ``up/state`` ``offline``, retained, and ``online`` is
published retained at every connection. A :class:`~hemsnet.uplink.routec_pump.Pump` ticks on a
worker thread (its SQLite I/O never holds the event loop) every :data:`POLL` seconds, at once
when an ack comes, and when an ack falls due. Acks are only queued on the loop's thread; the
pump reads them at its next tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Final

from hemsnet.errors import ConfigError
from hemsnet.store.outbox import Outbox
from hemsnet.uplink.mqtt import MqttLink, MqttMessage
from hemsnet.uplink.routec_config import RouteCConfig
from hemsnet.uplink.routec_pump import Pump

__all__ = ["POLL", "RouteCUplink"]

POLL: Final = 1.0  # s between two looks at the outbox: new records wait at most this long
_ACKS_HELD: Final = 1000  # acks between two ticks; a flood beyond it is let go


def _state(state: str, at: datetime) -> bytes:
    return json.dumps({"v": 1, "state": state, "at": at.isoformat(timespec="seconds")}).encode()


class RouteCUplink:
    """The uplink of one home; :meth:`run` until stopped, then it closes its outbox."""

    def __init__(
        self,
        config: RouteCConfig,
        db: Path,
        *,
        clock: Callable[[], datetime],
        report: Callable[[str], None],
    ) -> None:
        """Open the outbox of the store at ``db`` (opened and migrated already), start queueing
        in it, and make the link; ConfigError when either cannot be used."""
        broker = config.broker
        assert broker is not None
        self.config = config
        self.clock = clock
        self.outbox = Outbox.open(db)
        try:
            self.link = MqttLink(
                broker,
                client_id=config.client_id,
                will=MqttMessage(config.topic("up/state"), _state("offline", clock()), 1, True),
            )
        except OSError as exc:  # ssl.SSLError too: a CA, certificate or key that is no good
            self.outbox.close()
            raise ConfigError(f"routec: the TLS files cannot be used: {exc}") from None
        self.outbox.enable(True)
        self.pump = Pump(self.outbox, config, report)
        self.link.subscribe(config.topic("down/ack"), self._on_ack)
        self._acks: list[bytes] = []
        self._wakeup = asyncio.Event()
        self._store_trouble: str | None = None
        self.report = report

    def describe(self) -> str:
        """For the start line: ``; Route C mqtts://h0001@provider:8883``."""
        return f"; Route C {self.link.broker}"

    async def run(self, stop: asyncio.Event) -> None:
        online = _state("online", self.clock())
        self.link.publish(self.config.topic("up/state"), online, qos=1, retain=True)
        link = asyncio.create_task(self.link.run(stop))
        try:
            await self._pump(stop)
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await link
            self.outbox.close()

    def _on_ack(self, topic: str, payload: bytes) -> None:
        if len(self._acks) < _ACKS_HELD:
            self._acks.append(payload)
        self._wakeup.set()

    async def _pump(self, stop: asyncio.Event) -> None:
        link, pump, batch_topic = self.link, self.pump, self.config.topic("up/batch")
        while not stop.is_set():
            self._wakeup.clear()
            acks, self._acks = self._acks, []
            connection = link.connections if link.connected.is_set() else 0
            stamp = self.clock().isoformat(timespec="seconds")
            try:
                out = await asyncio.to_thread(
                    pump.tick,
                    time.monotonic(),
                    stamp,
                    connection=connection,
                    acks=acks,
                    link_busy=link.unsent > 0,
                )
            except sqlite3.Error as exc:  # a busy or full disk: the records wait, none is lost
                self._trouble(str(exc))
                out = []
            else:
                self._trouble(None)
            for payload in out:
                link.publish(batch_topic, payload, qos=1)
            wait = POLL
            if (due := pump.next_due()) is not None:
                wait = min(wait, max(due - time.monotonic(), 0.0))
            await self._sleep(stop, wait)

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        """Until ``seconds`` pass, an ack comes or ``stop``."""
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wakeup.wait())]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    def _trouble(self, problem: str | None) -> None:
        """One line when the outbox cannot be used, one when it can again."""
        if problem is not None and self._store_trouble is None:
            self.report(f"uplink: the outbox cannot be used ({problem}); trying again")
        elif problem is None and self._store_trouble is not None:
            self.report("uplink: the outbox works again")
        self._store_trouble = problem
