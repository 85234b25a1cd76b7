"""The head-end's sharing API: the provider fetches Route A data, consent permitting (A4).

Every request carries ``Authorization: Bearer <token>``; the token names the provider.

* ``GET /v1/meters``: the meters whose consent to this provider is on record now, with their
  home: ``{"meters": [{"meter": …, "home": …, "granted_at": …}]}``.
* ``GET /v1/meters/<meter>/readings?after=<seq>&limit=<n>``: the meter's readings whose
  sequence number is greater than ``after`` (0: from the start), oldest first, at most
  ``limit`` (1..5000, 1000 by default): ``{"meter", "home", "after", "next", "more",
  "readings": [{"seq", "series", "measured_at", "raw", "value"}]}``. ``next`` is the cursor
  of the following call; ``more`` says whether there is more now.

Refusals are JSON ``{"error": "<why>"}``: 401 without a valid token, 400 for a bad cursor or
limit, 404 for a meter the head-end does not have, 403 when no consent is on record. Every
share and every refusal is written to the audit table before the answer leaves.
"""

from __future__ import annotations

import hmac
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Final

from aiohttp import web

from hemsnet.routea.headend.config import ProviderToken
from hemsnet.routea.headend.store import MdmsStore, ShareRefused, shown

__all__ = ["LIMIT_DEFAULT", "LIMIT_MAX", "build_app"]

log = logging.getLogger(__name__)

LIMIT_DEFAULT: Final = 1000
LIMIT_MAX: Final = 5000
_CURSOR_MAX: Final = 2**63 - 1  # SQLite's integer
_STORE: Final = web.AppKey("store", MdmsStore)
_PROVIDERS: Final = web.AppKey("providers", tuple[ProviderToken, ...])
Clock = Callable[[], datetime]
_CLOCK: Final[web.AppKey[Clock]] = web.AppKey("clock")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(
    store: MdmsStore,
    providers: Sequence[ProviderToken],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> web.Application:
    app = web.Application(middlewares=[_store_trouble])
    app[_STORE] = store
    app[_PROVIDERS] = tuple(providers)
    app[_CLOCK] = clock
    app.router.add_get("/v1/meters", _meters)
    app.router.add_get("/v1/meters/{meter}/readings", _readings)
    return app


def _refusal(status: int, reason: str) -> web.Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return web.json_response({"error": reason}, status=status, headers=headers)


def _remote(request: web.Request) -> str:
    return request.remote or "?"


def _provider(request: web.Request) -> str | None:
    """The provider whose token the request carries; every token is compared, so the time
    taken does not tell which one was close."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    found = None
    for provider in request.app[_PROVIDERS]:
        if hmac.compare_digest(provider.token.encode(), token.strip().encode()):
            found = provider.name
    return found


def _refuse(
    request: web.Request, provider: str | None, what: str, status: int, reason: str
) -> web.Response:
    meter = request.match_info.get("meter")
    request.app[_STORE].refuse(
        request.app[_CLOCK](), provider, _remote(request), what, reason, meter
    )
    log.warning("refused %s %s from %s: %s", what, provider or "-", _remote(request), reason)
    return _refusal(status, reason)


async def _meters(request: web.Request) -> web.Response:
    provider = _provider(request)
    if provider is None:
        return _refuse(request, None, "meters", 401, "missing or bad token")
    consents = request.app[_STORE].consented_meters(
        provider, _remote(request), request.app[_CLOCK]()
    )
    meters = [{"meter": c.meter_id, "home": c.home, "granted_at": c.granted_at} for c in consents]
    return web.json_response({"meters": meters})


async def _readings(request: web.Request) -> web.Response:
    provider = _provider(request)
    if provider is None:
        return _refuse(request, None, "readings", 401, "missing or bad token")
    after = _whole(request.query.get("after", "0"), 0, _CURSOR_MAX)
    if after is None:
        reason = f"bad cursor: after={shown(request.query.get('after', ''))!r} is not 0..2^63-1"
        return _refuse(request, provider, "readings", 400, reason)
    limit = _whole(request.query.get("limit", str(LIMIT_DEFAULT)), 1, LIMIT_MAX)
    if limit is None:
        reason = f"bad limit: {shown(request.query.get('limit', ''))!r} is not 1..{LIMIT_MAX}"
        return _refuse(request, provider, "readings", 400, reason)
    meter = request.match_info["meter"]
    store = request.app[_STORE]
    try:
        share = store.share(provider, _remote(request), meter, after, limit, request.app[_CLOCK]())
    except ShareRefused as refused:
        log.warning("refused readings of %s to %s: %s", shown(meter), provider, refused.reason)
        return _refusal(refused.status, refused.reason)
    readings = [
        {"seq": r.seq, "series": r.series, "measured_at": r.measured_at, "raw": r.raw,
         "value": r.value}
        for r in share.readings
    ]  # fmt: skip
    body = {"meter": share.meter_id, "home": share.home, "after": share.after,
            "next": share.through, "more": share.more, "readings": readings}  # fmt: skip
    return web.json_response(body)


def _whole(text: str, lo: int, hi: int) -> int | None:
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if lo <= value <= hi else None


@web.middleware
async def _store_trouble(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A busy or failing database is a 503 and one log line, not a traceback."""
    try:
        return await handler(request)
    except sqlite3.Error as exc:
        log.error("the head-end database failed serving %s: %s", request.path, exc)
        return web.json_response({"error": "the head-end's database is unavailable"}, status=503)
