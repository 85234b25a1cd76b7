"""Datagrams in flight on a virtual link, for the simulations of the controller's engines."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable, Iterable, Iterator
from datetime import datetime


class InFlight:
    """Datagrams, each delivered at its arrival time; those arriving together, in sent order."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, Hashable, bytes, Hashable]] = []
        self._seq = itertools.count()

    def push(self, at: datetime, to: Hashable, data: bytes, source: Hashable) -> None:
        heapq.heappush(self._heap, (at, next(self._seq), to, data, source))

    def due(self, now: datetime) -> Iterator[tuple[Hashable, bytes, Hashable]]:
        """``(to, data, source)`` of every datagram arrived by ``now``, pushed ones included."""
        while self._heap and self._heap[0][0] <= now:
            _, _, to, data, source = heapq.heappop(self._heap)
            yield to, data, source

    def next_stop(self, wakes: Iterable[datetime], now: datetime) -> datetime:
        """The earliest of ``wakes`` and the next arrival, but not before ``now``."""
        arrivals = [self._heap[0][0]] if self._heap else []
        return max(min([*wakes, *arrivals]), now)
