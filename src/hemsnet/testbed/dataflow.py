"""Is the controller really reading the meter and the appliances? Look in its store.

The controller writes what it reads into SQLite; a meter power reading (EA) or an appliance
power reading that arrived after ``up`` started proves the whole path: discovery, requests
across the testbed's links and the firewall, answers, storage [G.9958 6.3.1(2), 6.4.2(2)];
where the appliances share the meter's network (6.3.2, 6.4.1), over the one socket the
controller uses for both.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Final

from hemsnet.metering.series import Series
from hemsnet.store import Store

__all__ = ["DataFlow", "wait_for_data"]

_POLL: Final = 0.25


class DataFlow:
    """What the controller is expected to read, and what its store shows so far."""

    def __init__(
        self, since: datetime, meter: Sequence[str], appliances: Mapping[str, Sequence[str]]
    ) -> None:
        self.since = since
        self.meter = meter  # the meter's addresses ([] when the controller has none to read)
        self.appliances = appliances  # component -> its addresses
        self.seen: dict[str, datetime] = {}  # "meter" or appliance component -> latest arrival

    @property
    def missing(self) -> list[str]:
        wanted = (["meter"] if self.meter else []) + list(self.appliances)
        return [name for name in wanted if name not in self.seen]

    def look(self, store: Store) -> None:
        if self.meter:
            for meter in store.meters():
                latest = store.latest(meter.id, Series.POWER) if meter.key in self.meter else None
                if latest is not None and latest.arrived_at >= self.since:
                    self.seen["meter"] = latest.arrived_at
        for appliance in store.appliances():
            for component, addresses in self.appliances.items():
                if appliance.key not in addresses:
                    continue
                reading = store.latest_appliance_power(appliance.id)
                if reading is not None and reading.arrived_at >= self.since:
                    self.seen[component] = reading.arrived_at

    def report(self) -> list[str]:
        lines = [f"controller store: {name} read, latest at {at:%H:%M:%S}" for name, at in
                 sorted(self.seen.items())]  # fmt: skip
        lines += [f"controller store: nothing from {name} since up" for name in self.missing]
        return lines


def wait_for_data(db: Path, flow: DataFlow, seconds: float) -> DataFlow:
    """Poll the store until everything expected has arrived, or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        if db.exists():  # Store.open would create it
            with Store.open(db) as store:
                flow.look(store)
        if not flow.missing or time.monotonic() > deadline:
            return flow
        time.sleep(_POLL)  # polling the store for the condition
