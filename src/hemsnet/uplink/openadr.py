"""The controller as an OpenADR 2.0b VEN (openleadr): the provider's demand-response events
become targets of the demand plan during their windows, and the meter's power goes back as
telemetry [G.9958 I.1(3)] (docs/energy-management.md E11-E13).

* **Events.** Each event's first signal and its intervals: :func:`dr_target` turns the signal
  into a target in kW; during each interval's window (wall-clock time, as the VTN sends it)
  the demand controller's target is lowered to it, and raised back after. The event is stored
  (``dr_event``) and answered ``optIn``, or ``optOut`` when ``[openadr] opt = "out"``, there is
  no demand plan to act with, or the signal is none the controller can act on.
* **Telemetry.** A ``TELEMETRY_USAGE`` report of ``RealPower`` (W): the meter's newest
  instantaneous power (0xE7), at the rate the VTN asks.
* It is an :class:`~hemsnet.aio.controller_service.EventSink`: it only keeps the newest power
  on the loop's thread; the HTTP exchanges run in :meth:`run`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Final

from openleadr import OpenADRClient  # type: ignore[import-untyped]

from hemsnet.aio.clock import wait_for_stop
from hemsnet.aio.controller_service import ControllerService
from hemsnet.aio.demand_service import DemandService
from hemsnet.controller.appliance_events import ApplianceEvent
from hemsnet.controller.events import Event, Recorded
from hemsnet.metering.series import Series
from hemsnet.uplink.openadr_config import OpenAdrConfig, dr_target

__all__ = ["Ven", "attach_ven"]

log = logging.getLogger(__name__)

_RETRY_FIRST: Final = 2.0  # s before registering again with a VTN that did not answer
_RETRY_MAX: Final = 60.0


def _local(at: datetime) -> datetime:
    """A VTN's UTC time as the local wall time the store keeps."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone().replace(tzinfo=None)


class Ven:
    """One VEN for one controller (module doc)."""

    def __init__(
        self,
        service: ControllerService,
        demand: DemandService | None,
        config: OpenAdrConfig,
        report: Callable[[str], None] | None = None,
    ) -> None:
        assert config.vtn_url is not None
        self.service = service
        self.demand = demand
        self.config = config
        self.power_w: float | None = None
        self._powered = asyncio.Event()  # set at the first power reading
        self._report = report
        self._timers: list[asyncio.TimerHandle] = []

    # --- EventSink -----------------------------------------------------------------------

    def meter_events(self, events: Sequence[Event], now: datetime) -> None:
        for event in events:
            if isinstance(event, Recorded):
                for sample in event.samples:
                    if sample.series is Series.POWER and sample.value is not None:
                        self.power_w = float(sample.value)
                        self._powered.set()

    def appliance_events(self, events: Sequence[ApplianceEvent], now: datetime) -> None:
        pass

    async def run(self, stop: asyncio.Event) -> None:
        """Register with the VTN once the meter's power is known (a telemetry report without a
        value is one the VTN cannot read, E13), again after a back-off while it cannot be
        reached, then let openleadr poll it until ``stop``."""
        wait = _RETRY_FIRST
        client = None
        if self.power_w is not None:
            self._powered.set()
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait(
            [stopping, asyncio.ensure_future(self._powered.wait())],
            return_when=asyncio.FIRST_COMPLETED,
        )
        stopping.cancel()
        try:
            while not stop.is_set():
                client = self._client()
                await client.run()  # returns once registered and polling, or having given up
                if client.registration_id:
                    if self._report is not None:
                        self._report(
                            f"hemsnet controller: OpenADR VEN registered with {self.config.vtn_url}"
                        )
                    await stop.wait()
                    break
                log.info("the VTN %s did not register us; again in %g s", self.config.vtn_url, wait)
                client = None
                await wait_for_stop(stop, wait)
                wait = min(wait * 2, _RETRY_MAX)
        finally:
            for timer in self._timers:
                timer.cancel()
            if client is not None:
                await client.stop()

    def _client(self) -> Any:
        client = OpenADRClient(
            ven_name=self.config.ven_name,
            vtn_url=self.config.vtn_url,
            allow_jitter=False,
            show_fingerprint=False,
        )
        client.add_handler("on_event", self.on_event)
        client.add_report(
            callback=self._telemetry,
            resource_id="meter",
            measurement="RealPower",
            unit="W",
            sampling_rate=timedelta(seconds=10),
        )
        return client

    # --- the VTN's events ------------------------------------------------------------------

    async def on_event(self, event: dict[str, Any]) -> str:
        """openleadr's handler: schedule the event's windows; ``optIn`` or ``optOut``. What the
        VTN sent is hostile: a malformed event is declined, never raised."""
        try:
            return self._take(event)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            log.info("an OpenADR event the controller cannot read: %s", exc)
            return "optOut"

    def _take(self, event: dict[str, Any]) -> str:
        event_id = str(event["event_descriptor"]["event_id"])
        signal = event["event_signals"][0]
        name, kind = str(signal["signal_name"]), str(signal["signal_type"])
        demand = self.demand
        plan_kw = demand.control.plan.target_kw if demand is not None else 0.0
        received = datetime.now()
        opt = "optIn"
        for interval in signal["intervals"]:
            payload = float(interval["signal_payload"])
            target = dr_target(name, kind, payload, plan_kw)
            if target is None or demand is None or self.config.opt == "out":
                opt = "optOut"
            start = _local(interval["dtstart"])
            end = start + interval["duration"]
            store = self.service.store
            self.service.writer.submit(
                partial(
                    store.record_dr_event,
                    event_id,
                    f"{name}/{kind}",
                    payload,
                    target,
                    (start, end),
                    opt,
                    received,
                )
            )
            if opt == "optIn" and target is not None:
                self._schedule(start, end, target)
        if self._report is not None:
            self._report(f"hemsnet controller: OpenADR event {event_id} {name} {kind}: {opt}")
        return opt

    def _schedule(self, start: datetime, end: datetime, target: float) -> None:
        loop = asyncio.get_running_loop()
        now = datetime.now()
        begin = max((start - now).total_seconds(), 0.0)
        finish = (end - now).total_seconds()
        if finish <= 0:
            return
        self._timers.append(loop.call_later(begin, self._set_target, target))
        self._timers.append(loop.call_later(finish, self._set_target, None))

    def _set_target(self, target: float | None) -> None:
        demand = self.demand
        if demand is None:
            return
        demand.control.dr_target_kw = target
        if self._report is not None:
            what = "ended" if target is None else f"target {target:g} kW"
            self._report(f"hemsnet controller: demand response {what}")

    def _telemetry(self) -> list[tuple[datetime, float]]:
        return [] if self.power_w is None else [(datetime.now(UTC), self.power_w)]


def attach_ven(
    service: ControllerService,
    demand: DemandService | None,
    config: OpenAdrConfig,
    report: Callable[[str], None] | None = None,
) -> Ven:
    ven = Ven(service, demand, config, report)
    service.add_sink(ven)
    return ven
