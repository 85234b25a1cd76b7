"""What a procedure yields, and the order in which runnable tasks get the request lane.

A procedure (:mod:`hemsnet.controller.procedures`) is a generator: it yields a
:class:`~hemsnet.controller.requests.Request` and is sent back its answer, or yields a
:class:`Sleep`. The engine (:mod:`hemsnet.controller.engine`) runs procedures as tasks.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from hemsnet.controller.requests import Answer, Request

__all__ = ["Priority", "Procedure", "Sleep", "Step"]


@dataclass(frozen=True, slots=True)
class Sleep:
    """A procedure's pause: resume it at ``until`` (controller time), or when woken."""

    until: datetime


Step = Request | Sleep
Procedure = Generator[Step, Answer | None, None]


class Priority(IntEnum):
    """Which runnable task sends next when the lane frees: lower first, but the live plan and
    the history take turns when both are ready (:attr:`takes_turns`, C34)."""

    STARTUP = 0  # search, attributes [AIF 3.1]
    FAULT = 1  # Get 0x88 while a fault is suspected [AIF 3.4.1]
    SCHEDULED = 2  # E3/C3/CB at :05/:35 [AIF 3.3.1]
    LIVE = 3  # EA EB, D0, E2 E4 CA C1: what is due, in one request [AIF 3.3.2, 3.3.4]
    HISTORY = 4  # E1 + E7.. and EF + ED backfill [AIF 3.3.3, 3.3.5]

    @property
    def takes_turns(self) -> bool:
        return self in (Priority.LIVE, Priority.HISTORY)
