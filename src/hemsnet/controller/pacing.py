"""How often the controller asks its meter, and how it batches what it asks, by what it sees.

* :class:`Pacer`: a token bucket that keeps the average request rate within one per ``pace``
  seconds. Utility meters are sized for up to three controllers asking once per 10 s, 30 s
  and 30 min, best effort [AIF 2.4.1 note]; the controller is the 10 s one at most (C32).
* :class:`RateMeter`: the requests sent in the last hour, for the status line.
* :class:`LinkQuality`: the share of requests the meter answered lately. A request that gets
  no answer costs its whole response-wait timer, 40 s for one property and 180 s for several
  or a history EPC [AIF 2.4.2, Table 2-5]; :meth:`LinkQuality.prefers_singles` weighs one
  request of several properties against one request each by the waits they are expected to
  cost at the observed loss (C33).
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from typing import Final

__all__ = ["LinkQuality", "Pacer", "RateMeter"]

_HOUR: Final = timedelta(hours=1)
_WINDOW: Final = 20  # outcomes the loss is estimated over: about three minutes of polls
_LEAST_SUCCESS: Final = 0.05  # a dead link still costs finite waits


class Pacer:
    """At most ``burst`` requests at once, and on average one per ``pace`` seconds."""

    def __init__(self, pace: float, burst: int, now: datetime) -> None:
        self.pace = pace
        self.burst = burst
        self._tokens = float(burst)
        self._at = now

    def ready_at(self, now: datetime) -> datetime:
        """When the next request may go (``now`` or later)."""
        if self.pace <= 0:
            return now
        tokens = self._tokens_at(now)
        if tokens >= 1:
            return now
        return now + timedelta(seconds=(1 - tokens) * self.pace)

    def take(self, now: datetime) -> None:
        """A request went at ``now``."""
        if self.pace <= 0:
            return
        self._tokens = self._tokens_at(now) - 1
        self._at = now

    def _tokens_at(self, now: datetime) -> float:
        earned = max((now - self._at).total_seconds(), 0.0) / self.pace
        return min(self._tokens + earned, float(self.burst))


class RateMeter:
    """The requests sent in the hour before now."""

    def __init__(self) -> None:
        self._sent: deque[datetime] = deque()

    def note(self, at: datetime) -> None:
        self._sent.append(at)

    def per_hour(self, now: datetime) -> int:
        sent = self._sent
        while sent and sent[0] <= now - _HOUR:
            sent.popleft()
        return len(sent)


class LinkQuality:
    """How many of the latest requests the meter answered."""

    def __init__(self) -> None:
        self._outcomes: deque[bool] = deque(maxlen=_WINDOW)

    def note(self, answered: bool) -> None:
        self._outcomes.append(answered)

    @property
    def success(self) -> float:
        """The estimated chance that a request is answered (1 before any outcome)."""
        answered = sum(self._outcomes)
        # One answer assumed beforehand: a single timeout does not make the link look dead.
        return max((answered + 1) / (len(self._outcomes) + 1), _LEAST_SUCCESS)

    def prefers_singles(self, count: int, *, pace: float, timer_1: float, timer_2: float) -> bool:
        """Whether ``count`` properties cost less asked one per request than together.

        Each request takes a paced slot per attempt and, when it goes unanswered, its timer:
        one property waits timer 1, several wait timer 2 [AIF Table 2-5]. With ``q`` the
        chance of an answer, a request needs ``1/q`` attempts, ``1/q - 1`` of them lost.
        """
        if count < 2:
            return False
        q = self.success
        lost = (1 - q) / q
        slot = pace / q
        one = slot + lost * timer_1
        together = slot + lost * timer_2
        return count * one < together
