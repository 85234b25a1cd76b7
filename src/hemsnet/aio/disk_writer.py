"""Writes to disk on a thread of their own, so that a slow or full disk never stalls the loop.

A store commit waits for an fsync (docs/storage.md), and so does the meter's state file; that
takes milliseconds on a good disk and much longer on a busy SD card, and on the event loop's
thread it would hold every datagram, the response-wait timers and the dashboard behind it.
The services hand each batch of work to :meth:`DiskWriter.submit`; one thread runs them in the
order given. ``close`` runs what is queued before it returns, so a clean stop loses nothing;
after a crash, what the store lacks is what the controller fetches again (its gap recovery
reads the store at start).

When the disk is full (or the file turns read-only, or the device fails) a job fails with a
:class:`sqlite3.OperationalError`: the writer keeps it and everything after it, says so once,
tries it again every :data:`RETRY_EVERY` seconds and catches up when the disk takes writes
again (decision C50). The queue is bounded: beyond :data:`MAX_WAITING` jobs the oldest waiting
ones are let go and the owner is told, so that it can take what the store really holds as the
truth again and fetch the rest from the meter's history.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from hemsnet.errors import HemsnetError

__all__ = ["MAX_WAITING", "RETRY_EVERY", "DiskWriter", "WriterTrouble"]

log = logging.getLogger(__name__)

Job = Callable[[], None]

#: Jobs kept while the disk refuses writes: a controller submits a few a minute (one per batch
#: of events), so this holds days of them within a few tens of megabytes.
MAX_WAITING: Final = 20_000
RETRY_EVERY: Final = 5.0  # seconds between attempts at a job the disk refused


@dataclass(frozen=True, slots=True)
class WriterTrouble:
    """What the writer is up against: ``None`` from :meth:`DiskWriter.trouble` when all is
    well."""

    reason: str  # the database's own words, e.g. "database or disk is full"
    waiting: int  # jobs kept until the disk takes writes again
    dropped: int  # jobs let go since the trouble began (the queue was full)


class DiskWriter:
    """Runs disk jobs in order on one thread; keeps them while the disk refuses them."""

    def __init__(
        self,
        name: str = "hemsnet-disk",
        *,
        max_waiting: int = MAX_WAITING,
        retry_every: float = RETRY_EVERY,
        on_recovered: Callable[[int], None] | None = None,
    ) -> None:
        self._jobs: deque[Job] = deque()
        self._ready = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._started = False
        self._max_waiting = max_waiting
        self._retry_every = retry_every
        self._on_recovered = on_recovered  # called (on this thread) with the jobs let go
        self._reason: str | None = None
        self._dropped = 0

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def submit(self, job: Job) -> None:
        """Run ``job`` after every job submitted before it."""
        with self._ready:
            self._jobs.append(job)
            if self._reason is not None and len(self._jobs) > self._max_waiting:
                # The head is the job being tried; the oldest after it goes.
                del self._jobs[1]
                self._dropped += 1
            self._ready.notify()

    def trouble(self) -> WriterTrouble | None:
        """What keeps the writer from writing, or ``None``."""
        with self._ready:
            if self._reason is None:
                return None
            return WriterTrouble(self._reason, len(self._jobs), self._dropped)

    def close(self) -> None:
        """Run what is queued, then stop the thread: a job the disk still refuses is tried
        once more, and what cannot be written is said in one line."""
        if self._started and self._thread.is_alive():
            with self._ready:
                self._closing = True
                self._ready.notify()
            self._thread.join()

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._jobs and not self._closing:
                    self._ready.wait()
                if not self._jobs:
                    return
                job = self._jobs[0]
            if self._run(job):
                with self._ready:
                    self._jobs.popleft()
                continue
            with self._ready:  # the disk refused it: wait, then the same job again
                if self._closing:
                    lost = len(self._jobs)
                    self._jobs.clear()
                    log.error(
                        "stopping with %d writes the store could not take (%s): what they "
                        "held is fetched again from the meter at the next start",
                        lost,
                        self._reason,
                    )
                    return
                self._ready.wait(self._retry_every)

    def _run(self, job: Job) -> bool:
        """Run ``job``; ``False`` when the disk refused it and it is to be tried again."""
        try:
            job()
        except sqlite3.OperationalError as exc:  # full, read-only, I/O error: the disk's
            self._refused(str(exc))
            return False
        except HemsnetError as exc:  # says what went wrong in one line
            log.error("%s", exc)
        except Exception:  # one failed write must not stop the ones after it
            log.exception("a write to disk failed")
        self._accepted()
        return True

    def _refused(self, reason: str) -> None:
        with self._ready:
            first = self._reason is None
            self._reason = reason
            waiting = len(self._jobs)
        if first:
            log.error(
                "the store refuses writes (%s): keeping them (%d waiting, at most %d), trying "
                "again every %g s",
                reason,
                waiting,
                self._max_waiting,
                self._retry_every,
            )

    def _accepted(self) -> None:
        if self._reason is None:  # the usual case, without the lock
            return
        with self._ready:
            if self._reason is None:
                return
            self._reason, dropped, self._dropped = None, self._dropped, 0
        log.warning(
            "the store takes writes again%s",
            f"; {dropped} batches were let go and are fetched again" if dropped else "",
        )
        if self._on_recovered is not None:
            self._on_recovered(dropped)
