"""The controller's wiring: engine, store, recorders, runners and status, built from one setup.

``hemsnet controller``, ``hemsnet demo`` and (through the command line) the testbed all build
their controller here, so that each runs the same thing:

* a :class:`~hemsnet.controller.engine.ControllerEngine` on the Route B link, and an
  :class:`~hemsnet.controller.appliances.ApplianceMonitor` per HEMS network
  (:class:`~hemsnet.aio.hems_networks.HemsNetworks`), each pumped by an
  :class:`~hemsnet.aio.runner.EngineRunner`;
* their events written to the SQLite store by the recorders, on a
  :class:`~hemsnet.aio.disk_writer.DiskWriter` thread, so that an fsync never holds the
  datagram path; when the meter is paired, what the store already holds is read on that thread
  and handed back to the engine (:meth:`ControllerEngine.restore`);
* a status line when something a person cares about changes, and every ``status_every``
  seconds of real time;
* the same events handed to each :class:`EventSink` added (an MQTT uplink), on the event
  loop's thread: a sink must not block, it queues; and commands from a sink to an appliance
  (:meth:`ControllerService.command`).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Final, Protocol, Self

from hemsnet.aio.appliance_recorder import ApplianceRecorder, class_name
from hemsnet.aio.clock import ScaledClock, wait_for_stop
from hemsnet.aio.disk_writer import DiskWriter, WriterTrouble
from hemsnet.aio.hems_networks import HemsNetworks
from hemsnet.aio.recorder import Recorder
from hemsnet.aio.runner import EngineRunner
from hemsnet.aio.serial_link import BAUD_RATE, LinkNotice, SerialLink
from hemsnet.aio.services import Service, run_together
from hemsnet.aio.udp import DatagramLink, echonet_endpoint, peer_identity, peer_key
from hemsnet.controller.appliance_events import (
    ApplianceEvent,
    ApplianceFound,
    ApplianceLost,
)
from hemsnet.controller.appliances import ApplianceMonitor
from hemsnet.controller.config import ControllerConfig
from hemsnet.controller.coverage import Held
from hemsnet.controller.engine import ControllerEngine
from hemsnet.controller.events import (
    BackfillProgress,
    Event,
    FaultEnded,
    FaultStarted,
    GapSettled,
    MeterPaired,
    MeterRestarted,
    Warned,
)
from hemsnet.echonet.engine import FrameDiscarded
from hemsnet.echonet.eoj import Eoj
from hemsnet.errors import RequestNotAllowed
from hemsnet.metering.gaps import GapStatus
from hemsnet.skstack.driver import KnownPan, RouteBCredentials
from hemsnet.skstack.protocol import PanDescription
from hemsnet.store.store import Store

__all__ = ["ControllerService", "ControllerSetup", "DongleSetup", "EventSink", "StatusView"]

_NOTABLE: Final = (MeterPaired, MeterRestarted, FaultStarted, FaultEnded, GapSettled, Warned)

Report = Callable[[str], None]


class EventSink(Protocol):
    """What else consumes a controller's events, besides the store (an uplink).

    Both calls come on the event loop's thread, right after the engine's, so they must only
    queue (never wait on I/O); ``run`` is a service run with the controller's own.
    """

    def meter_events(self, events: Sequence[Event], now: datetime) -> None: ...

    def appliance_events(self, events: Sequence[ApplianceEvent], now: datetime) -> None: ...

    async def run(self, stop: asyncio.Event) -> None: ...


@dataclass(frozen=True, slots=True)
class DongleSetup:
    """Route B through a SKSTACK IP dongle on a serial port [G.9958 Figure I.2]: where it is,
    the Route B credentials, and the meter's PAN when known without a scan (else the one kept
    in the store from an earlier scan is used)."""

    path: str
    credentials: RouteBCredentials
    pan: KnownPan | None = None
    baud: int = BAUD_RATE


@dataclass(frozen=True, slots=True)
class ControllerSetup:
    """What a controller runs with: its configuration, its links, its store and its clock.

    ``route_b`` is a datagram link (UDP on an interface) or a dongle. ``hems`` names the HEMS
    networks' interfaces; the Route B one among them shares the Route B link
    [G.9958 6.3.2, 6.4.1]. ``meter``, when given, is the only peer on Route B.
    """

    config: ControllerConfig
    route_b: DatagramLink | DongleSetup
    db: Path
    clock: ScaledClock
    meter: Hashable | None = None
    hems: Sequence[str] = ()
    report: Report | None = None
    status_every: float = 60.0
    #: HEMS networks on links opened already, each with the nodes to ask by unicast.
    appliance_links: Sequence[tuple[DatagramLink, tuple[Hashable, ...]]] = ()


@dataclass(frozen=True, slots=True)
class StatusView:
    """The engine's part of a status line, copied on the event loop's thread."""

    paired: bool
    eoj: Eoj | None
    address: Hashable | None
    last_reading: datetime | None
    in_fault: bool
    backfill_done: int
    backfill_total: int
    backfilled_at: datetime | None
    counters: dict[str, int]
    per_hour: int  # requests sent in the last hour [AIF 2.4.1 note]
    refused: tuple[int, ...]  # what the meter refuses though it should serve it (C36)
    appliances: tuple[int, int] | None  # known, reachable; None without HEMS networks
    trouble: WriterTrouble | None = None  # the store refusing writes (C50)

    @classmethod
    def of(
        cls,
        engine: ControllerEngine,
        monitors: Sequence[ApplianceMonitor],
        trouble: WriterTrouble | None = None,
    ) -> StatusView:
        status = engine.status
        return cls(
            engine.meter.paired,
            engine.meter.eoj,
            engine.meter.address,
            status.last_reading,
            engine.meter.in_fault,
            status.backfill_done,
            status.backfill_total,
            status.backfilled_at,
            dict(status.counters),
            engine.rate.per_hour(engine.now),
            tuple(sorted(engine.meter.refused)),
            (
                (sum(m.known for m in monitors), sum(m.reachable for m in monitors))
                if monitors
                else None
            ),
            trouble,
        )

    def line(self, store: Store, meter_id: int | None) -> str:
        """``hemsnet controller: meter ... | last reading ... | gaps ... | ...``; the store
        part read from ``store``."""
        if not self.paired:
            parts = ["searching for a meter (0x028F, 0x0288)"]
        else:
            parts = [f"meter {self.eoj} at {self.address}"]
            if meter_id is not None:
                parts += self._stored(store, meter_id)
            if self.backfill_total and self.backfill_done < self.backfill_total:
                parts.append(f"backfill {self.backfill_done}/{self.backfill_total} days")
            elif self.backfilled_at is not None:
                parts.append(f"backfill done {self.backfilled_at.isoformat(' ', 'seconds')}")
            counters = self.counters
            parts.append(
                f"requests {counters.get('sent', 0)} sent, {counters.get('answered', 0)} "
                f"answered, {counters.get('refused', 0)} refused, "
                f"{counters.get('timed_out', 0)} timed out, {self.per_hour} in the last hour"
            )
            if self.refused:
                parts.append("refuses " + " ".join(f"0x{epc:02X}" for epc in self.refused))
            rejected, disputed = counters.get("rejected", 0), counters.get("disputed", 0)
            if rejected or disputed:  # what came from the wire and was not believed (C46-C48)
                parts.append(f"not believed: {rejected} rejected, {disputed} disputed")
        if self.trouble is not None:
            let_go = f", {self.trouble.dropped} let go" if self.trouble.dropped else ""
            parts.append(
                f"store refuses writes ({self.trouble.reason}): {self.trouble.waiting} "
                f"waiting{let_go}, retrying"
            )
        if self.appliances is not None:
            known, reachable = self.appliances
            parts.append(f"appliances {known} ({reachable} reachable)")
        return "hemsnet controller: " + " | ".join(parts)

    def _stored(self, store: Store, meter_id: int) -> list[str]:
        gaps = store.gaps(meter_id)
        counts = {s: sum(1 for gap in gaps if gap.status is s) for s in GapStatus}
        reading = self.last_reading
        return [
            "last reading " + (reading.isoformat(" ", "minutes") if reading else "none yet"),
            f"gaps {counts[GapStatus.OPEN]} open, {counts[GapStatus.FILLED]} filled, "
            f"{counts[GapStatus.UNRECOVERABLE]} unrecoverable",
            "in fault" if self.in_fault else f"faults {len(store.faults(meter_id))}",
        ]


class ControllerService:
    """A controller, its HEMS networks and its store, ready to run."""

    def __init__(self, setup: ControllerSetup, store: Store) -> None:
        self.setup = setup
        self.store = store
        now = setup.clock.now()
        config = setup.config
        self.engine = ControllerEngine(
            config,
            now=now,
            meter=setup.meter,
            identify=peer_identity,
            tid_draw=secrets.randbelow,
            endpoint=echonet_endpoint,
        )
        self.writer = DiskWriter("hemsnet-store", on_recovered=self._writes_resumed)
        self.dongle: SerialLink | None = None
        route_b = setup.route_b
        if isinstance(route_b, DongleSetup):
            route_b = self.dongle = self._dongle(route_b)
        self.hems = HemsNetworks(
            setup.hems, self.engine, route_b, config.appliances, now, setup.appliance_links
        )
        self.recorder = Recorder(store, peer_key)
        self.runner = EngineRunner(
            self.engine, self.hems.route_b, setup.clock, on_events=self._on_events
        )
        if self.hems.gate is not None:
            self.hems.gate.on_wake = lambda: self.runner.dispatch([])
        self.monitors = [monitor for monitor, _ in self.hems.monitors]
        self.monitor_runners = [
            EngineRunner(
                monitor,
                link,
                setup.clock,
                on_events=self._appliance_events(ApplianceRecorder(store, peer_key), link),
            )
            for monitor, link in self.hems.monitors
        ]
        self.sinks: list[EventSink] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_status = 0.0
        self._last_tenth = -1

    @classmethod
    def open(cls, setup: ControllerSetup) -> Self:
        """Open the store (ConfigError when it cannot be used) and build the service."""
        store = Store.open(setup.db)
        try:
            return cls(setup, store)
        except BaseException:
            store.close()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.writer.close()
        self.store.close()

    def add_sink(self, sink: EventSink) -> None:
        """Hand every event to ``sink`` too, and run it with the controller (before
        :meth:`run`)."""
        self.sinks.append(sink)

    def command(self, key: str, eoj: Eoj, epc: int, edt: bytes) -> None:
        """SetC ``epc`` = ``edt`` on the appliance object ``eoj`` of the node whose store key
        is ``key``; the outcome comes to the sinks as an ``ApplianceCommanded`` event.

        Raises :class:`~hemsnet.errors.RequestNotAllowed` when no HEMS network knows the
        object, or the class table refuses the value."""
        for monitor, runner in zip(self.monitors, self.monitor_runners, strict=True):
            node = next((k for k, n in monitor.nodes.items() if peer_key(n.address) == key), None)
            if node is not None:
                runner.dispatch(monitor.command(node, eoj, epc, edt, self.setup.clock.now()))
                return
        raise RequestNotAllowed(f"no appliance {eoj} at {key} on the HEMS networks")

    def read(self, key: str, eoj: Eoj, epcs: tuple[int, ...]) -> None:
        """Get ``epcs`` of ``eoj`` at the node whose store key is ``key``; the answer comes to
        the sinks as an ``ApplianceRead`` event. ``RequestNotAllowed`` as for :meth:`command`."""
        for monitor, runner in zip(self.monitors, self.monitor_runners, strict=True):
            node = next((k for k, n in monitor.nodes.items() if peer_key(n.address) == key), None)
            if node is not None:
                runner.dispatch(monitor.read(node, eoj, epcs, self.setup.clock.now()))
                return
        raise RequestNotAllowed(f"no appliance {eoj} at {key} on the HEMS networks")

    def describe(self) -> str:
        """For the start line: ``; HEMS networks eth1, eth2`` (nothing without any)."""
        return self.hems.describe()

    def _dongle(self, dongle: DongleSetup) -> SerialLink:
        """The serial link, with the PAN given or kept from an earlier scan."""
        pan = dongle.pan
        kept = self.store.kept_pan()
        if pan is None and kept is not None:
            pan = KnownPan(*kept)
        store, writer, clock = self.store, self.writer, self.setup.clock

        def keep(found: PanDescription) -> None:
            at = clock.now()
            writer.submit(lambda: store.keep_pan(found.channel, found.pan_id, found.mac, at))

        return SerialLink(
            dongle.path,
            dongle.credentials,
            pan=pan,
            baud_rate=dongle.baud,
            notice=self._notice,
            on_pan=keep,
        )

    def _notice(self, notice: LinkNotice) -> None:
        report = self.setup.report
        if report is not None:
            report(f"hemsnet controller: {notice.text}")

    async def run(self, stop: asyncio.Event) -> None:
        """Run the controller until ``stop``; the store is written up to the last event before
        this returns."""
        self._loop = asyncio.get_running_loop()
        self.writer.start()
        services: list[Service] = [self.runner.run, *(r.run for r in self.monitor_runners)]
        services += [sink.run for sink in self.sinks]
        services.append(self._report_every)
        try:
            await run_together(services, stop)
        finally:
            self.writer.close()

    def status_line(self) -> str:
        """The status line now (call when the writer is idle or closed)."""
        view = StatusView.of(self.engine, self.monitors, self.writer.trouble())
        return view.line(self.store, self.recorder.meter_id)

    # --- inside ------------------------------------------------------------------------------

    def _on_events(self, events: Sequence[Event], now: datetime) -> None:
        recorder = self.recorder
        self.writer.submit(lambda: recorder.apply(events, now))
        for sink in self.sinks:
            sink.meter_events(events, now)
        if any(isinstance(event, MeterPaired) for event in events):
            self.writer.submit(lambda: self._restore(now))
        if any(isinstance(event, _NOTABLE) for event in events) or self._progressed(events):
            self._report()

    def _restore(self, now: datetime) -> None:
        """On the writer's thread: what the store holds, handed to the engine on the loop's."""
        config = self.setup.config
        held = self.recorder.held(
            now, days=config.history_days, minute_hours=config.minute_history_hours
        )
        loop = self._loop
        assert loop is not None
        loop.call_soon_threadsafe(self._restored, held)

    def _restored(self, held: Held) -> None:
        self.engine.restore(held)
        self.runner.dispatch([])

    def _writes_resumed(self, dropped: int) -> None:
        """On the writer's thread, when the store takes writes again: if batches were let go,
        the store is the truth again once the ones kept are written, and the recovery fetches
        what it lacks from the meter (C50)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._report)
        if dropped:
            now = self.setup.clock.now()
            self.writer.submit(lambda: self._resync(now))

    def _resync(self, now: datetime) -> None:
        config = self.setup.config
        held = self.recorder.held(
            now, days=config.history_days, minute_hours=config.minute_history_hours
        )
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._resynced, held)

    def _resynced(self, held: Held) -> None:
        self.engine.resync(held)
        self.runner.dispatch([])

    def _appliance_events(
        self, recorder: ApplianceRecorder, link: DatagramLink
    ) -> Callable[[Sequence[ApplianceEvent | FrameDiscarded], datetime], None]:
        network = link.iface.name if link.iface else "any interface"

        def on_events(events: Sequence[ApplianceEvent | FrameDiscarded], now: datetime) -> None:
            kept = [e for e in events if not isinstance(e, FrameDiscarded)]
            self.writer.submit(lambda: recorder.apply(kept, now))
            for sink in self.sinks:
                sink.appliance_events(kept, now)
            report = self.setup.report
            for event in kept:
                if isinstance(event, ApplianceFound | ApplianceLost) and report is not None:
                    state = "found" if isinstance(event, ApplianceFound) else "lost"
                    report(
                        f"hemsnet controller: appliance {event.eoj} ({class_name(event.eoj)}) "
                        f"at {event.address} on {network} {state}"
                    )

        return on_events

    def _progressed(self, events: Sequence[Event]) -> bool:
        """Whether a backfill moved on by a tenth (or finished), worth a status line."""
        for event in events:
            if isinstance(event, BackfillProgress) and event.total:
                tenth = 10 * event.done // event.total
                if tenth != self._last_tenth:
                    self._last_tenth = tenth
                    return True
        return False

    def _report(self) -> None:
        """A status line, composed on the writer's thread after the events before it."""
        self._last_status = time.monotonic()
        report = self.setup.report
        if report is None:
            return
        trouble = self.writer.trouble()
        view = StatusView.of(self.engine, self.monitors, trouble)
        store, recorder = self.store, self.recorder
        if trouble is not None:  # the writer is stuck: read the store here, reads still work
            report(view.line(store, recorder.meter_id))
            return
        self.writer.submit(lambda: report(view.line(store, recorder.meter_id)))

    async def _report_every(self, stop: asyncio.Event) -> None:
        every = self.setup.status_every
        self._report()
        while not stop.is_set():
            await wait_for_stop(stop, self._last_status + every - time.monotonic())
            if time.monotonic() - self._last_status >= every:
                self._report()
