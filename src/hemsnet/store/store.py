"""The controller's record of its meters: one SQLite file, durable once a call returns.

Settings, and why:

- ``journal_mode=WAL``: a reader (``hemsnet status``, ``export``) never blocks the controller's
  writes, and a crash mid-write leaves the last committed state.
- ``synchronous=FULL``: every commit is fsynced to the WAL before it returns, so what
  :meth:`Store.record` acknowledged survives a power cut, not only a process crash.
- ``foreign_keys=ON``: every row belongs to a known meter.

Every write is one transaction. A connection may be handed between threads (for example to an
executor of the asyncio controller); a lock keeps calls from overlapping.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from hemsnet.devices.hv_meter_bidir import HV_METER_BIDIR_CLASS
from hemsnet.devices.lv_meter import LV_METER_CLASS
from hemsnet.devices.model import Quantity
from hemsnet.errors import ConfigError
from hemsnet.metering.attributes import AttributeVersion, RegisterHistory, register_epcs
from hemsnet.metering.gaps import GapStatus
from hemsnet.metering.series import HALF_HOUR, MINUTE, Series, Source, instants
from hemsnet.store import schema
from hemsnet.store.model import (
    ApplianceReading,
    ApplianceRecord,
    ControlAction,
    Fault,
    Gap,
    Meter,
    Reading,
    RequestStats,
    SeriesSummary,
    WireEvent,
    require_naive,
)

__all__ = ["WIRE_EVENTS_KEPT", "Store"]

_PRAGMAS: Final = ("synchronous = FULL", "foreign_keys = ON")
#: What to do with a damaged database, named in the one line that says so.
RECOVERY_HINT: Final = (
    "restore a backup, or save what it still holds: sqlite3 {path} .recover | sqlite3 "
    "recovered.db, then point --db at recovered.db"
)
WIRE_EVENTS_KEPT: Final = 10_000  # per meter: the newest, a bounded record of a peer's garbage

# The last arrival wins [AIF 2.5.1]: a row replaces the stored one when it arrived at the same
# time or later, except that a void never replaces a value; a value always replaces a void.
_UPSERT: Final = """
INSERT INTO reading (meter_id, series, measured_at, raw, value, void, source, arrived_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (meter_id, series, measured_at) DO UPDATE SET
    raw = excluded.raw,
    value = excluded.value,
    void = excluded.void,
    source = excluded.source,
    arrived_at = excluded.arrived_at
WHERE excluded.void < reading.void
   OR (excluded.void = reading.void AND excluded.arrived_at >= reading.arrived_at)
"""
_READING_COLUMNS: Final = "meter_id, series, measured_at, raw, value, source, arrived_at"
_GAP_COLUMNS: Final = "id, meter_id, series, start_at, end_at, status, opened_at, closed_at"
_APPLIANCE_READING_COLUMNS: Final = "appliance_id, measured_at, watts, operating, arrived_at"


def _meter_time(at: datetime) -> str:
    """A meter-time stamp, ``YYYY-MM-DDTHH:MM:SS`` (a reading has whole seconds).

    A query bound with a fraction keeps it: ``10:30:00`` < ``10:30:00.5`` < ``10:30:01`` as
    text too, so a half-open range stays exact.
    """
    require_naive("time", at)
    return at.isoformat()


def _clock(at: datetime) -> str:
    """A controller-clock stamp, to the microsecond, fixed width."""
    require_naive("time", at)
    return at.isoformat(timespec="microseconds")


def _wire_row(meter_id: int, event: WireEvent) -> tuple[object, ...]:
    at, measured_at = _clock(event.at), _meter_time(event.measured_at)
    return (meter_id, at, event.kind, event.series.value, measured_at, event.reason, event.frame)


def _grid(series: Series) -> timedelta:
    if series.step is None:
        raise ValueError(f"{series.value} has no measurement grid to miss readings on")
    return series.step


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _reading(row: tuple[Any, ...]) -> Reading:
    meter_id, series, measured_at, raw, value, source, arrived_at = row
    return Reading(
        meter_id,
        Series(series),
        datetime.fromisoformat(measured_at),
        raw,
        None if value is None else Decimal(value),
        Source(source),
        datetime.fromisoformat(arrived_at),
    )


def _action(row: tuple[Any, ...]) -> ControlAction:
    values = list(row)
    for index in (1, 14, 17):  # decided_at, measured_at, settled_at
        values[index] = _time(values[index])
    return ControlAction(*values)


def _gap(row: tuple[Any, ...]) -> Gap:
    gap_id, meter_id, series, start, end, status, opened_at, closed_at = row
    return Gap(
        gap_id,
        meter_id,
        Series(series),
        datetime.fromisoformat(start),
        datetime.fromisoformat(end),
        GapStatus(status),
        datetime.fromisoformat(opened_at),
        _time(closed_at),
    )


def _appliance_reading(row: tuple[Any, ...]) -> ApplianceReading:
    appliance_id, measured_at, watts, operating, arrived_at = row
    return ApplianceReading(
        appliance_id,
        datetime.fromisoformat(measured_at),
        watts,
        None if operating is None else bool(operating),
        datetime.fromisoformat(arrived_at),
    )


class Store:
    """A hemsnet database. Open it with :meth:`open`; close it (or use ``with``) when done."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self._lock = threading.RLock()  # re-entered by reads inside a write
        self.path = path

    @classmethod
    def open(cls, path: Path, *, check: bool = True) -> Self:
        """Create or open the database at ``path``, check it and bring its schema up to date.

        Raises :class:`ConfigError` when ``path`` cannot be opened, is read-only, is not a
        SQLite database, fails SQLite's quick check (with ``check``), or was written by a
        newer hemsnet; each in one line, with a hint (decision C51).
        """
        try:
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            try:
                schema.check_version(connection, path)  # reads the header: non-SQLite fails here
                (mode,) = connection.execute("PRAGMA journal_mode = WAL").fetchone()
                if mode != "wal":
                    raise ConfigError(f"{path}: the file system does not allow a WAL journal")
                for pragma in _PRAGMAS:
                    connection.execute(f"PRAGMA {pragma}")
                if check:
                    _quick_check(connection, path)
                schema.migrate(connection)
            except BaseException:
                connection.close()
                raise
        except sqlite3.OperationalError as exc:
            raise ConfigError(_open_failure(path, exc)) from None
        except sqlite3.DatabaseError as exc:
            raise ConfigError(
                f"{path} is not a SQLite database or is damaged ({exc}); "
                + RECOVERY_HINT.format(path=path)
            ) from None
        return cls(connection, path)

    def close(self) -> None:
        with self._lock:
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

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, committed (fsynced) on leaving, rolled back on any error."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except sqlite3.IntegrityError as exc:
                self._rollback()
                raise ValueError(f"refused by the database: {exc}") from exc
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        if self._db.in_transaction:  # some errors (a full disk) roll back by themselves
            self._db.execute("ROLLBACK")

    def _rows(self, sql: str, *parameters: Any) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, parameters).fetchall()

    # Meters

    def meter(
        self, key: str, address: str, at: datetime, class_id: int = HV_METER_BIDIR_CLASS
    ) -> int:
        """The id of the meter known as ``key``, created at first sight; ``address``, its
        class (0x028F or 0x0288) and the last time seen are updated."""
        with self._write() as db:
            (meter_id,) = db.execute(
                "INSERT INTO meter (key, address, first_seen, last_seen, class) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                "address = excluded.address, class = excluded.class, "
                "last_seen = max(last_seen, excluded.last_seen) RETURNING id",
                (key, address, _clock(at), _clock(at), class_id),
            ).fetchone()
        return int(meter_id)

    def meters(self) -> list[Meter]:
        """Every meter, in key order."""
        rows = self._rows(
            "SELECT id, key, address, first_seen, last_seen, class FROM meter ORDER BY key"
        )
        return [
            Meter(
                meter_id,
                key,
                address,
                datetime.fromisoformat(first),
                datetime.fromisoformat(last),
                int(class_id),
            )
            for meter_id, key, address, first, last, class_id in rows
        ]

    def meter_class(self, meter_id: int) -> int:
        """The class of the meter (0x028F when unknown)."""
        rows = self._rows("SELECT class FROM meter WHERE id = ?", meter_id)
        return int(rows[0][0]) if rows else HV_METER_BIDIR_CLASS

    # Readings

    def record(self, readings: Iterable[Reading]) -> None:
        """Store a batch in one transaction; once this returns, the batch is on disk. The
        meter's ``last_seen`` moves on to the latest arrival.

        A reading for a (meter, series, measurement time) already stored replaces it when it
        arrived at the same time or later, unless it is void and the stored one is not
        [AIF 2.5.1]. Raises ``ValueError`` (and stores nothing) for an unknown meter id.
        """
        rows = [
            (
                r.meter_id,
                r.series.value,
                _meter_time(r.measured_at),
                r.raw,
                None if r.value is None else format(r.value, "f"),  # exact, no exponent
                int(r.void),
                r.source.value,
                _clock(r.arrived_at),
            )
            for r in readings
        ]
        # The meter was heard when its newest reading arrived: last_seen follows it.
        latest: dict[int, str] = {}
        for row in rows:
            latest[row[0]] = max(latest.get(row[0], row[7]), row[7])
        with self._write() as db:
            db.executemany(_UPSERT, rows)
            db.executemany(
                "UPDATE meter SET last_seen = ? WHERE id = ? AND last_seen < ?",
                [(at, meter_id, at) for meter_id, at in latest.items()],
            )

    def readings(
        self, meter_id: int, series: Series, start: datetime, end: datetime
    ) -> list[Reading]:
        """The stored readings (void ones included) measured in [start, end), oldest first."""
        return [
            _reading(row)
            for row in self._rows(
                f"SELECT {_READING_COLUMNS} FROM reading WHERE meter_id = ? AND series = ? "
                "AND measured_at >= ? AND measured_at < ? ORDER BY measured_at",
                meter_id,
                series.value,
                _meter_time(start),
                _meter_time(end),
            )
        ]

    def latest(self, meter_id: int, series: Series) -> Reading | None:
        """The latest real (not void) reading of ``series``."""
        return self._end(meter_id, series, "DESC")

    def first(self, meter_id: int, series: Series) -> Reading | None:
        """The earliest real (not void) reading of ``series``."""
        return self._end(meter_id, series, "ASC")

    def _end(self, meter_id: int, series: Series, order: str) -> Reading | None:
        rows = self._rows(
            f"SELECT {_READING_COLUMNS} FROM reading WHERE meter_id = ? AND series = ? "
            f"AND void = 0 ORDER BY measured_at {order} LIMIT 1",
            meter_id,
            series.value,
        )
        return _reading(rows[0]) if rows else None

    def latest_arrival(
        self, meter_id: int, series: Series, source: Source | None = None
    ) -> datetime | None:
        """When the newest-measured reading of ``series`` (void or not; of ``source`` if
        given) arrived.

        The newest measurement rather than the newest arrival: the primary key finds it at
        once, where a search by arrival would read the whole series.
        """
        rows = self._rows(
            "SELECT arrived_at FROM reading WHERE meter_id = ? AND series = ? "
            "AND (? IS NULL OR source = ?) ORDER BY measured_at DESC LIMIT 1",
            meter_id,
            series.value,
            None if source is None else source.value,
            None if source is None else source.value,
        )
        return datetime.fromisoformat(rows[0][0]) if rows else None

    def count_by_source(self, meter_id: int, series: Series) -> dict[Source, int]:
        """How many real readings of ``series`` came by each way (zero where none)."""
        counted = dict(
            self._rows(
                "SELECT source, count(*) FROM reading WHERE meter_id = ? AND series = ? "
                "AND void = 0 GROUP BY source",
                meter_id,
                series.value,
            )
        )
        return {source: counted.get(source.value, 0) for source in Source}

    def summary(self, meter_id: int) -> list[SeriesSummary]:
        """For each series with rows: how many are real, how many void, the latest real one."""
        return [
            SeriesSummary(Series(series), stored, void, self.latest(meter_id, Series(series)))
            for series, stored, void in self._rows(
                "SELECT series, sum(1 - void), sum(void) FROM reading WHERE meter_id = ? "
                "GROUP BY series ORDER BY series",
                meter_id,
            )
        ]

    def missing_half_hours(
        self, meter_id: int, series: Series, start: datetime, end: datetime
    ) -> list[datetime]:
        """The :00 and :30 instants in [start, end) without a real reading of ``series``."""
        if series.step != HALF_HOUR:
            raise ValueError(f"{series.value} is not a 30-minute series")
        return self._missing(meter_id, series, start, end)

    def missing_minutes(
        self, meter_id: int, series: Series, start: datetime, end: datetime
    ) -> list[datetime]:
        """The whole minutes in [start, end) without a real reading of a one-minute series."""
        if series.step != MINUTE:
            raise ValueError(f"{series.value} is not a one-minute series")
        return self._missing(meter_id, series, start, end)

    def _missing(
        self, meter_id: int, series: Series, start: datetime, end: datetime
    ) -> list[datetime]:
        present = {
            datetime.fromisoformat(at)
            for (at,) in self._rows(
                "SELECT measured_at FROM reading WHERE meter_id = ? AND series = ? "
                "AND void = 0 AND measured_at >= ? AND measured_at < ?",
                meter_id,
                series.value,
                _meter_time(start),
                _meter_time(end),
            )
        }
        return [at for at in instants(start, end, _grid(series)) if at not in present]

    # Attributes

    def record_attribute(self, meter_id: int, epc: int, edt: bytes, at: datetime) -> bool:
        """Record the EDT of an attribute read at ``at``; a new version only if it changed.

        Returns whether a version was added. Raises ``ValueError`` for a change dated no
        later than the current version (the history only moves forward).
        """
        return self._version(meter_id, epc, bytes(edt), at)

    def mark_absent(self, meter_id: int, epc: int, at: datetime) -> bool:
        """Record that the meter lacks the optional property ``epc`` (it answered Get_SNA
        [AIF 3.1.4(2)]); a version like any other, so a later value supersedes it."""
        return self._version(meter_id, epc, None, at)

    def _version(self, meter_id: int, epc: int, edt: bytes | None, at: datetime) -> bool:
        with self._write() as db:
            current = db.execute(
                "SELECT valid_from, edt FROM attribute WHERE meter_id = ? AND epc = ? "
                "ORDER BY valid_from DESC LIMIT 1",
                (meter_id, epc),
            ).fetchone()
            if current is not None and current[1] == edt:
                return False
            if current is not None and _clock(at) <= current[0]:
                raise ValueError(
                    f"EPC 0x{epc:02X} changed at {at.isoformat()}, not after its current "
                    f"version of {current[0]}"
                )
            db.execute(
                "INSERT INTO attribute (meter_id, epc, valid_from, edt) VALUES (?, ?, ?, ?)",
                (meter_id, epc, _clock(at), edt),
            )
        return True

    def attributes(self, meter_id: int) -> dict[int, bytes]:
        """The current EDT of every attribute the meter has, by EPC."""
        return {epc: edt for epc, edt in self._current(meter_id).items() if edt is not None}

    def absent(self, meter_id: int) -> set[int]:
        """The optional EPCs the meter currently lacks."""
        return {epc for epc, edt in self._current(meter_id).items() if edt is None}

    def _current(self, meter_id: int) -> dict[int, bytes | None]:
        # The ascending scan leaves the latest version of each EPC in the dict.
        return dict(
            self._rows(
                "SELECT epc, edt FROM attribute WHERE meter_id = ? ORDER BY epc, valid_from",
                meter_id,
            )
        )

    def register_history(self, meter_id: int, quantity: Quantity) -> RegisterHistory:
        """Every version of the attributes that scale the counters of ``quantity``, and the
        times the meter's registers restarted; a low-voltage meter's active energy is its own
        (E1, D3, D7), and it has no other."""
        if self.meter_class(meter_id) == LV_METER_CLASS:
            if quantity is not Quantity.ACTIVE_ENERGY:
                return RegisterHistory(quantity, {})
            quantity = Quantity.LV_ACTIVE_ENERGY
        return RegisterHistory(
            quantity,
            {epc: self.attribute_history(meter_id, epc) for epc in register_epcs(quantity)},
            tuple(self.restarts(meter_id)),
        )

    def attribute_history(self, meter_id: int, epc: int) -> list[AttributeVersion]:
        """Every version of ``epc``, oldest first."""
        return [
            AttributeVersion(datetime.fromisoformat(valid_from), edt)
            for valid_from, edt in self._rows(
                "SELECT valid_from, edt FROM attribute WHERE meter_id = ? AND epc = ? "
                "ORDER BY valid_from",
                meter_id,
                epc,
            )
        ]

    # What the controller did not believe, and restarts of its registers

    def log_wire_events(self, meter_id: int, events: Iterable[WireEvent]) -> None:
        """Keep ``events``, and only the newest :data:`WIRE_EVENTS_KEPT` of the meter's: a peer
        that sends garbage all day must not fill the disk."""
        rows = [_wire_row(meter_id, event) for event in events]
        if not rows:
            return
        with self._write() as db:
            db.executemany(
                "INSERT INTO wire_event (meter_id, at, kind, series, measured_at, reason, frame) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            db.execute(
                "DELETE FROM wire_event WHERE meter_id = ? AND id < (SELECT id FROM wire_event "
                "WHERE meter_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (meter_id, meter_id, WIRE_EVENTS_KEPT - 1),
            )

    def wire_events(self, meter_id: int, limit: int = 50) -> list[WireEvent]:
        """The newest events of the meter, newest first."""
        return [
            WireEvent(
                datetime.fromisoformat(at),
                kind,
                Series(series),
                datetime.fromisoformat(measured_at),
                reason,
                frame,
            )
            for at, kind, series, measured_at, reason, frame in self._rows(
                "SELECT at, kind, series, measured_at, reason, frame FROM wire_event "
                "WHERE meter_id = ? ORDER BY id DESC LIMIT ?",
                meter_id,
                limit,
            )
        ]

    def record_restart(self, meter_id: int, series: Series, measured_at: datetime) -> None:
        """A cumulative register of the meter restarted at ``measured_at`` (meter time)."""
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO register_restart (meter_id, measured_at, series) "
                "VALUES (?, ?, ?)",
                (meter_id, _meter_time(measured_at), series.value),
            )

    def restarts(self, meter_id: int) -> list[datetime]:
        """When the meter's registers restarted, oldest first."""
        return [
            datetime.fromisoformat(at)
            for (at,) in self._rows(
                "SELECT DISTINCT measured_at FROM register_restart WHERE meter_id = ? "
                "ORDER BY measured_at",
                meter_id,
            )
        ]

    # Gaps

    def open_gap(
        self, meter_id: int, series: Series, start: datetime, end: datetime, at: datetime
    ) -> Gap:
        """Record that ``series`` misses readings in [start, end) (grid instants).

        Opening the same gap again returns the one recorded, with its status.
        """
        if not instants(start, end, _grid(series)):
            raise ValueError(f"[{start}, {end}) holds no instant of the {series.value} grid")
        with self._write() as db:
            db.execute(
                "INSERT INTO gap (meter_id, series, start_at, end_at, status, opened_at) "
                "VALUES (?, ?, ?, ?, 'open', ?) ON CONFLICT DO NOTHING",
                (meter_id, series.value, _meter_time(start), _meter_time(end), _clock(at)),
            )
            row = db.execute(
                f"SELECT {_GAP_COLUMNS} FROM gap WHERE meter_id = ? AND series = ? "
                "AND start_at = ? AND end_at = ?",
                (meter_id, series.value, _meter_time(start), _meter_time(end)),
            ).fetchone()
        return _gap(row)

    def close_gap(self, gap_id: int, at: datetime) -> Gap:
        """Mark an open gap filled. Raises ``ValueError`` while an instant still misses."""
        return self._settle(gap_id, GapStatus.FILLED, at)

    def mark_unrecoverable(self, gap_id: int, at: datetime) -> Gap:
        """Mark an open gap as beyond recovery (the meter's history no longer holds it)."""
        return self._settle(gap_id, GapStatus.UNRECOVERABLE, at)

    def _settle(self, gap_id: int, status: GapStatus, at: datetime) -> Gap:
        with self._write() as db:
            rows = self._rows(f"SELECT {_GAP_COLUMNS} FROM gap WHERE id = ?", gap_id)
            if not rows:
                raise ValueError(f"no gap {gap_id}")
            gap = _gap(rows[0])
            if gap.status is not GapStatus.OPEN:
                raise ValueError(f"gap {gap_id} is not open but {gap.status.value}")
            if status is GapStatus.FILLED and (
                missing := self._missing(gap.meter_id, gap.series, gap.start, gap.end)
            ):
                raise ValueError(
                    f"gap {gap_id} still misses {len(missing)} reading(s), "
                    f"the first at {missing[0].isoformat()}"
                )
            row = db.execute(
                f"UPDATE gap SET status = ?, closed_at = ? WHERE id = ? RETURNING {_GAP_COLUMNS}",
                (status.value, _clock(at), gap_id),
            ).fetchone()
        return _gap(row)

    def gaps(self, meter_id: int, status: GapStatus | None = None) -> list[Gap]:
        """The meter's gaps (of one status if given), by series and start."""
        rows = self._rows(
            f"SELECT {_GAP_COLUMNS} FROM gap WHERE meter_id = ? AND (? IS NULL OR status = ?) "
            "ORDER BY series, start_at",
            meter_id,
            None if status is None else status.value,
            None if status is None else status.value,
        )
        return [_gap(row) for row in rows]

    # Faults

    def fault_started(self, meter_id: int, at: datetime) -> bool:
        """Record that the meter reported a fault [AIF 3.4.1]; ``False`` if one is open."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO fault (meter_id, started_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (meter_id, _clock(at)),
            )
            return cursor.rowcount == 1

    def fault_ended(self, meter_id: int, at: datetime) -> bool:
        """Close the open fault; ``False`` if there was none."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE fault SET ended_at = ? WHERE meter_id = ? AND ended_at IS NULL",
                (_clock(at), meter_id),
            )
            return cursor.rowcount == 1

    def faults(self, meter_id: int) -> list[Fault]:
        """Every fault period, oldest first."""
        return [
            Fault(datetime.fromisoformat(start), _time(end))
            for start, end in self._rows(
                "SELECT started_at, ended_at FROM fault WHERE meter_id = ? ORDER BY started_at",
                meter_id,
            )
        ]

    # Request statistics

    def count(self, meter_id: int, at: datetime | None = None, **increments: int) -> None:
        """Add to the request counters, e.g. ``count(m, sent=1, timed_out=1)``; with ``at``,
        the requests ``sent`` count in its hour (controller clock) too, in one transaction."""
        names = RequestStats.names()
        for name, step in increments.items():
            if name not in names:
                raise ValueError(f"no counter {name!r}; the counters are {', '.join(names)}")
            if step < 0:
                raise ValueError(f"counter {name} only goes up, not by {step}")
        if at is not None:
            require_naive("at", at)
        with self._write() as db:
            db.executemany(
                "INSERT INTO request_count (meter_id, counter, n) VALUES (?, ?, ?) "
                "ON CONFLICT DO UPDATE SET n = n + excluded.n",
                [(meter_id, name, step) for name, step in increments.items()],
            )
            if at is not None and increments.get("sent"):
                db.execute(
                    "INSERT INTO request_hour (meter_id, hour, sent) VALUES (?, ?, ?) "
                    "ON CONFLICT DO UPDATE SET sent = sent + excluded.sent",
                    (meter_id, at.strftime("%Y-%m-%dT%H"), increments["sent"]),
                )

    def sent_per_hour(self, meter_id: int) -> list[tuple[datetime, int]]:
        """The requests sent in each hour the controller asked in, oldest first."""
        return [
            (datetime.strptime(hour, "%Y-%m-%dT%H"), sent)
            for hour, sent in self._rows(
                "SELECT hour, sent FROM request_hour WHERE meter_id = ? ORDER BY hour", meter_id
            )
        ]

    def stats(self, meter_id: int) -> RequestStats:
        """The request counters of the meter (zero where never counted)."""
        counted = dict(
            self._rows("SELECT counter, n FROM request_count WHERE meter_id = ?", meter_id)
        )
        return RequestStats(**{name: counted.get(name, 0) for name in RequestStats.names()})

    # The meter's Wi-SUN PAN (Route B through a dongle)

    def keep_pan(self, channel: int, pan_id: int, mac: str, at: datetime) -> None:
        """Keep the PAN a scan found (replacing the one kept before)."""
        require_naive("at", at)
        with self._write() as db:
            db.execute(
                "INSERT INTO wisun_pan (id, channel, pan_id, mac, found_at) VALUES (1, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET channel = excluded.channel, "
                "pan_id = excluded.pan_id, mac = excluded.mac, found_at = excluded.found_at",
                (channel, pan_id, mac.upper(), _clock(at)),
            )

    def kept_pan(self) -> tuple[int, int, str] | None:
        """The PAN kept by :meth:`keep_pan`: (channel, PAN ID, MAC), or ``None``."""
        rows = self._rows("SELECT channel, pan_id, mac FROM wisun_pan WHERE id = 1")
        if not rows:
            return None
        channel, pan_id, mac = rows[0]
        return int(channel), int(pan_id), str(mac)

    # Appliances on the HEMS networks

    def appliance(self, key: str, address: str, eoj: str, at: datetime, *, class_name: str) -> int:
        """The id of object ``eoj`` (``027D01``) of the node known as ``key``, created at first
        sight; it is marked reachable, and its address, class name and last sight updated."""
        with self._write() as db:
            (appliance_id,) = db.execute(
                "INSERT INTO appliance (key, address, eoj, class_name, first_seen, last_seen, "
                "reachable) VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT (key, eoj) DO UPDATE SET "
                "address = excluded.address, class_name = excluded.class_name, "
                "last_seen = max(last_seen, excluded.last_seen), reachable = 1 RETURNING id",
                (key, address, eoj, class_name, _clock(at), _clock(at)),
            ).fetchone()
        return int(appliance_id)

    def appliance_lost(self, appliance_id: int) -> None:
        """Mark the appliance unreachable (its node stopped answering, or no longer lists it)."""
        with self._write() as db:
            db.execute("UPDATE appliance SET reachable = 0 WHERE id = ?", (appliance_id,))

    def appliances(self) -> list[ApplianceRecord]:
        """Every appliance, by node key and EOJ."""
        return [
            ApplianceRecord(
                appliance_id,
                key,
                address,
                eoj,
                class_name,
                datetime.fromisoformat(first),
                datetime.fromisoformat(last),
                bool(reachable),
            )
            for appliance_id, key, address, eoj, class_name, first, last, reachable in self._rows(
                "SELECT id, key, address, eoj, class_name, first_seen, last_seen, reachable "
                "FROM appliance ORDER BY key, eoj"
            )
        ]

    def record_appliance_power(self, readings: Iterable[ApplianceReading]) -> None:
        """Store a batch of polls in one transaction (the last arrival wins for one time) and
        move each appliance's last sight on. ``ValueError`` for an unknown appliance id."""
        rows = [
            (
                r.appliance_id,
                _clock(r.measured_at),
                r.watts,
                None if r.operating is None else int(r.operating),
                _clock(r.arrived_at),
            )
            for r in readings
        ]
        with self._write() as db:
            db.executemany(
                "INSERT INTO appliance_reading (appliance_id, measured_at, watts, operating, "
                "arrived_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                "watts = excluded.watts, operating = excluded.operating, "
                "arrived_at = excluded.arrived_at WHERE excluded.arrived_at >= arrived_at",
                rows,
            )
            db.executemany(
                "UPDATE appliance SET last_seen = max(last_seen, ?) WHERE id = ?",
                [(measured_at, appliance_id) for appliance_id, measured_at, *_ in rows],
            )

    def appliance_readings(
        self, appliance_id: int, start: datetime, end: datetime
    ) -> list[ApplianceReading]:
        """The polls of the appliance answered in [start, end), oldest first."""
        return [
            _appliance_reading(row)
            for row in self._rows(
                f"SELECT {_APPLIANCE_READING_COLUMNS} FROM appliance_reading "
                "WHERE appliance_id = ? AND measured_at >= ? AND measured_at < ? "
                "ORDER BY measured_at",
                appliance_id,
                _clock(start),
                _clock(end),
            )
        ]

    def latest_appliance_power(self, appliance_id: int) -> ApplianceReading | None:
        """The latest poll of the appliance that gave its power."""
        rows = self._rows(
            f"SELECT {_APPLIANCE_READING_COLUMNS} FROM appliance_reading "
            "WHERE appliance_id = ? AND watts IS NOT NULL ORDER BY measured_at DESC LIMIT 1",
            appliance_id,
        )
        return _appliance_reading(rows[0]) if rows else None

    # Demand control (docs/energy-management.md)

    def record_action(
        self,
        decided_at: datetime,
        appliance: str,
        kind: str,
        step: int,
        reason: str,
        command: tuple[int, bytes],
        target_kw: float,
        projection: tuple[float | None, float | None, float | None],
        power_before_w: int | None,
    ) -> int:
        """Store a decision (``command`` = EPC and EDT; ``projection`` = projected, upper band
        and the meter's power, kW) as sent; its row id."""
        epc, edt = command
        projected, high, meter = projection
        with self._write() as db:
            (row_id,) = db.execute(
                "INSERT INTO control_action (decided_at, appliance, kind, step, reason, epc, edt, "
                "target_kw, projected_kw, high_kw, meter_kw, power_before_w) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    *(_clock(decided_at), appliance, kind, step, reason, epc, edt, target_kw),
                    *(projected, high, meter, power_before_w),
                ),
            ).fetchone()
        return int(row_id)

    def settle_action(self, row_id: int, outcome: str, reason: str, at: datetime) -> None:
        """How the command of decision ``row_id`` ended (or that it is being sent again)."""
        with self._write() as db:
            db.execute(
                "UPDATE control_action SET outcome = ?, outcome_reason = ?, settled_at = ? "
                "WHERE id = ?",
                (outcome, reason, _clock(at), row_id),
            )

    def measure_action(self, row_id: int, power_after_w: int | None, at: datetime) -> None:
        """The appliance's power at its first poll after the command was accepted."""
        with self._write() as db:
            db.execute(
                "UPDATE control_action SET power_after_w = ?, measured_at = ? WHERE id = ?",
                (power_after_w, _clock(at), row_id),
            )

    def actions(self, start: datetime, end: datetime) -> list[ControlAction]:
        """The decisions made in [start, end), oldest first."""
        return [
            _action(row)
            for row in self._rows(
                "SELECT id, decided_at, appliance, kind, step, reason, epc, edt, target_kw, "
                "projected_kw, high_kw, meter_kw, power_before_w, power_after_w, measured_at, "
                "outcome, outcome_reason, settled_at FROM control_action "
                "WHERE decided_at >= ? AND decided_at < ? ORDER BY decided_at, id",
                _clock(start),
                _clock(end),
            )
        ]

    def set_override(self, appliance: str, paused: bool, at: datetime, by: str) -> None:
        """A person pauses demand control of ``appliance`` or hands it back (``by``: cli, api)."""
        with self._write() as db:
            db.execute(
                "INSERT INTO control_override (appliance, paused, set_at, by) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (appliance) DO UPDATE SET paused = excluded.paused, "
                "set_at = excluded.set_at, by = excluded.by",
                (appliance, int(paused), _clock(at), by),
            )

    def overrides(self) -> dict[str, bool]:
        """Whether each appliance a person has set is paused."""
        return {
            name: bool(paused)
            for name, paused in self._rows("SELECT appliance, paused FROM control_override")
        }

    def record_dr_event(
        self,
        event_id: str,
        signal: str,
        payload: float,
        target_kw: float | None,
        window: tuple[datetime, datetime],
        opt: str,
        received_at: datetime,
    ) -> None:
        """A demand-response event as received (a modified event replaces its earlier form)."""
        start, end = window
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO dr_event (event_id, signal, payload, target_kw, start_at, "
                "end_at, opt, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *(event_id, signal, payload, target_kw, _clock(start), _clock(end), opt),
                    _clock(received_at),
                ),
            )

    def dr_events(self, at: datetime) -> list[dict[str, Any]]:
        """The events whose window holds ``at`` or is still to come, soonest first."""
        return [
            {
                "event_id": event_id,
                "signal": signal,
                "payload": payload,
                "target_kw": target_kw,
                "start": datetime.fromisoformat(start),
                "end": datetime.fromisoformat(end),
                "opt": opt,
            }
            for event_id, signal, payload, target_kw, start, end, opt in self._rows(
                "SELECT event_id, signal, payload, target_kw, start_at, end_at, opt FROM dr_event "
                "WHERE end_at > ? ORDER BY start_at",
                _clock(at),
            )
        ]


def _quick_check(connection: sqlite3.Connection, path: Path) -> None:
    """SQLite's quick check (the pages and their structure, not the indexes' contents)."""
    found = [str(row[0]) for row in connection.execute("PRAGMA quick_check(3)")]
    if found != ["ok"]:
        problems = [
            line
            for text in found
            for line in text.splitlines()
            if line and not line.startswith("***")
        ]
        raise ConfigError(
            f"{path} is damaged (SQLite's quick check: {'; '.join(problems[:3])}); "
            + RECOVERY_HINT.format(path=path)
        )


def _open_failure(path: Path, exc: sqlite3.OperationalError) -> str:
    text = str(exc)
    if "readonly" in text or _read_only(path):
        return (
            f"the database {path} is read-only ({text}): hemsnet writes it, and its -wal and "
            "-shm files beside it; check the owner and mode of the file and of its folder, and "
            "whether the file system is mounted read-only"
        )
    if "full" in text:
        return f"cannot open the database {path}: the disk is full ({text}); free some space"
    return f"cannot open the database {path}: {text}"


def _read_only(path: Path) -> bool:
    folder = path.parent
    try:
        mounted_ro = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False
    return (
        mounted_ro
        or not os.access(folder, os.W_OK)
        or (path.exists() and not os.access(path, os.W_OK))
    )
