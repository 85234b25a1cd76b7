"""The dashboard's aiohttp application: routes, the store it reads, and serving it.

``build_app`` opens the store (which must exist: the controller creates it) and answers every
route of docs/dashboard.md from it; it never writes. Queries block (SQLite), so they run in a
worker thread: in ``hemsnet controller --web`` the controller shares the event loop.
"""

from __future__ import annotations

import asyncio
import io
import re
import socket
from collections.abc import Callable, Collection
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Final, TypeVar

from aiohttp import web

from hemsnet.control.plan import DemandPlan
from hemsnet.controller.config import ControllerConfig
from hemsnet.errors import ConfigError
from hemsnet.localtime import parse_local_time
from hemsnet.store.export import (
    MAX_EXPORT_DAYS,
    ExportError,
    ExportQuantity,
    build_table,
    write_csv,
)
from hemsnet.store.model import Meter
from hemsnet.store.store import Store
from hemsnet.web import control, demand, energy, health, link, live, metrics, recent
from hemsnet.web.common import ApiError, Clock, iso, meter_today, parse_day, pick_meter
from hemsnet.web.config import DashboardConfig, Listen
from hemsnet.web.language import language
from hemsnet.web.openapi import openapi
from hemsnet.web.security import guard, secure_headers
from hemsnet.web.stream import Snapshot, StreamHub, StreamLimits

__all__ = ["STATIC", "bind", "build_app", "open_store", "serve"]

STATIC: Final = Path(__file__).parent / "static"
_ENERGY_DAYS_DEFAULT: Final = 31
_SHUTDOWN: Final = 2.0  # s a closing server waits for requests in progress
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9._-]")

_T = TypeVar("_T")


class _Context:
    """What the handlers read: the store, the configs, the clock, the event streams."""

    def __init__(
        self,
        store: Store,
        config: DashboardConfig,
        now: Clock,
        controller: ControllerConfig,
        limits: StreamLimits,
        plan: DemandPlan,
    ) -> None:
        self.store = store
        self.plan = plan
        self.config = config
        self.now = now
        self.controller = controller
        self.streams = StreamHub(partial(_snapshots, self), now, limits)

    def meter(self, request: web.Request) -> Meter:
        return pick_meter(self.store, request.query.get("meter"))

    def today(self, meter: Meter, now: datetime) -> date:
        return meter_today(self.store, meter.id, now)


_CONTEXT: Final = web.AppKey("context", _Context)


def open_store(path: Path) -> Store:
    """The controller's store at ``path``; a missing file is an error, never created here."""
    if not path.is_file():
        raise ConfigError(f"no such database: {path}; start the controller first")
    return Store.open(path)


async def _query(request: web.Request, query: Callable[[_Context, datetime], _T]) -> _T:
    """Run a blocking store query in a worker thread.

    The clock is read here, in the event loop: the controller's clock is not shared with
    threads.
    """
    context = request.app[_CONTEXT]
    return await asyncio.to_thread(query, context, context.now())


async def _json(
    request: web.Request, query: Callable[[_Context, datetime], dict[str, Any]]
) -> web.Response:
    return web.json_response(await _query(request, query))


async def _page(request: web.Request) -> web.Response:
    """The page in the reader's language (``Accept-Language``: Japanese or English, D16); the
    page's own switch overrides it."""
    index = STATIC / "index.html"
    if not index.is_file():
        raise ApiError(404, "the page is not installed (hemsnet/web/static/index.html)")
    lang = language(request.headers.get("Accept-Language", ""))
    text = await asyncio.to_thread(index.read_text, encoding="utf-8")
    return web.Response(
        text=text.replace('<html lang="en">', f'<html lang="{lang}">', 1),
        content_type="text/html",
        headers={"Content-Language": lang, "Vary": "Accept-Language"},
    )


async def _meters(request: web.Request) -> web.Response:
    def query(ctx: _Context, now: datetime) -> dict[str, Any]:
        return {
            "meters": [
                {
                    "key": m.key,
                    "address": m.address,
                    "first_seen": iso(m.first_seen),
                    "last_seen": iso(m.last_seen),
                }
                for m in ctx.store.meters()
            ]
        }

    return await _json(request, query)


async def _now(request: web.Request) -> web.Response:
    def query(ctx: _Context, now: datetime) -> dict[str, Any]:
        return live.now_reading(ctx.store, ctx.meter(request), now, ctx.controller)

    return await _json(request, query)


async def _power(request: web.Request) -> web.Response:
    text = request.query.get("minutes", "10")
    if not text.isdigit() or not 1 <= int(text) <= recent.MAX_MINUTES:
        raise ApiError(400, f"minutes={text!r} is not a number 1..{recent.MAX_MINUTES}")

    def query(ctx: _Context, now: datetime) -> dict[str, Any]:
        return recent.recent_power(ctx.store, ctx.meter(request), int(text))

    return await _json(request, query)


async def _appliances(request: web.Request) -> web.Response:
    def query(ctx: _Context, now: datetime) -> dict[str, Any]:
        return recent.appliances(ctx.store)

    return await _json(request, query)


async def _control(request: web.Request) -> web.Response:
    def query(ctx: _Context, now: datetime) -> dict[str, Any]:
        return control.control_state(ctx.store, ctx.plan, now)

    return await _json(request, query)


async def _override(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "the body is not JSON") from None

    def query(ctx: _Context, now: datetime) -> dict[str, Any]:
        return control.set_override(ctx.store, ctx.plan, body, now, "api")

    return await _json(request, query)


# Parameters are checked before the meter is looked up: a bad one is a 400 whatever the meter.


async def _demand(request: web.Request) -> web.Response:
    day = parse_day("date", request.query.get("date"))

    def query(ctx: _Context, now: datetime) -> dict[str, Any]:
        meter = ctx.meter(request)
        today = ctx.today(meter, now)
        return demand.demand_day(ctx.store, meter, day or today, ctx.config, today)

    return await _json(request, query)


async def _energy(request: web.Request) -> web.Response:
    last = parse_day("to", request.query.get("to"))
    first = parse_day("from", request.query.get("from"))

    def query(ctx: _Context, now: datetime) -> dict[str, Any]:
        meter = ctx.meter(request)
        end = last or ctx.today(meter, now) + timedelta(days=1)
        start = first or end - timedelta(_ENERGY_DAYS_DEFAULT)
        if start >= end:
            raise ApiError(400, f"from={start} is not before to={end} (to is excluded)")
        if (end - start).days > energy.MAX_DAYS:
            raise ApiError(400, f"from={start} to={end} is more than {energy.MAX_DAYS} days")
        return energy.energy_days(ctx.store, meter, start, end)

    return await _json(request, query)


async def _health(request: web.Request) -> web.Response:
    def query(ctx: _Context, now: datetime) -> dict[str, Any]:
        meter = ctx.meter(request)
        return health.health(ctx.store, meter, now, ctx.today(meter, now), ctx.controller)

    return await _json(request, query)


def _instant(name: str, text: str | None) -> datetime:
    if text is None:
        raise ApiError(400, f"{name} is required (an ISO date-time, meter local time)")
    try:
        return parse_local_time(text)
    except ValueError as exc:
        raise ApiError(400, f"{name}: {exc}") from None


def _quantity(text: str) -> ExportQuantity:
    try:
        return ExportQuantity.parse(text)
    except ValueError as exc:
        raise ApiError(400, f"quantity: {exc}") from None


async def _export(request: web.Request) -> web.Response:
    """The CSV ``hemsnet export --format csv`` writes for the same range and quantities."""
    start = _instant("from", request.query.get("from"))
    end = _instant("to", request.query.get("to"))
    if start > end:
        raise ApiError(400, f"from={start.isoformat()} is after to={end.isoformat()}")
    if end - start > timedelta(days=MAX_EXPORT_DAYS):
        raise ApiError(400, f"the range is more than {MAX_EXPORT_DAYS} days")
    quantities = [_quantity(text) for text in request.query.getall("quantity", [])]
    if not quantities:
        raise ApiError(400, "quantity is required: energy, demand, reactive, minute, cumulative")

    def query(ctx: _Context, now: datetime) -> tuple[Meter, str]:
        meter = ctx.meter(request)
        try:
            table = build_table(ctx.store, meter.id, quantities, start, end)
        except ExportError as exc:
            raise ApiError(404, str(exc)) from None
        out = io.StringIO()
        write_csv(table, out)
        return meter, out.getvalue()

    meter, text = await _query(request, query)
    name = _UNSAFE.sub("-", f"hemsnet-{meter.key}-{start.isoformat()}-{end.isoformat()}")
    return web.Response(
        text=text,
        content_type="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}.csv"},
    )


def _snapshot(ctx: _Context, key: str | None, now: datetime) -> Snapshot:
    if key is None and not ctx.store.meters():
        return Snapshot(None, None, link.waiting())
    meter = pick_meter(ctx.store, key)
    reading = live.now_reading(ctx.store, meter, now, ctx.controller)
    return Snapshot(reading, demand.forecast(ctx.store, meter, ctx.config), reading["link"])


def _snapshots(
    ctx: _Context, now: datetime, keys: Collection[str | None]
) -> dict[str | None, Snapshot]:
    return {key: _snapshot(ctx, key, now) for key in keys}


async def _stream(request: web.Request) -> web.StreamResponse:
    ctx = request.app[_CONTEXT]
    key = request.query.get("meter")
    if key is not None:
        await asyncio.to_thread(pick_meter, ctx.store, key)  # an unknown meter: 404 at once
    if request.method == "HEAD":
        return web.Response(content_type="text/event-stream")
    return await ctx.streams.serve(request, key)


async def _metrics(request: web.Request) -> web.Response:
    def query(ctx: _Context, now: datetime) -> bytes:
        return metrics.metrics_text(ctx.store, now, ctx.controller)

    body = await _query(request, query)
    return web.Response(body=body, headers={"Content-Type": metrics.CONTENT_TYPE})


async def _openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi())


def build_app(
    db_path: Path,
    config: DashboardConfig,
    now: Clock,
    controller: ControllerConfig | None = None,
    limits: StreamLimits | None = None,
    *,
    plan: DemandPlan | None = None,
) -> web.Application:
    """The dashboard for the store at ``db_path``; ``config.token``, when set, is required.

    ``now`` is the dashboard's clock (controller time); ``controller`` the controller's config,
    for its instant poll interval (link state) and backfill window (missing half-hours);
    ``limits`` those of the event streams (default: ``config.max_streams`` of them).
    """
    store = open_store(db_path)
    app = web.Application(middlewares=[guard(config.token)])
    limits = limits or StreamLimits(max_streams=config.max_streams)
    context = _Context(
        store, config, now, controller or ControllerConfig(), limits, plan or DemandPlan()
    )
    app[_CONTEXT] = context
    app.router.add_get("/", _page)
    app.router.add_static("/static/", STATIC)
    app.router.add_get("/api/meters", _meters)
    app.router.add_get("/api/now", _now)
    app.router.add_get("/api/power", _power)
    app.router.add_get("/api/appliances", _appliances)
    app.router.add_get("/api/demand", _demand)
    app.router.add_get("/api/control", _control)
    app.router.add_post("/api/control/override", _override)
    app.router.add_get("/api/energy", _energy)
    app.router.add_get("/api/health", _health)
    app.router.add_get("/api/export.csv", _export)
    app.router.add_get("/api/stream", _stream)
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/openapi.json", _openapi)
    app.on_response_prepare.append(secure_headers)

    async def on_shutdown(app: web.Application) -> None:
        context.streams.close()

    async def on_cleanup(app: web.Application) -> None:
        store.close()

    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    return app


def bind(listen: Listen) -> socket.socket:
    """A listening TCP socket; a port in use or an address not here is a one-line error."""
    family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
    try:
        return socket.create_server((listen.host, listen.port), family=family)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {listen}: {exc.strerror or exc}") from None


async def serve(app: web.Application, sock: socket.socket, stop: asyncio.Event) -> None:
    """Serve ``app`` on ``sock`` until ``stop`` is set (a :data:`hemsnet.aio.services.Service`
    once the first two are bound)."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=_SHUTDOWN)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        await stop.wait()
    finally:
        await runner.cleanup()
