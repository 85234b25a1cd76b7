"""Response-wait timers of a requester [AIF 2.4.2, Table 2-5].

Timer 1 (at least 40 s) applies to a request with OPC = 1 whose EPC is not a history EPC;
timer 2 (at least 180 s) to a request with OPC >= 2 or any history EPC. Which EPCs are history
EPCs is class data (``ClassDef.history_epcs``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

__all__ = ["TIMER_1_MIN", "TIMER_2_MIN", "needs_timer_2", "response_wait"]

TIMER_1_MIN: Final = 40.0
TIMER_2_MIN: Final = 180.0


def needs_timer_2(epcs: Collection[int], history_epcs: Collection[int]) -> bool:
    return len(epcs) >= 2 or any(epc in history_epcs for epc in epcs)


def response_wait(
    epcs: Collection[int],
    history_epcs: Collection[int],
    *,
    timer_1: float = TIMER_1_MIN,
    timer_2: float = TIMER_2_MIN,
) -> float:
    """The seconds to wait for the response to a request for ``epcs``."""
    return timer_2 if needs_timer_2(epcs, history_epcs) else timer_1
