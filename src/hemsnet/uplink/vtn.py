"""The provider's side of demand response: an OpenADR 2.0b VTN (openleadr) that registers the
customer's VEN, sends it one event and logs its opt-in or opt-out and its telemetry
(``hemsnet vtn``; docs/energy-management.md E11-E13). A stand-in for a utility's or an
aggregator's server in tests and demos, over plain HTTP without message signatures (E13).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from openleadr import OpenADRServer  # type: ignore[import-untyped]

__all__ = ["DrEventSpec", "Vtn"]

PATH = "/OpenADR2/Simple/2.0b"


@dataclass(frozen=True, slots=True)
class DrEventSpec:
    """One event: its signal, payload, and window (starting ``after`` from when it is made)."""

    signal_name: str
    signal_type: str
    payload: float
    after: timedelta
    duration: timedelta


class Vtn:
    """A VTN serving one VEN one event (module doc)."""

    def __init__(
        self,
        host: str,
        port: int,
        ven_name: str,
        event: DrEventSpec | None,
        poll: timedelta,
        report: Callable[[str], None],
    ) -> None:
        self.host, self.port = host, port
        self.ven_name = ven_name
        self.event = event
        self.poll = poll
        self.report = report
        self.telemetry: list[float] = []
        self.responses: list[str] = []

    async def run(self, stop: asyncio.Event) -> None:
        server = OpenADRServer(
            vtn_id="hemsnet-vtn",
            http_host=self.host,
            http_port=self.port,
            verify_message_signatures=False,
            show_fingerprint=False,
            show_server_cert_domain=False,
            requested_poll_freq=self.poll,
        )
        server.add_handler("on_create_party_registration", self._register)
        server.add_handler("on_register_report", self._register_report)
        if self.event is not None:
            start = datetime.now(UTC) + self.event.after
            server.add_event(
                ven_id=self.ven_name,
                signal_name=self.event.signal_name,
                signal_type=self.event.signal_type,
                intervals=[
                    {
                        "dtstart": start,
                        "duration": self.event.duration,
                        "signal_payload": self.event.payload,
                    }
                ],
                callback=self._response,
            )
        await server.run()
        try:
            await stop.wait()
        finally:
            await server.stop()

    def _register(self, info: dict[str, Any]) -> tuple[str, str] | bool:
        name = str(info.get("ven_name"))
        if name != self.ven_name:
            self.report(f"hemsnet vtn: refused the registration of VEN {name!r}")
            return False
        self.report(f"hemsnet vtn: VEN {name} registered")
        return name, f"registration-{name}"

    def _register_report(  # openleadr tells this form by its seven parameters
        self,
        ven_id: str,
        resource_id: str,
        measurement: str,
        unit: str,
        scale: str,
        min_sampling_interval: timedelta,
        max_sampling_interval: timedelta,
    ) -> tuple[Callable[[list[tuple[datetime, float]]], Any], timedelta]:
        self.report(f"hemsnet vtn: VEN {ven_id} offers {measurement} of {resource_id} in {unit}")
        # At the rate the VEN offers: one it cannot sample at gets reports without values.
        return partial(self._telemetry, ven_id, resource_id), min_sampling_interval

    async def _telemetry(
        self, ven_id: str, resource_id: str, values: list[tuple[datetime, float]]
    ) -> None:
        for _, value in values:
            if value is None:
                continue
            self.telemetry.append(float(value))
            self.report(f"hemsnet vtn: telemetry from {ven_id} {resource_id} {float(value):.0f} W")

    async def _response(self, ven_id: str, event_id: str, opt_type: str) -> None:
        self.responses.append(opt_type)
        self.report(f"hemsnet vtn: event {event_id} {opt_type} by {ven_id}")
