"""Transaction ID allocation [AIF 2.4.3].

Every attempt gets a fresh TID: a timed-out request is never sent again under its TID, and a
TID is not reissued while a transaction holding it is in flight. TIDs are drawn in sequence
from a cursor that wraps at 0xFFFF, skipping those in flight.

A retired TID is not reissued soon after its release, so that a late response to it cannot
match a newer request: a TID released when the cursor would reach it within half the TID
space (it was held while the cursor went round) is skipped once, the next time the cursor
passes it. Every released TID is therefore reissued only after the cursor has moved on by at
least 32 768 TIDs, unless every other TID is in flight.
"""

from __future__ import annotations

from typing import Final

__all__ = ["TID_SPACE", "TidAllocator", "TidExhausted"]

TID_SPACE: Final = 0x10000
_COOLING_DISTANCE: Final = TID_SPACE // 2


class TidExhausted(RuntimeError):
    """All 65 536 TIDs are in flight: the caller leaked transactions."""


class TidAllocator:
    def __init__(self, start: int = 0) -> None:
        if not 0 <= start < TID_SPACE:
            raise ValueError(f"start TID {start} is outside 0..65535")
        self._next = start
        self._in_flight: set[int] = set()
        self._cooling: set[int] = set()

    def allocate(self) -> int:
        """A TID that no in-flight transaction holds; it stays held until released."""
        if len(self._in_flight) >= TID_SPACE:
            raise TidExhausted("every TID is in flight")
        tid = self._next
        # Two laps at most: the first pass clears every cooling TID it meets.
        while tid in self._in_flight or tid in self._cooling:
            self._cooling.discard(tid)
            tid = (tid + 1) % TID_SPACE
        self._next = (tid + 1) % TID_SPACE
        self._in_flight.add(tid)
        return tid

    def release(self, tid: int) -> None:
        """Retire a TID (answered or timed out); see the module docstring for its reuse."""
        if tid not in self._in_flight:
            return
        self._in_flight.discard(tid)
        if (tid - self._next) % TID_SPACE < _COOLING_DISTANCE:
            self._cooling.add(tid)

    def in_flight(self, tid: int) -> bool:
        return tid in self._in_flight

    @property
    def outstanding(self) -> int:
        return len(self._in_flight)
