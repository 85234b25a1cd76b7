"""Transaction ID allocation [AIF 2.4.3].

Every attempt gets a fresh TID: a timed-out request is never sent again under its TID, and a
TID is not reissued while a transaction holding it is in flight. TIDs are drawn in sequence
(wrapping at 0xFFFF), so a retired TID comes back only after 65 535 others, which keeps a late
response to it from matching a newer request.
"""

from __future__ import annotations

from typing import Final

__all__ = ["TidAllocator", "TidExhausted"]

_TID_SPACE: Final = 0x10000


class TidExhausted(RuntimeError):
    """All 65 536 TIDs are in flight: the caller leaked transactions."""


class TidAllocator:
    def __init__(self, start: int = 0) -> None:
        if not 0 <= start < _TID_SPACE:
            raise ValueError(f"start TID {start} is outside 0..65535")
        self._next = start
        self._in_flight: set[int] = set()

    def allocate(self) -> int:
        """A TID that no in-flight transaction holds; it stays held until released."""
        if len(self._in_flight) >= _TID_SPACE:
            raise TidExhausted("every TID is in flight")
        tid = self._next
        while tid in self._in_flight:
            tid = (tid + 1) % _TID_SPACE
        self._next = (tid + 1) % _TID_SPACE
        self._in_flight.add(tid)
        return tid

    def release(self, tid: int) -> None:
        """Retire a TID (answered or timed out); it is not handed out again for a long while."""
        self._in_flight.discard(tid)

    def in_flight(self, tid: int) -> bool:
        return tid in self._in_flight

    @property
    def outstanding(self) -> int:
        return len(self._in_flight)
