"""The Route C outbox of the controller's store (docs/route-c.md): read what is queued after the
acknowledged watermark, move the watermark, count and bound the backlog.

The schema's triggers (migration 8) queue every row in the transaction that stores it, while
Route C is enabled (:meth:`Outbox.enable`); this module reads, acknowledges and trims. It has
its own connection to the store's file, so that the uplink never waits on the controller's
writer (WAL: readers never block the writer, and SQLite's busy timeout serialises the two
writers).

Backlog policy (decision R3): at most ``max_backlog`` records wait after the watermark. Past
it, the oldest that are not in flight are dropped down to nine tenths of the bound, and one
``dropped`` record (``first``, ``last``, ``count``) is queued in the same transaction, so that
the provider learns which sequence numbers will never come. ``dropped`` records are never
dropped themselves.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from hemsnet.errors import ConfigError
from hemsnet.store import schema

__all__ = ["Dropped", "Outbox", "OutboxState", "QueuedRecord"]

_BUSY_TIMEOUT_MS: Final = 30_000  # the writer's longest transaction (a backfill) fits in it
_KEEP_AFTER_TRIM: Final = 0.9  # of max_backlog: trims come in chunks, dropped records are few


@dataclass(frozen=True, slots=True)
class QueuedRecord:
    """One record of the outbox: its sequence number and its JSON text (seq and kind first)."""

    seq: int
    text: str


@dataclass(frozen=True, slots=True)
class Dropped:
    """What a trim dropped: ``count`` records with sequence numbers in [first, last]."""

    first: int
    last: int
    count: int


@dataclass(frozen=True, slots=True)
class OutboxState:
    """Whether Route C queues, what is acknowledged, and how many records wait."""

    enabled: bool
    acked: int
    waiting: int


class Outbox:
    """The outbox of one store file; open it with :meth:`open` after the store."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    @classmethod
    def open(cls, path: Path) -> Self:
        """Open the outbox of the store at ``path`` (ConfigError when the file is not a
        hemsnet store of schema 8 or later: open the :class:`~hemsnet.store.Store` first)."""
        try:
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA synchronous = FULL")
            found = schema.version(connection)
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"cannot open the outbox of {path}: {exc}") from None
        if found < 8:
            connection.close()
            raise ConfigError(f"{path} has no outbox (schema {found}): open it as a store first")
        return cls(connection)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def enable(self, on: bool) -> None:
        """Queue what the store writes from now on (``on``), or nothing (decision R6)."""
        with self._transaction() as db:
            db.execute("UPDATE outbox_state SET enabled = ? WHERE id = 1", (int(on),))

    def state(self) -> OutboxState:
        """Whether it queues, the watermark and the backlog, read in one snapshot."""
        (enabled, acked, waiting) = self._db.execute(
            "SELECT enabled, acked, (SELECT count(*) FROM outbox WHERE seq > acked) "
            "FROM outbox_state WHERE id = 1"
        ).fetchone()
        return OutboxState(bool(enabled), int(acked), int(waiting))

    def watermark(self) -> int:
        """The highest sequence number up to which everything is acknowledged."""
        (acked,) = self._db.execute("SELECT acked FROM outbox_state WHERE id = 1").fetchone()
        return int(acked)

    def last_seq(self) -> int:
        """The highest sequence number ever queued (0 before the first record)."""
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
        return 0 if row is None else int(row[0])

    def after(self, seq: int, limit: int) -> list[QueuedRecord]:
        """Up to ``limit`` records with sequence numbers above ``seq``, in order."""
        rows = self._db.execute(
            "SELECT seq, kind, body FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        ).fetchall()
        # The body is a JSON object of at least one field: seq and kind go in front of them.
        return [
            QueuedRecord(seq, f'{{"seq":{seq},"kind":"{kind}",{body[1:]}')
            for seq, kind, body in rows
        ]

    def acknowledge(self, upto: int) -> None:
        """Everything up to ``upto`` is acknowledged: the watermark moves there (never back) and
        those records are deleted, in one durable transaction."""
        with self._transaction() as db:
            db.execute("UPDATE outbox_state SET acked = max(acked, ?) WHERE id = 1", (upto,))
            db.execute("DELETE FROM outbox WHERE seq <= ?", (upto,))

    def backlog(self) -> int:
        """How many records wait after the watermark."""
        (count,) = self._db.execute(
            "SELECT count(*) FROM outbox WHERE seq > (SELECT acked FROM outbox_state)"
        ).fetchone()
        return int(count)

    def bound(self, max_backlog: int, keep_after: int) -> Dropped | None:
        """Apply the backlog policy (module doc): records up to ``keep_after`` are in flight
        and kept. The ``dropped`` record is queued with what was dropped, which is returned."""
        with self._transaction() as db:
            (waiting,) = db.execute(
                "SELECT count(*) FROM outbox WHERE seq > (SELECT acked FROM outbox_state)"
            ).fetchone()
            if waiting <= max_backlog:
                return None
            excess = waiting - int(max_backlog * _KEEP_AFTER_TRIM) + 1  # room for the record
            first, last, count = db.execute(
                "SELECT min(seq), max(seq), count(*) FROM (SELECT seq FROM outbox "
                "WHERE seq > ? AND kind != 'dropped' ORDER BY seq LIMIT ?)",
                (keep_after, excess),
            ).fetchone()
            if not count:
                return None
            db.execute(
                "DELETE FROM outbox WHERE seq BETWEEN ? AND ? AND kind != 'dropped'",
                (first, last),
            )
            db.execute(
                "INSERT INTO outbox (kind, body) VALUES "
                "('dropped', json_object('first', ?, 'last', ?, 'count', ?))",
                (first, last, count),
            )
        return Dropped(int(first), int(last), int(count))

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` .. ``COMMIT`` (fsynced), rolled back on any error."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
