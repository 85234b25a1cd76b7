"""Writes what an appliance monitor reports to the store.

Appliances found become ``appliance`` rows (reachable), lost ones are marked unreachable, and
the power polls of one monitor call go in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import datetime

from hemsnet.controller.appliance_events import (
    ApplianceEvent,
    ApplianceFound,
    ApplianceLost,
    AppliancePower,
)
from hemsnet.devices.registry import class_def
from hemsnet.echonet.eoj import Eoj
from hemsnet.store.model import ApplianceReading
from hemsnet.store.store import Store

__all__ = ["ApplianceRecorder", "class_name"]


def class_name(eoj: Eoj) -> str:
    """The class's name from hemsnet's tables, or its code when hemsnet has no table for it."""
    table = class_def(eoj.class_id)
    return table.name if table is not None else f"class 0x{eoj.class_id:04X}"


class ApplianceRecorder:
    """Applies an :class:`~hemsnet.controller.appliances.ApplianceMonitor`'s events to a
    :class:`Store`; ``key_of`` names a node in the store (its address without port or scope)."""

    def __init__(self, store: Store, key_of: Callable[[Hashable], str] = str) -> None:
        self.store = store
        self.key_of = key_of
        self._ids: dict[tuple[str, Eoj], int] = {}

    def apply(self, events: Iterable[ApplianceEvent], now: datetime) -> None:
        readings: list[ApplianceReading] = []
        for event in events:
            if isinstance(event, ApplianceFound):
                self._found(event.address, event.eoj, now)
            elif isinstance(event, ApplianceLost):
                self.store.appliance_lost(self._id(event.address, event.eoj, now))
            elif isinstance(event, AppliancePower):
                appliance_id = self._id(event.address, event.eoj, now)
                readings.append(
                    ApplianceReading(appliance_id, event.at, event.watts, event.operating, now)
                )
        if readings:
            self.store.record_appliance_power(readings)

    def _found(self, address: Hashable, eoj: Eoj, now: datetime) -> int:
        key = self.key_of(address)
        appliance_id = self.store.appliance(
            key, str(address), str(eoj), now, class_name=class_name(eoj)
        )
        self._ids[key, eoj] = appliance_id
        return appliance_id

    def _id(self, address: Hashable, eoj: Eoj, now: datetime) -> int:
        known = self._ids.get((self.key_of(address), eoj))
        return known if known is not None else self._found(address, eoj, now)
