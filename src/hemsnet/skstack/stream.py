"""The contract of an engine over a byte stream: a serial line, not datagrams.

The SKSTACK driver and the dongle emulator keep the shape of the datagram engines
(:mod:`hemsnet.echonet.engine`): no I/O, no clock; bytes and ``now`` in; the bytes to write,
events and the next wake-up out. A serial line has no datagram boundaries and one peer, so
there is no source and the output is one byte string.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar

__all__ = ["StreamEngine"]

E_co = TypeVar("E_co", covariant=True)


class StreamEngine(Protocol[E_co]):
    """A sans-I/O end of a byte stream."""

    def start(self, now: datetime) -> bytes:
        """The stream is open: what to write first."""
        ...

    def receive(self, data: bytes, now: datetime) -> bytes:
        """Bytes read from the stream at ``now``; what to write back."""
        ...

    def advance(self, now: datetime) -> bytes:
        """Time moved on to ``now``: what is due."""
        ...

    def next_wakeup(self) -> datetime:
        """When :meth:`advance` has something to do next."""
        ...

    def take_events(self) -> Sequence[E_co]:
        """What happened since the last call, oldest first."""
        ...
