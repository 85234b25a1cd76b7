"""Writes to disk on a thread of their own, so that a slow disk never stalls the event loop.

A store commit waits for an fsync (docs/storage.md), and so does the meter's state file; that
takes milliseconds on a good disk and much longer on a busy SD card, and on the event loop's
thread it would hold every datagram, the response-wait timers and the dashboard behind it.
The services hand each batch of work to :meth:`DiskWriter.submit`; one thread runs them in the
order given. ``close`` runs what is queued before it returns, so a clean stop loses nothing;
after a crash, what the store lacks is what the controller fetches again (its gap recovery
reads the store at start).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from hemsnet.errors import HemsnetError

__all__ = ["DiskWriter"]

log = logging.getLogger(__name__)

Job = Callable[[], None]


class DiskWriter:
    """Runs disk jobs in order on one thread."""

    def __init__(self, name: str = "hemsnet-disk") -> None:
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def submit(self, job: Job) -> None:
        """Run ``job`` after every job submitted before it."""
        self._jobs.put(job)

    def close(self) -> None:
        """Run what is queued, then stop the thread."""
        if self._started and self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except HemsnetError as exc:  # says what went wrong in one line
                log.error("%s", exc)
            except Exception:  # one failed write must not stop the ones after it
                log.exception("a write to disk failed")
