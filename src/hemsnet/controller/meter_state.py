"""What the controller has learnt about its meter, kept in one place.

Where the meter is and which object it is [AIF 3.1.1, 3.1.2], its attributes and the Get map
they include [AIF 3.1.3, 3.1.4], the scales of its readings, whether it reports a fault
[AIF 3.4.1], how far its clock is from the controller's, and how many days of history it keeps
(learnt from the first 0xE1 SetC_SNA [AIF 3.3.3]), and the properties it refuses though it
should serve them.

The meter's clock is learnt from the time stamp of 0xE2; a later reading that moves it by
more than a few minutes is believed only when the next one agrees (decision C49).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from hemsnet.controller.plan import MeterPlan, plan_of
from hemsnet.devices.codecs.readings import HISTORY_DAY_MAX
from hemsnet.devices.model import Access
from hemsnet.echonet.eoj import Eoj
from hemsnet.metering.attributes import MeterScales

__all__ = ["UNKNOWN_RETENTION", "MeterState"]

UNKNOWN_RETENTION: Final = HISTORY_DAY_MAX + 1  # until learnt, every E1 day may be held


@dataclass(slots=True)
class MeterState:
    """The meter as the controller knows it; ``address`` is set from the start when the
    meter is configured (``fixed``), else when it is found."""

    address: Hashable | None = None
    fixed: bool = False
    eoj: Eoj | None = None
    attributes: dict[int, bytes] = field(default_factory=dict)
    get_map: frozenset[int] = frozenset()
    scales: MeterScales = field(default_factory=lambda: MeterScales({}))  # its class's
    in_fault: bool = False
    offset: timedelta = timedelta()  # meter clock minus controller clock
    clock_known: bool = False  # whether offset was learnt from the meter's 0xE2
    step: timedelta | None = None  # a step of the meter's clock waiting for confirmation
    retained_days: int = UNKNOWN_RETENTION
    refused: set[int] = field(default_factory=set)  # not served, until the attributes again
    suspects: set[int] = field(default_factory=set)  # refused all at once: a fault, or not

    @property
    def paired(self) -> bool:
        return self.eoj is not None

    @property
    def plan(self) -> MeterPlan:
        """What to ask this meter's class for (C38)."""
        return plan_of(self.eoj)

    def readable(self, epc: int) -> bool:
        """Whether to ask for ``epc``: the meter's Get map lists it [AIF 3.1.3] (before the
        map is known, whether it is mandatory), and it has not refused it lately (C36)."""
        if epc in self.refused:
            return False
        if self.get_map:
            return epc in self.get_map
        definition = self.plan.table.get(epc)
        return definition is not None and definition.get is Access.MANDATORY
