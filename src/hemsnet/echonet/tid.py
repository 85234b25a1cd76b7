"""Transaction ID allocation [AIF 2.4.3]: fresh, never one in flight, and unpredictable.

Every attempt gets a fresh TID: a timed-out request is never sent again under its TID, and a
TID is not reissued while a transaction holding it is in flight. A retired TID is not reissued
either until :data:`RETIRED_KEPT` other TIDs have retired after it, so that a late response
to it cannot match a newer request (at one request per 10 s that is 45 hours).

TIDs are drawn at random (``draw``; the runners pass the operating system's CSPRNG, tests a
seeded stream), not counted up: an attacker on the link who saw one TID cannot forge the
answer to the next request by guessing a window after it (docs/threat-model.md). Only when
the space runs short (every TID but a few in flight or cooling) does the oldest retired TID
become available again early.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Final

__all__ = ["RETIRED_KEPT", "TID_SPACE", "Draw", "TidAllocator", "TidExhausted"]

TID_SPACE: Final = 0x10000
RETIRED_KEPT: Final = 16_384
#: Rejection sampling stays cheap while a quarter of the space is free; below, a scan.
_SAMPLE_WHILE_FREE: Final = TID_SPACE // 4

#: An integer in [0, n): ``secrets.randbelow``, or a seeded stream's in tests.
Draw = Callable[[int], int]


class TidExhausted(RuntimeError):
    """All 65 536 TIDs are in flight: the caller leaked transactions."""


class TidAllocator:
    """Issues TIDs for the transactions of one node (shared by every lane of a socket)."""

    def __init__(self, draw: Draw) -> None:
        self._draw = draw
        self._in_flight: set[int] = set()
        self._retired: set[int] = set()
        self._retired_order: deque[int] = deque()

    def allocate(self) -> int:
        """A TID that no in-flight transaction holds and that did not retire lately; it stays
        held until released."""
        if len(self._in_flight) >= TID_SPACE:
            raise TidExhausted("every TID is in flight")
        while self._retired_order and TID_SPACE - self._unavailable() < 1:
            self._forget_oldest()
        if TID_SPACE - self._unavailable() >= _SAMPLE_WHILE_FREE:
            tid = self._draw(TID_SPACE)
            while self._taken(tid):
                tid = self._draw(TID_SPACE)
        else:  # few left: the first free one from a random place
            tid = self._draw(TID_SPACE)
            while self._taken(tid):
                tid = (tid + 1) % TID_SPACE
        self._in_flight.add(tid)
        return tid

    def release(self, tid: int) -> None:
        """Retire a TID (answered or timed out); it cools off before it is reissued."""
        if tid not in self._in_flight:
            return
        self._in_flight.discard(tid)
        self._retired.add(tid)
        self._retired_order.append(tid)
        if len(self._retired_order) > RETIRED_KEPT:
            self._forget_oldest()

    def in_flight(self, tid: int) -> bool:
        return tid in self._in_flight

    @property
    def outstanding(self) -> int:
        return len(self._in_flight)

    def _taken(self, tid: int) -> bool:
        return tid in self._in_flight or tid in self._retired

    def _unavailable(self) -> int:
        return len(self._in_flight) + len(self._retired)

    def _forget_oldest(self) -> None:
        self._retired.discard(self._retired_order.popleft())
