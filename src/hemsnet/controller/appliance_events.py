"""What the appliance monitor reports to its runner: appliances found and lost, their power.

The monitor does no I/O; the runner drains :meth:`ApplianceMonitor.take_events` after every
call and writes each event to the store, in order.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime

from hemsnet.echonet.eoj import Eoj

__all__ = [
    "ApplianceCommanded",
    "ApplianceEvent",
    "ApplianceFound",
    "ApplianceLost",
    "AppliancePower",
    "ApplianceRead",
]


@dataclass(frozen=True, slots=True)
class ApplianceFound:
    """An object listed by a node's 0xD6 answer or 0xD5 announcement, or a node that answers
    again after it was marked unreachable."""

    address: Hashable
    eoj: Eoj


@dataclass(frozen=True, slots=True)
class ApplianceLost:
    """The node hosting the object missed too many polls in a row, or no longer lists it."""

    address: Hashable
    eoj: Eoj


@dataclass(frozen=True, slots=True)
class AppliancePower:
    """One poll's answer, at controller time ``at``: the power in W (signed for 0x027D/0x027E
    0xD3: + charging, - discharging) and 0x80; ``None`` where the object gave no valid value."""

    address: Hashable
    eoj: Eoj
    at: datetime
    watts: int | None
    operating: bool | None


@dataclass(frozen=True, slots=True)
class ApplianceCommanded:
    """The outcome of a Set a user asked for (:meth:`ApplianceMonitor.command`): ``accepted``
    when the object answered Set_Res, else ``reason`` says why not (SetC_SNA, no answer)."""

    address: Hashable
    eoj: Eoj
    epc: int
    accepted: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ApplianceRead:
    """The answer to a read asked for (:meth:`ApplianceMonitor.read`), e.g. the room
    temperature demand control keeps within its comfort band: the EDTs given, by EPC."""

    address: Hashable
    eoj: Eoj
    at: datetime
    values: tuple[tuple[int, bytes], ...]


ApplianceEvent = (
    ApplianceFound | ApplianceLost | AppliancePower | ApplianceCommanded | ApplianceRead
)
