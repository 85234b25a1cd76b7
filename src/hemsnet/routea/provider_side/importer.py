"""The provider's Route A importer: from the head-end's sharing API into ``route_a_reading``.

For every meter the head-end lists as consented, it fetches the readings after the meter's
cursor and stores them with the cursor in one transaction: a rerun, or a run after a crash,
stores nothing twice and skips nothing. A row is only ever completed or corrected, never
emptied: a missing energy keeps the stored one (A10). What the head-end sends is checked like
anything from the wire: a malformed record is skipped with one log line, a malformed answer
ends that meter's import with one.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import quote

import psycopg

from hemsnet.routea.provider_side.config import MeterLink, ProviderRouteA
from hemsnet.routea.provider_side.schema import DDL

__all__ = ["HeadEndUnreachable", "MeterImport", "import_route_a", "prepare"]

log = logging.getLogger(__name__)

_SERIES: Final = ("energy_normal", "energy_reverse")
_PAGE: Final = 1000
_TIMEOUT: Final = 30.0
_UPSERT: Final = """
INSERT INTO route_a_reading (home, meter, measured_at, energy_normal, energy_reverse)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (home, meter, measured_at) DO UPDATE SET
    energy_normal = coalesce(excluded.energy_normal, route_a_reading.energy_normal),
    energy_reverse = coalesce(excluded.energy_reverse, route_a_reading.energy_reverse),
    received_at = now()
WHERE excluded.energy_normal IS DISTINCT FROM route_a_reading.energy_normal
      AND excluded.energy_normal IS NOT NULL
   OR excluded.energy_reverse IS DISTINCT FROM route_a_reading.energy_reverse
      AND excluded.energy_reverse IS NOT NULL
"""


class HeadEndUnreachable(Exception):
    """The head-end did not answer, or not with its API (one line for the user)."""


@dataclass(frozen=True, slots=True)
class MeterImport:
    """One meter's import: readings fetched, half-hours stored or changed, or why not."""

    home: str
    meter: str
    fetched: int = 0
    stored: int = 0
    cursor: int = 0
    refused: str | None = None


def prepare(connection: psycopg.Connection[Any], links: Iterable[MeterLink]) -> None:
    """Create the Route A tables if missing and record the meters' Route B keys."""
    with connection.transaction():
        for statement in DDL:
            connection.execute(statement)
        for link in links:
            connection.execute(
                "INSERT INTO route_a_meter (home, meter, route_b_meter) VALUES (%s, %s, %s) "
                "ON CONFLICT (home, meter) DO UPDATE SET route_b_meter = excluded.route_b_meter",
                (link.home, link.meter, link.route_b),
            )


def import_route_a(
    connection: psycopg.Connection[Any],
    config: ProviderRouteA,
    progress: Callable[[MeterImport], None] = lambda _: None,
) -> list[MeterImport]:
    """Fetch every consented meter's new readings into PostgreSQL."""
    prepare(connection, config.meters)
    listing = _get(config, "/v1/meters")
    meters = listing.get("meters") if isinstance(listing, dict) else None
    if not isinstance(meters, list):
        raise HeadEndUnreachable(f"{config.headend_url}: /v1/meters did not list meters")
    done = []
    for entry in meters:
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) for k in ("meter", "home")
        ):
            log.warning("skipping a malformed meter entry from the head-end: %.80r", entry)
            continue
        result = _import_meter(connection, config, entry["home"], entry["meter"])
        progress(result)
        done.append(result)
    return done


def _import_meter(
    connection: psycopg.Connection[Any], config: ProviderRouteA, home: str, meter: str
) -> MeterImport:
    row = connection.execute(
        "SELECT after_seq FROM route_a_cursor WHERE headend = %s AND meter = %s",
        (config.headend_url, meter),
    ).fetchone()
    after = int(row[0]) if row else 0
    fetched = stored = 0
    while True:
        path = f"/v1/meters/{quote(meter, safe='')}/readings?after={after}&limit={_PAGE}"
        try:
            page = _get(config, path)
        except _Refused as refused:  # revoked meanwhile: what was stored stays (A5)
            log.warning("meter %s of %s: the head-end refused: %s", meter, home, refused)
            return MeterImport(home, meter, fetched, stored, after, str(refused))
        parsed = _page(page, after)
        if parsed is None:
            log.warning(
                "meter %s: a malformed answer from the head-end; stopped at %d", meter, after
            )
            return MeterImport(home, meter, fetched, stored, after, "malformed answer")
        halves, following, more = parsed
        fetched += sum(len(values) for values in halves.values())
        with connection.transaction():
            for at, values in sorted(halves.items()):
                cursor = connection.execute(
                    _UPSERT,
                    (home, meter, at, values.get("energy_normal"), values.get("energy_reverse")),
                )
                stored += cursor.rowcount
            connection.execute(
                "INSERT INTO route_a_cursor (headend, meter, after_seq) VALUES (%s, %s, %s) "
                "ON CONFLICT (headend, meter) DO UPDATE SET after_seq = excluded.after_seq, "
                "updated_at = now()",
                (config.headend_url, meter, following),
            )
        after = following
        if not more:
            return MeterImport(home, meter, fetched, stored, after)


def _page(page: object, after: int) -> tuple[dict[datetime, dict[str, Decimal]], int, bool] | None:
    """The readings of one answer by half-hour, the next cursor and whether more waits."""
    if not isinstance(page, dict):
        return None
    following, more, records = page.get("next"), page.get("more"), page.get("readings")
    if not isinstance(following, int) or following < after or not isinstance(more, bool):
        return None
    if not isinstance(records, list) or (more and following == after):
        return None
    halves: dict[datetime, dict[str, Decimal]] = {}
    for record in records:
        reading = _reading(record)
        if reading is None:
            log.warning("skipping a malformed reading from the head-end: %.120r", record)
            continue
        series, at, value = reading
        halves.setdefault(at, {})[series] = value
    return halves, following, more


def _reading(record: object) -> tuple[str, datetime, Decimal] | None:
    if not isinstance(record, Mapping):
        return None
    series, at, value = record.get("series"), record.get("measured_at"), record.get("value")
    if series not in _SERIES or not isinstance(at, str) or not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(at)
        amount = Decimal(value)
    except (ValueError, InvalidOperation):
        return None
    if when.tzinfo is not None or not amount.is_finite() or amount < 0:
        return None
    return str(series), when, amount


class _Refused(Exception):
    pass


def _get(config: ProviderRouteA, path: str) -> object:
    where = config.headend_url + path.split("?", maxsplit=1)[0]
    request = urllib.request.Request(
        config.headend_url + path, headers={"Authorization": f"Bearer {config.token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as answer:
            body = answer.read(64 * 1024 * 1024)
    except urllib.error.HTTPError as exc:
        reason = _error_of(exc)
        if exc.code in (403, 404):
            raise _Refused(f"{exc.code} {reason}") from None
        raise HeadEndUnreachable(f"{where}: {exc.code} {reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        why = getattr(exc, "reason", exc)
        raise HeadEndUnreachable(
            f"{config.headend_url}: cannot reach the head-end: {why}"
        ) from None
    try:
        return json.loads(body)
    except ValueError:
        raise HeadEndUnreachable(f"{where}: not JSON") from None


def _error_of(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read(4096))
    except ValueError:
        return exc.reason or ""
    error = body.get("error") if isinstance(body, dict) else None
    return str(error)[:200] if error else str(exc.reason or "")
