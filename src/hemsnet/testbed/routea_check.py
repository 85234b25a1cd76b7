"""Is the head-end collecting the meter over the utility network? Look in its MDMS.

The MDMS file is new at every ``up``, so any 30-minute reading in it proves Route A's whole
path: the head-end's requests across the utility network, the meter's answers on its second
interface (H21) to a peer it serves (H22), and the MDMS's storage [G.9958 I.1(1), 6.2(2)].
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from hemsnet.routea.headend.store import MdmsStore

__all__ = ["HeadEndData", "wait_for_headend_data"]

_POLL: Final = 0.25


@dataclass(slots=True)
class HeadEndData:
    """The meter the head-end collects, and what its MDMS holds of it so far."""

    meter_id: str
    half_hours: int = 0
    latest: datetime | None = None

    def report(self) -> str:
        if self.latest is None:
            return f"Route A: nothing from meter {self.meter_id} at the head-end since up"
        plural = "" if self.half_hours == 1 else "s"
        return (f"Route A: {self.half_hours} half-hour{plural} of meter {self.meter_id} at the "
                f"head-end (latest {self.latest:%Y-%m-%d %H:%M})")  # fmt: skip


def wait_for_headend_data(db: Path, data: HeadEndData, seconds: float) -> HeadEndData:
    """Poll the MDMS until it holds a reading of the meter, or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        if db.exists():  # MdmsStore would create it
            with MdmsStore(db) as store:
                data.half_hours, data.latest = store.half_hours(data.meter_id)
        if data.latest is not None or time.monotonic() > deadline:
            return data
        time.sleep(_POLL)  # polling the MDMS for the condition
