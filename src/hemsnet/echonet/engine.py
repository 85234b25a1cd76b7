"""The contract every sans-I/O engine keeps with its runner, and how a peer's misbehaviour is told.

An engine is a node in its own time (the meter emulator, an appliance node, the Route B
controller, an appliance monitor, a client). It does no I/O and reads no clock: datagrams and
``now`` go in; datagrams to send (:class:`~hemsnet.echonet.send.Send`), events and the time of
its next wake-up come out. One runner (:mod:`hemsnet.aio.runner`) pumps any engine over any
datagram link, and a test pumps it in virtual time:

1. :meth:`Engine.announce` once the link is up: the start-up announcement (the 0xD5 instance
   list [AIF 3.1.1]). The runner asks again, with the same ``now`` or a later one, until all
   of it has left (an interface that is still coming up cannot send).
2. :meth:`Engine.advance` at once, and again whenever :meth:`Engine.next_wakeup` comes.
3. :meth:`Engine.receive` for every datagram, with its source and arrival time.
4. After each of those calls, :meth:`Engine.take_events` for what happened.

A :class:`~hemsnet.echonet.send.Send` with ``at`` set leaves at that time, not before. What a
peer does wrong (a malformed datagram, an answer to nothing asked, a frame from a node the
engine does not serve) is never an exception: it is a :class:`FrameDiscarded` event with its
kind and reason, which the runner logs and the consumer may count.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol, TypeVar

from hemsnet.echonet.send import Send

__all__ = ["Discard", "Engine", "FrameDiscarded"]

E_co = TypeVar("E_co", covariant=True)


class Engine(Protocol[E_co]):
    """A sans-I/O node: datagrams and ``now`` in; sends, events and the next wake-up out."""

    def announce(self, now: datetime) -> list[Send]:
        """The start-up announcement; may be asked again until all of it leaves."""
        ...

    def receive(self, data: bytes, source: Hashable, now: datetime) -> list[Send]:
        """One datagram from ``source``, arrived at ``now``."""
        ...

    def advance(self, now: datetime) -> list[Send]:
        """Time moved on to ``now``: do what is due."""
        ...

    def next_wakeup(self) -> datetime:
        """When :meth:`advance` has something to do next."""
        ...

    def take_events(self) -> Sequence[E_co]:
        """What happened since the last call, oldest first (often nothing: an empty tuple
        saves a list per datagram)."""
        ...


class Discard(Enum):
    """Why an engine dropped a datagram a peer sent."""

    MALFORMED = "malformed"  # not a valid ECHONET Lite frame
    UNSOLICITED = "unsolicited"  # a response to nothing this engine asked
    LATE = "late"  # a response to a request whose timer had run out [AIF 2.4.3]
    FOREIGN = "foreign"  # from a node this engine does not serve [G.9958 I.2]


@dataclass(frozen=True, slots=True)
class FrameDiscarded:
    """A datagram dropped because of what its sender did, with the reason for the log."""

    source: Hashable
    kind: Discard
    reason: str
    data: bytes
