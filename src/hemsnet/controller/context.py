"""What a procedure of AIF chapter 3 may ask of the controller engine, and set.

Procedures (:mod:`hemsnet.controller.procedures`) see the engine only through
:class:`Context`, so that they cannot reach into its task list or its request lane, and the
engine can import them without a cycle. What the controller has learnt about the meter is one
:class:`~hemsnet.controller.meter_state.MeterState`, which procedures read and update.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import date, datetime, timedelta
from typing import Protocol, TypeVar

from hemsnet.controller.config import ControllerConfig
from hemsnet.controller.coverage import Coverage
from hemsnet.controller.events import Event
from hemsnet.controller.meter_state import MeterState
from hemsnet.controller.requests import Answer
from hemsnet.controller.tasks import Priority, Procedure
from hemsnet.devices.model import PropertyDef
from hemsnet.devices.values import FaultStatus
from hemsnet.echonet.eoj import Eoj
from hemsnet.metering.samples import Sample
from hemsnet.metering.series import Source

__all__ = ["Context"]

T = TypeVar("T")


class Context(Protocol):
    """The engine as its procedures see it."""

    @property
    def config(self) -> ControllerConfig: ...

    @property
    def meter(self) -> MeterState: ...

    @property
    def coverage(self) -> Coverage: ...

    @property
    def history_known(self) -> bool:
        """Whether the coverage includes what the store held when the meter was paired."""
        ...

    @property
    def now(self) -> datetime:
        """Controller time."""
        ...

    @property
    def meter_now(self) -> datetime:
        """The meter's clock, as estimated from its time stamps."""
        ...

    def at_meter_time(self, meter_time: datetime) -> datetime:
        """The controller time when the meter's clock shows ``meter_time``."""
        ...

    def day_offset(self, day: date) -> int:
        """The 0xE1 value that selects ``day``: 0 is the meter's today."""
        ...

    def backoff(self, failures: int) -> timedelta:
        """The wait before history retry ``failures`` [AIF 3.3.3]."""
        ...

    def emit(self, event: Event) -> None: ...

    def spawn(
        self, name: str, priority: Priority, procedure: Procedure, *, measurement: bool = True
    ) -> None:
        """Start a task, unless one of that name is running."""
        ...

    def wake(self, name: str) -> None:
        """Resume the sleeping task ``name`` now."""
        ...

    def pair(self, address: Hashable, eoj: Eoj) -> None: ...

    def take_values(
        self,
        values: dict[int, bytes],
        source: Source,
        *,
        day: date | None = None,
        evidence: bytes = b"",
    ) -> list[Sample]:
        """Record the readings among ``values`` (EPC -> EDT) that pass the checks; returns
        what was recorded. ``evidence`` is the frame they came in, kept with a rejection."""
        ...

    def decode(self, row: PropertyDef[T], edt: bytes) -> T | None:
        """The value of an EDT of the meter by its row; ``None`` (and a warning) when the row
        refuses it."""
        ...

    def attributes_read(self) -> None:
        """The attributes were (re)read: scale with them from now on."""
        ...

    def fault_status(self, status: FaultStatus) -> None: ...

    def suspect_fault(self, answer: Answer) -> None:
        """Every measurement of ``answer`` was refused: ask 0x88 whether the meter is in
        fault; if not, it does not serve them. An answer that came during a known fault is
        explained by it."""
        ...

    def refuse(self, epc: int, why: str) -> None:
        """The meter refused ``epc`` in good health: recorded absent, and not asked again
        until the attributes are read again (C36)."""
        ...

    def batches(self, epcs: Sequence[int]) -> list[tuple[int, ...]]:
        """``epcs`` in requests: history EPCs alone [AIF 2.4.4], the rest together up to
        ``max_opc``, or one each when the loss the link shows makes that cheaper (C33)."""
        ...

    def backfill_started(self, days: int) -> None: ...

    def backfill_progress(self, done: int, day: date | None) -> None: ...
