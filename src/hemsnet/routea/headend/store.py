"""The MDMS's record: the meters' 30-minute data, the consent registry and the audit trail.

One SQLite file of the utility's own, not the home's: Route A's data is the utility's, and it
leaves the utility only through :meth:`MdmsStore.share` (docs/route-a.md). Settings as the
controller's store has them, for the same reasons: WAL (``hemsnet headend consent`` writes
while ``run`` serves), ``synchronous=FULL`` (a consent or an audit row acknowledged survives a
power cut), and every change is one transaction: a share reads the consent, the readings and
writes its audit row in the same one, so a revocation committed before it is seen by it.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from hemsnet.errors import ConfigError

__all__ = [
    "IDENTIFIER",
    "AuditEntry",
    "Consent",
    "ConsentError",
    "MdmsStore",
    "Share",
    "ShareRefused",
    "SharedReading",
    "StoredReading",
]

#: Home, meter and provider IDs: 1 to 64 of ``[A-Za-z0-9_-]`` (as Route C's home IDs).
IDENTIFIER: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: Refused attempts recorded one row each per hour; past it they fold into the last refused
#: row's ``repeats``, so that a peer hammering the API cannot fill the disk (A7).
REFUSED_ROWS_PER_HOUR: Final = 1000
_SHOWN: Final = 64  # characters of a hostile value kept in the audit

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meter (
    meter_id TEXT PRIMARY KEY,
    class_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS reading (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    meter_id TEXT NOT NULL REFERENCES meter (meter_id),
    series TEXT NOT NULL,
    measured_at TEXT NOT NULL,
    raw INTEGER NOT NULL,
    value TEXT NOT NULL,
    collected_at TEXT NOT NULL,
    UNIQUE (meter_id, series, measured_at)
);
CREATE TABLE IF NOT EXISTS consent (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    meter_id TEXT NOT NULL REFERENCES meter (meter_id),
    home TEXT NOT NULL,
    provider TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS consent_on ON consent (meter_id, provider)
    WHERE revoked_at IS NULL;
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    provider TEXT,
    remote TEXT NOT NULL,
    request TEXT NOT NULL,
    meter_id TEXT,
    home TEXT,
    after_seq INTEGER,
    through_seq INTEGER,
    first_measured TEXT,
    last_measured TEXT,
    rows INTEGER NOT NULL DEFAULT 0,
    allowed INTEGER NOT NULL,
    reason TEXT NOT NULL,
    repeats INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS audit_refused ON audit (allowed, at);
"""


class ConsentError(Exception):
    """A grant or a revocation that the registry cannot record (one line for the user)."""


class ShareRefused(Exception):
    """A share refused, and already audited: ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class StoredReading:
    """One 30-minute cumulative reading as the head-end collected it (meter time)."""

    series: str  # energy_normal or energy_reverse
    measured_at: datetime
    raw: int
    value: Decimal  # kWh


@dataclass(frozen=True, slots=True)
class SharedReading:
    seq: int
    series: str
    measured_at: str
    raw: int
    value: str


@dataclass(frozen=True, slots=True)
class Share:
    """What one share hands the provider: readings after ``after``, through ``through``."""

    meter_id: str
    home: str
    after: int
    through: int
    more: bool
    readings: tuple[SharedReading, ...]


@dataclass(frozen=True, slots=True)
class Consent:
    id: int
    meter_id: str
    home: str
    provider: str
    granted_at: str
    granted_by: str
    revoked_at: str | None
    revoked_by: str | None

    @property
    def on(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: str
    provider: str | None
    remote: str
    request: str
    meter_id: str | None
    home: str | None
    after_seq: int | None
    through_seq: int | None
    first_measured: str | None
    last_measured: str | None
    rows: int
    allowed: bool
    reason: str
    repeats: int


def shown(text: str) -> str:
    """A peer's value as the audit keeps it: printable, at most 64 characters."""
    clean = "".join(c if c.isprintable() else "?" for c in text[:_SHOWN])
    return clean + ("…" if len(text) > _SHOWN else "")


def _stamp(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


class MdmsStore:
    """The head-end's SQLite file. Not thread-safe: one event loop or one command uses it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            connection = sqlite3.connect(path, isolation_level=None)
            connection.execute("PRAGMA journal_mode = WAL")
            for pragma in ("synchronous = FULL", "foreign_keys = ON", "busy_timeout = 5000"):
                connection.execute(f"PRAGMA {pragma}")
            connection.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise ConfigError(f"{path}: cannot open the head-end database: {exc}") from None
        self._db = connection

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- meters and their readings -------------------------------------------------------

    def register_meters(self, meters: Iterable[tuple[str, int]]) -> None:
        """Record the meters of the configuration (utility meter ID, ECHONET class)."""
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO meter (meter_id, class_id) VALUES (?, ?) "
                "ON CONFLICT (meter_id) DO UPDATE SET class_id = excluded.class_id",
                list(meters),
            )

    def add_readings(
        self, meter_id: str, readings: Iterable[StoredReading], collected_at: datetime
    ) -> int:
        """Store new readings; one already held for the same series and time is kept (both
        came from the same meter register): returns how many were new."""
        rows = [
            (meter_id, r.series, _stamp(r.measured_at), r.raw, str(r.value), _stamp(collected_at))
            for r in readings
        ]
        with self._transaction() as db:
            before = db.total_changes
            db.executemany(
                "INSERT INTO reading (meter_id, series, measured_at, raw, value, collected_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                rows,
            )
            return db.total_changes - before

    def readings_on(self, meter_id: str, day: date) -> int:
        """How many readings of ``meter_id`` the MDMS holds for ``day`` (meter time)."""
        start = datetime(day.year, day.month, day.day)
        (count,) = self._db.execute(
            "SELECT count(*) FROM reading WHERE meter_id = ? AND measured_at >= ? "
            "AND measured_at < ?",
            (meter_id, _stamp(start), _stamp(start + timedelta(days=1))),
        ).fetchone()
        return int(count)

    def half_hours(self, meter_id: str) -> tuple[int, datetime | None]:
        """How many 30-minute readings (normal direction) of ``meter_id`` the MDMS holds,
        and the newest one's meter time."""
        count, newest = self._db.execute(
            "SELECT count(*), max(measured_at) FROM reading WHERE meter_id = ? "
            "AND series = 'energy_normal'",
            (meter_id,),
        ).fetchone()
        return int(count), None if newest is None else datetime.fromisoformat(newest)

    # --- consent ------------------------------------------------------------------------------

    def grant(self, meter_id: str, home: str, provider: str, by: str, at: datetime) -> Consent:
        """Put the customer's consent on record: ``provider`` may have ``meter_id``'s data."""
        for what, value in (("meter", meter_id), ("home", home), ("provider", provider)):
            if not IDENTIFIER.fullmatch(value):
                raise ConsentError(f"{what} {value!r} is not 1 to 64 of [A-Za-z0-9_-]")
        if not by.strip():
            raise ConsentError("say who records the consent (--by)")
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM meter WHERE meter_id = ?", (meter_id,)).fetchone() is None:
                raise ConsentError(f"meter {meter_id!r} is not one of the head-end's meters")
            on = self._active(meter_id, provider)
            if on is not None:
                raise ConsentError(
                    f"consent for {meter_id} to {provider} is already on record since "
                    f"{on.granted_at} (home {on.home}); revoke it first to change it"
                )
            cursor = db.execute(
                "INSERT INTO consent (meter_id, home, provider, granted_at, granted_by) "
                "VALUES (?, ?, ?, ?, ?)",
                (meter_id, home, provider, _stamp(at), by),
            )
            consent = self._consent(int(cursor.lastrowid or 0))
        return consent

    def revoke(self, meter_id: str, provider: str, by: str, at: datetime) -> Consent:
        """End the consent: from the moment this commits, no share of the meter to
        ``provider`` is allowed. What was shared before stays shared (A5)."""
        if not by.strip():
            raise ConsentError("say who records the revocation (--by)")
        with self._transaction() as db:
            on = self._active(meter_id, provider)
            if on is None:
                raise ConsentError(f"no consent for {meter_id!r} to {provider!r} is on record")
            db.execute(
                "UPDATE consent SET revoked_at = ?, revoked_by = ? WHERE id = ?",
                (_stamp(at), by, on.id),
            )
            consent = self._consent(on.id)
        return consent

    def consents(self) -> list[Consent]:
        rows = self._db.execute(f"SELECT {_CONSENT} FROM consent ORDER BY id").fetchall()
        return [Consent(*row) for row in rows]

    def _active(self, meter_id: str, provider: str) -> Consent | None:
        row = self._db.execute(
            f"SELECT {_CONSENT} FROM consent WHERE meter_id = ? AND provider = ? "
            "AND revoked_at IS NULL",
            (meter_id, provider),
        ).fetchone()
        return None if row is None else Consent(*row)

    def _last(self, meter_id: str, provider: str) -> Consent | None:
        row = self._db.execute(
            f"SELECT {_CONSENT} FROM consent WHERE meter_id = ? AND provider = ? "
            "ORDER BY id DESC LIMIT 1",
            (meter_id, provider),
        ).fetchone()
        return None if row is None else Consent(*row)

    def _consent(self, consent_id: int) -> Consent:
        row = self._db.execute(
            f"SELECT {_CONSENT} FROM consent WHERE id = ?", (consent_id,)
        ).fetchone()
        return Consent(*row)

    # --- sharing, always audited ------------------------------------------------------------

    def consented_meters(self, provider: str, remote: str, at: datetime) -> list[Consent]:
        """The meters whose consent to ``provider`` is on record now (the listing is
        audited too: it tells which homes consented)."""
        with self._transaction() as db:
            rows = db.execute(
                f"SELECT {_CONSENT} FROM consent WHERE provider = ? AND revoked_at IS NULL "
                "ORDER BY meter_id",
                (provider,),
            ).fetchall()
            self._audit(
                at, provider, remote, "meters", rows=len(rows), allowed=True, reason="listed"
            )
        return [Consent(*row) for row in rows]

    def share(
        self, provider: str, remote: str, meter_id: str, after: int, limit: int, at: datetime
    ) -> Share:
        """The readings of ``meter_id`` after sequence number ``after`` (at most ``limit``),
        if the meter's consent to ``provider`` is on record now; every outcome is audited.
        Raises :class:`ShareRefused` (404 unknown meter, 403 no consent)."""
        with self._transaction() as db:
            outcome = self._share(db, provider, remote, meter_id, after, limit, at)
        if isinstance(outcome, ShareRefused):  # raised once its audit row is committed
            raise outcome
        return outcome

    def _share(
        self,
        db: sqlite3.Connection,
        provider: str,
        remote: str,
        meter_id: str,
        after: int,
        limit: int,
        at: datetime,
    ) -> Share | ShareRefused:
        known = db.execute("SELECT 1 FROM meter WHERE meter_id = ?", (meter_id,)).fetchone()
        if known is None:
            reason = "unknown meter"
            self._refuse(at, provider, remote, "readings", shown(meter_id), reason)
            return ShareRefused(404, reason)
        consent = self._active(meter_id, provider)
        if consent is None:
            last = self._last(meter_id, provider)
            reason = (
                "no consent on record"
                if last is None
                else f"consent revoked at {last.revoked_at} by {last.revoked_by}"
            )
            self._refuse(at, provider, remote, "readings", meter_id, reason)
            return ShareRefused(403, reason)
        rows = db.execute(
            "SELECT seq, series, measured_at, raw, value FROM reading "
            "WHERE meter_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (meter_id, after, limit + 1),
        ).fetchall()
        readings = tuple(SharedReading(*row) for row in rows[:limit])
        through = readings[-1].seq if readings else after
        times = sorted(r.measured_at for r in readings)
        self._audit(
            at, provider, remote, "readings", meter_id=meter_id, home=consent.home,
            after_seq=after, through_seq=through,
            first_measured=times[0] if times else None,
            last_measured=times[-1] if times else None,
            rows=len(readings), allowed=True, reason=f"consent {consent.id}",
        )  # fmt: skip
        return Share(meter_id, consent.home, after, through, len(rows) > limit, readings)

    def refuse(
        self,
        at: datetime,
        provider: str | None,
        remote: str,
        request: str,
        reason: str,
        meter_id: str | None = None,
    ) -> None:
        """Audit an attempt refused before its meter was looked at (a bad token, a bad
        cursor); ``meter_id`` is what it asked for, kept as :func:`shown`."""
        with self._transaction():
            shown_id = None if meter_id is None else shown(meter_id)
            self._refuse(at, provider, remote, request, shown_id, reason)

    def audit(self, limit: int = 100) -> list[AuditEntry]:
        """The newest ``limit`` audit rows, oldest first."""
        rows = self._db.execute(
            f"SELECT {_AUDIT} FROM audit ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [_audit_entry(row) for row in reversed(rows)]

    def _refuse(
        self,
        at: datetime,
        provider: str | None,
        remote: str,
        request: str,
        meter_id: str | None,
        reason: str,
    ) -> None:
        hour_ago = _stamp(at - timedelta(hours=1))
        (recent,) = self._db.execute(
            "SELECT count(*) FROM audit WHERE allowed = 0 AND at >= ?", (hour_ago,)
        ).fetchone()
        if recent >= REFUSED_ROWS_PER_HOUR:
            self._db.execute(
                "UPDATE audit SET repeats = repeats + 1 WHERE id = "
                "(SELECT max(id) FROM audit WHERE allowed = 0)"
            )
            return
        self._audit(at, provider, remote, request, meter_id=meter_id, allowed=False, reason=reason)

    def _audit(
        self,
        at: datetime,
        provider: str | None,
        remote: str,
        request: str,
        *,
        meter_id: str | None = None,
        home: str | None = None,
        after_seq: int | None = None,
        through_seq: int | None = None,
        first_measured: str | None = None,
        last_measured: str | None = None,
        rows: int = 0,
        allowed: bool,
        reason: str,
    ) -> None:
        self._db.execute(
            "INSERT INTO audit (at, provider, remote, request, meter_id, home, after_seq, "
            "through_seq, first_measured, last_measured, rows, allowed, reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (_stamp(at), provider, remote, request, meter_id, home, after_seq, through_seq,
             first_measured, last_measured, rows, int(allowed), reason),
        )  # fmt: skip


_CONSENT: Final = "id, meter_id, home, provider, granted_at, granted_by, revoked_at, revoked_by"
_AUDIT: Final = (
    "id, at, provider, remote, request, meter_id, home, after_seq, through_seq, "
    "first_measured, last_measured, rows, allowed, reason, repeats"
)


def _audit_entry(row: tuple[Any, ...]) -> AuditEntry:
    (id_, at, provider, remote, request, meter_id, home, after_seq, through_seq, first, last,
     rows, allowed, reason, repeats) = row  # fmt: skip
    return AuditEntry(
        id_, at, provider, remote, request, meter_id, home, after_seq, through_seq, first, last,
        rows, bool(allowed), reason, repeats,
    )  # fmt: skip
