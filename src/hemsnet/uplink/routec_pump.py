"""One step of the Route C uplink at a time: acks in, batches out, the outbox kept (sync).

:meth:`Pump.tick` takes the time and the link's state as inputs and does the outbox's I/O
itself (SQLite, on the caller's thread), so that the same code runs in the controller (on a
worker thread, :mod:`hemsnet.uplink.routec`) and in virtual time in the tests. In one tick:

1. the acks that came since the last tick are taken (hostile input: a bad one is one log line);
2. a watermark that moved is made durable, and the acknowledged records deleted;
3. the backlog bound is applied, at the first tick and every ``check_every`` seconds (U3);
4. while the broker is connected: overdue batches go again, and new ones fill the window;
5. progress, while connected (an outage is the link's one log line): ``uplink: 12,345 records
   to send`` at most every ``progress_every`` seconds while more than a window waits, and
   ``uplink: caught up`` once everything is acknowledged (U5).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Final

from hemsnet.store.outbox import Outbox
from hemsnet.uplink.routec_config import RouteCConfig
from hemsnet.uplink.routec_window import BatchWindow, parse_ack

__all__ = ["Pump"]

log = logging.getLogger(__name__)

CHECK_EVERY: Final = 60.0  # s between two applications of the backlog bound
PROGRESS_EVERY: Final = 60.0  # s at least between two progress lines


class Pump:
    """The uplink of one outbox: call :meth:`tick` often (every second, and on an ack)."""

    def __init__(
        self,
        outbox: Outbox,
        config: RouteCConfig,
        report: Callable[[str], None],
        *,
        check_every: float = CHECK_EVERY,
        progress_every: float = PROGRESS_EVERY,
    ) -> None:
        self.outbox = outbox
        self.config = config
        self.report = report
        self.check_every = check_every
        self.progress_every = progress_every
        self.window = BatchWindow(
            config.home,
            watermark=outbox.watermark(),
            size=config.window,
            batch_size=config.batch_size,
            ack_timeout=config.ack_timeout,
        )
        self.resent = 0  # batches sent again after their ack timeout
        self._saved = self.window.watermark  # the watermark on disk
        self._connection = 0
        self._next_check: float | None = None
        self._next_progress: float | None = None
        self._behind = False

    def tick(
        self,
        now: float,
        stamp: str,
        *,
        connection: int,
        acks: Sequence[bytes] = (),
        link_busy: bool = False,
    ) -> list[bytes]:
        """The batches to publish now. ``connection`` numbers the broker connection (0 while
        there is none); ``link_busy``: the link has not yet sent all it was given (a slow
        WAN), so no ack is overdue; ``stamp`` is the ``sent_at`` of new batches."""
        window = self.window
        for payload in acks:
            self._take_ack(payload, now)
        window.advance()
        if window.watermark > self._saved:  # again at the next tick if the disk said no
            self.outbox.acknowledge(window.watermark)
            self._saved = window.watermark
        if self._next_check is None or now >= self._next_check:
            self._next_check = now + self.check_every
            self._bound()
        out: list[bytes] = []
        if connection:
            if connection != self._connection or link_busy:
                window.restart_timers(now)  # the link (re)sends what it holds; time runs after
                self._connection = connection
            overdue = window.due(now)
            self.resent += len(overdue)
            out += [batch.payload for batch in overdue]
            while window.has_room:
                records = self.outbox.after(window.read_up_to, self.config.batch_size)
                if not records:
                    break
                out.append(window.take(records, now, stamp).payload)
            self._progress(now)
        return out

    def next_due(self) -> float | None:
        """When an ack falls due next (the caller's tick need not wait longer)."""
        return self.window.next_due()

    def _take_ack(self, payload: bytes, now: float) -> None:
        parsed = parse_ack(payload)
        problem = parsed if isinstance(parsed, str) else self.window.acknowledge(*parsed, now)
        if problem is not None:
            log.warning("uplink: ack ignored: %s", problem)

    def _bound(self) -> None:
        dropped = self.outbox.bound(self.config.max_backlog, self.window.read_up_to)
        if dropped is not None:
            self.report(
                f"uplink: more than {self.config.max_backlog:,} records wait for the provider: "
                f"dropped the {dropped.count:,} oldest (seq {dropped.first}..{dropped.last}), "
                "and told the provider so"
            )

    def _progress(self, now: float) -> None:
        window = self.window
        if not window.batches and self._behind:
            if not self.outbox.after(window.read_up_to, 1):
                self._behind = False
                self.report(f"uplink: caught up (acknowledged up to seq {window.watermark})")
            return
        if self._next_progress is not None and now < self._next_progress:
            return
        self._next_progress = now + self.progress_every
        waiting = self.outbox.backlog()
        if waiting > self.config.batch_size * self.config.window:
            self._behind = True
            self.report(f"uplink: {waiting:,} records to send")
