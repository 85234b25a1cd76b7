"""The homes of one fleet process and their Route C uplinks over one MQTT connection.

Each home is a :class:`~hemsnet.fleet.home.VirtualHome` with its own store, outbox and
:class:`~hemsnet.uplink.routec_pump.Pump`: the same outbox and pump that ``hemsnet controller``
runs, so what reaches the provider is what a real controller would send. Only the connection is
shared: ten thousand TLS sessions on one 2-core machine would measure the broker's handshakes,
not the provider. The shared connection's user may therefore publish under every home's
topics; a real home's may not (docs/route-c.md, Identity).

Two ways to run (:meth:`FleetSlice.simulate` then :meth:`FleetSlice.drain`, or
:meth:`FleetSlice.live`):

* **backlog**: simulate every home first with the WAN away, then send everything at once: the
  provider's ingest rate with the whole backlog of a day waiting, as after an outage;
* **live**: simulate ``step`` of virtual time, send what was stored, and so on: each step's
  wall-clock time is noted per home (:attr:`FleetSlice.committed`), so that the provider's
  ``received_at`` gives the latency from the controller's store to the provider's table.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from hemsnet.fleet.home import HomeSpec, VirtualHome
from hemsnet.fleet.link import FleetLink
from hemsnet.store.outbox import Outbox
from hemsnet.uplink.routec_config import RouteCConfig
from hemsnet.uplink.routec_pump import Pump

__all__ = ["FleetSlice", "SliceResult"]

log = logging.getLogger(__name__)

_IDLE_TICK: Final = 0.5  # s at most between two ticks while waiting for acks
_NO_PROGRESS: Final = 120.0  # s at least without a single ack before the drain gives up


@dataclass(frozen=True, slots=True)
class SliceResult:
    """What one slice did: for the bench's report."""

    homes: int
    records: int  # sequence numbers acknowledged, over all homes
    simulate_s: float
    drain_s: float
    batches: int
    resent: int
    committed: list[tuple[str, int, float]]  # (home, last seq stored, wall time), live only


class FleetSlice:
    """Homes ``specs`` in ``folder``, all on virtual time from ``start``."""

    def __init__(
        self,
        specs: list[HomeSpec],
        folder: Path,
        *,
        start: datetime,
        installed: datetime,
        routec: RouteCConfig,
        report: Callable[[str], None] = print,
    ) -> None:
        self.specs = specs
        self.folder = folder
        self.start = start
        self.installed = installed
        self.routec = routec
        self.report = report
        self.homes: list[VirtualHome] = []
        self.pumps: dict[str, Pump] = {}
        self.committed: list[tuple[str, int, float]] = []
        self._acks: dict[str, list[bytes]] = {}
        self._last_noted: dict[str, int] = {}
        self._acked = asyncio.Event()
        self._batches = 0  # published, resends included
        self._simulate_s = 0.0
        self._drain_s = 0.0

    def simulate(self, until: datetime) -> None:
        """Every home from ``start`` up to ``until`` with the WAN away (nothing sent), one home
        at a time: a store per home held open would use up the file descriptors."""
        began = time.perf_counter()
        for n, spec in enumerate(self.specs, 1):
            home = self._home(spec)
            home.run_until(until)
            home.close()
            if n % 500 == 0:
                self.report(f"fleet: {n:,} of {len(self.specs):,} homes simulated")
        self._simulate_s += time.perf_counter() - began

    def open_uplinks(self) -> None:
        """Each home's outbox and pump (the stores must exist: simulated, or live)."""
        for spec in self.specs:
            outbox = Outbox.open(self.folder / f"{spec.home_id}.db")
            self.pumps[spec.home_id] = Pump(outbox, _for(self.routec, spec.home_id), _quiet)

    async def drain(self, link: FleetLink) -> None:
        """Send every home's outbox and wait until the provider has acknowledged it all."""
        began = time.perf_counter()
        await self._until_acknowledged(link)
        self._drain_s += time.perf_counter() - began

    async def live(
        self, link: FleetLink, until: datetime, step: timedelta, speed: float | None = None
    ) -> None:
        """Simulate ``step`` at a time, sending after each; then wait for the last acks.

        ``speed``: virtual time runs at most that many times faster than the wall clock (the
        demo's pace); None: as fast as the CPU allows."""
        self.homes = [self._home(spec) for spec in self.specs]
        self.open_uplinks()
        at = self.start
        paced_from = time.monotonic()
        while at < until:
            at = min(at + step, until)
            began = time.perf_counter()
            for home in self.homes:
                home.run_until(at)
                self._note_committed(home.spec.home_id)
            self._simulate_s += time.perf_counter() - began
            await self._tick(link)
            if speed is not None:
                due = paced_from + (at - self.start).total_seconds() / speed
                await self._tick_until(link, due)
        await self.drain(link)

    async def _tick_until(self, link: FleetLink, due: float) -> None:
        """Keep the uplinks going (acks in, batches out) until the monotonic time ``due``."""
        while (left := due - time.monotonic()) > 0:
            self._acked.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._acked.wait(), min(left, _IDLE_TICK))
            await self._tick(link)

    def _note_committed(self, home: str) -> None:
        """The wall time by which the home's store held everything up to its last seq."""
        last = self.pumps[home].outbox.last_seq()
        noted = self._last_noted.get(home, 0)
        if last > noted:
            self._last_noted[home] = last
            self.committed.append((home, last, time.time()))

    def result(self) -> SliceResult:
        pumps = self.pumps.values()
        return SliceResult(
            homes=len(self.specs),
            records=sum(pump.window.watermark for pump in pumps),
            simulate_s=self._simulate_s,
            drain_s=self._drain_s,
            batches=self._batches,
            resent=sum(pump.resent for pump in pumps),
            committed=self.committed,
        )

    def close(self) -> None:
        for pump in self.pumps.values():
            pump.outbox.close()
        for home in self.homes:
            home.close()

    def _home(self, spec: HomeSpec) -> VirtualHome:
        return VirtualHome(spec, self.folder, start=self.start, installed=self.installed)

    # --- the shared connection ----------------------------------------------------------------

    async def announce(self, link: FleetLink, state: str) -> None:
        """Every home's ``up/state`` (retained), as a home's uplink says it (docs/route-c.md)."""
        at = datetime.now().isoformat(timespec="seconds")
        payload = json.dumps({"v": 1, "state": state, "at": at}).encode()
        topics = [f"hemsnet/v1/home/{spec.home_id}/up/state" for spec in self.specs]
        await link.publish_all([(topic, payload) for topic in topics], retain=True)

    def take_ack(self, home: str, payload: bytes) -> None:
        """An ack from the provider, for the home's pump at its next tick."""
        if home in self.pumps:
            self._acks.setdefault(home, []).append(payload)
            self._acked.set()

    async def _until_acknowledged(self, link: FleetLink) -> None:
        progress_at = time.monotonic()
        acknowledged = -1
        while True:
            sent = await self._tick(link)
            done = sum(pump.window.watermark for pump in self.pumps.values())
            if done != acknowledged:
                acknowledged, progress_at = done, time.monotonic()
            if not sent and all(self._caught_up(pump) for pump in self.pumps.values()):
                return
            if time.monotonic() - progress_at > _NO_PROGRESS:
                # Give up only after the longest wait for an ack has passed twice (U7: it
                # grows with a slow provider).
                patience = max(2 * pump.window.timeout for pump in self.pumps.values())
                if time.monotonic() - progress_at > patience:
                    raise TimeoutError(f"no ack for {patience:.0f} s ({done:,} acknowledged)")
            self._acked.clear()
            with contextlib.suppress(TimeoutError):  # a tick at least this often: resends
                await asyncio.wait_for(self._acked.wait(), _IDLE_TICK)

    async def _tick(self, link: FleetLink) -> int:
        """One tick of every pump; their batches published together. Returns how many."""
        now, stamp = time.monotonic(), datetime.now().isoformat(timespec="seconds")
        connection = link.connection if link.connected.is_set() else 0
        published = []
        for home, pump in self.pumps.items():
            acks = self._acks.pop(home, [])
            for payload in pump.tick(now, stamp, connection=connection, acks=acks):
                published.append((f"hemsnet/v1/home/{home}/up/batch", payload))
        if published:
            self._batches += len(published)
            await link.publish_all(published)
        return len(published)

    @staticmethod
    def _caught_up(pump: Pump) -> bool:
        return not pump.window.batches and pump.window.watermark >= pump.outbox.last_seq()


def _for(routec: RouteCConfig, home: str) -> RouteCConfig:
    return RouteCConfig(
        broker=routec.broker,
        home=home,
        batch_size=routec.batch_size,
        window=routec.window,
        ack_timeout=routec.ack_timeout,
        max_backlog=routec.max_backlog,
    )


def _quiet(line: str) -> None:
    """A pump's progress lines, which would be ten thousand homes' worth, go to the debug log."""
    log.debug("%s", line)
