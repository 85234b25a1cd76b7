"""The fleet API and page (aiohttp), read from the provider's PostgreSQL:

* ``GET /`` the page: every home with its link, last data and counts;
* ``GET /api/homes?after=ID&limit=N`` the homes in ID order (``limit`` 1..10000, 1000);
* ``GET /api/homes/<id>?days=N`` one home: daily demand peaks against its target, gaps, data
  completeness over ``days`` (1..92, 7).

A bad parameter is a 400 naming it; an unknown home a 404; the database away a 503. Requests
go through the dashboard's guard (GET only, the token when one is set, JSON errors) and its
security headers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

import psycopg
from aiohttp import web
from psycopg import AsyncConnection
from psycopg.rows import TupleRow

from hemsnet.provider import fleet
from hemsnet.provider.database import describe
from hemsnet.provider.page import render_fleet
from hemsnet.provider.topics import HOME_ID
from hemsnet.web.app import STATIC
from hemsnet.web.common import ApiError
from hemsnet.web.security import guard, secure_headers

__all__ = ["build_app"]

_DATABASE: Final = web.AppKey("database", str)
_CONNECT_TIMEOUT: Final = 5
_PAGE_HOMES: Final = 1000

_T = TypeVar("_T")


def build_app(database_url: str, token: str = "") -> web.Application:
    """The fleet API and page of the database at ``database_url`` (``token``: required)."""
    app = web.Application(middlewares=[guard(token)])
    app[_DATABASE] = database_url
    app.router.add_get("/", _page)
    app.router.add_static("/static/", STATIC)
    app.router.add_get("/api/homes", _homes)
    app.router.add_get("/api/homes/{home}", _home)
    app.on_response_prepare.append(secure_headers)
    return app


async def _read(
    request: web.Request, query: Callable[[AsyncConnection[TupleRow]], Awaitable[_T]]
) -> _T:
    url = request.app[_DATABASE]
    try:
        async with await AsyncConnection.connect(
            url, autocommit=True, connect_timeout=_CONNECT_TIMEOUT
        ) as connection:
            return await query(connection)
    except psycopg.OperationalError:
        raise ApiError(503, f"the database {describe(url)} is unavailable") from None


def _integer(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise ApiError(400, f"{name}={text[:40]!r} is not a number {low}..{high}")
    return int(text)


def _home_id(text: str, name: str) -> str:
    if not HOME_ID.fullmatch(text):
        raise ApiError(400, f"{name} {text[:70]!r} is not a home ID (1-64 of A-Z a-z 0-9 _ -)")
    return text


async def _homes(request: web.Request) -> web.Response:
    limit = _integer(request, "limit", _PAGE_HOMES, 1, fleet.MAX_HOMES)
    after = request.query.get("after")
    after = "" if after is None else _home_id(after, "after")
    found = await _read(request, lambda c: fleet.homes(c, after, limit))
    return web.json_response({"homes": found})


async def _home(request: web.Request) -> web.Response:
    home = _home_id(request.match_info["home"], "home")
    days = _integer(request, "days", 7, 1, fleet.MAX_DAYS)
    found = await _read(request, lambda c: fleet.home_detail(c, home, days))
    if found is None:
        raise ApiError(404, f"no home {home!r} has sent anything")
    return web.json_response(found)


async def _page(request: web.Request) -> web.Response:
    found = await _read(request, lambda c: fleet.homes(c, "", _PAGE_HOMES))
    return web.Response(text=render_fleet(found), content_type="text/html")
