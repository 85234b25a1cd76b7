"""The OpenAPI 3.1 description of the dashboard's routes, served at /openapi.json.

Kept as data beside the handlers; a test checks that it names exactly the app's routes.
"""

from __future__ import annotations

from typing import Any, Final

from hemsnet.localtime import WINDOW

__all__ = ["openapi"]

_TIME: Final = {"type": "string", "format": "date-time", "description": "naive local time"}
_DATE: Final = {"type": "string", "format": "date"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties)}


_NUMBER: Final = _nullable({"type": "number"})
_N_TIME: Final = _nullable(_TIME)
_COUNT: Final = {"type": "integer", "minimum": 0}

_SCHEMAS: Final[dict[str, Any]] = {
    "Error": {
        "type": "object",
        "properties": {"error": {"type": "string"}, "waiting": {"type": "boolean"}},
        "required": ["error"],
    },
    "Link": _object(
        state={"enum": ["up", "stale", "down", "fault", "waiting"]},
        last_answer_at=_N_TIME,
        last_notification_at=_N_TIME,
        in_fault={"type": "boolean"},
        since=_N_TIME,
    ),
    "Now": _object(
        meter={"type": "string"},
        at=_N_TIME,
        power_w=_nullable({"type": "integer"}),
        current_r_a=_NUMBER,
        current_t_a=_NUMBER,
        link={"$ref": "#/components/schemas/Link"},
    ),
    "Power": _object(
        meter={"type": "string"},
        minutes={"type": "integer"},
        points={"type": "array", "items": _object(at=_TIME, power_w={"type": "integer"})},
    ),
    "Appliances": _object(
        appliances={
            "type": "array",
            "items": _object(
                key={"type": "string"},
                address={"type": "string"},
                eoj={"type": "string"},
                **{"class": {"type": "string"}},
                reachable={"type": "boolean"},
                last_seen=_TIME,
                power_w=_nullable({"type": "integer"}),
                operating=_nullable({"type": "boolean"}),
                at=_N_TIME,
            ),
        }
    ),
    "Forecast": _object(
        period_start=_TIME,
        period_end=_TIME,
        at=_TIME,
        energy_kwh={"type": "number"},
        elapsed_s={"type": "integer"},
        forecast_kw={"type": "number"},
        low_kw={"type": "number"},
        high_kw={"type": "number"},
        power_kw={"type": "number"},
        level={"enum": ["normal", "warning", "alarm", "unknown"]},
        target_kw=_NUMBER,
        warning_kw=_NUMBER,
        alarm_kw=_NUMBER,
    ),
    "ControlAction": _object(
        at=_TIME,
        appliance={"type": "string"},
        kind={"enum": ["shed", "restore"]},
        step={"type": "integer"},
        reason={"type": "string"},
        epc={"type": "string"},
        edt={"type": "string"},
        target_kw={"type": "number"},
        projected_kw=_NUMBER,
        high_kw=_NUMBER,
        meter_kw=_NUMBER,
        power_before_w=_nullable({"type": "integer"}),
        power_after_w=_nullable({"type": "integer"}),
        outcome={"enum": ["sent", "accepted", "retried", "refused", "unanswered"]},
        outcome_reason={"type": "string"},
    ),
    "Control": _object(
        enabled={"type": "boolean"},
        target_kw=_NUMBER,
        step={"type": "integer"},
        appliances={
            "type": "array",
            "items": _object(
                name={"type": "string"},
                eoj={"type": "string"},
                action={"type": "string"},
                priority={"type": "integer"},
                reachable={"type": "boolean"},
                power_w=_nullable({"type": "integer"}),
                shed={"type": "boolean"},
                paused={"type": "boolean"},
                last=_nullable({"$ref": "#/components/schemas/ControlAction"}),
            ),
        },
        actions={"type": "array", "items": {"$ref": "#/components/schemas/ControlAction"}},
        dr_event=_nullable(
            _object(
                event_id={"type": "string"},
                signal={"type": "string"},
                payload={"type": "number"},
                target_kw=_NUMBER,
                start=_TIME,
                end=_TIME,
                opt={"enum": ["optIn", "optOut"]},
                active={"type": "boolean"},
            )
        ),
    ),
    "Override": _object(appliance={"type": "string"}, paused={"type": "boolean"}),
    "MonthMax": _object(
        normal_kw=_NUMBER,
        reverse_kw=_NUMBER,
        read_at=_N_TIME,
        at=_N_TIME,
        month_start=_nullable(_DATE),
    ),
    "Demand": _object(
        meter={"type": "string"},
        date=_DATE,
        unit={"const": "kW"},
        target_kw=_NUMBER,
        warning_kw=_NUMBER,
        alarm_kw=_NUMBER,
        slots={
            "type": "array",
            "minItems": 48,
            "maxItems": 48,
            "items": _object(
                end=_TIME,
                normal_kw=_NUMBER,
                reverse_kw=_NUMBER,
                provisional={"type": "boolean"},
            ),
        },
        has_reverse={"type": "boolean"},
        forecast=_nullable({"$ref": "#/components/schemas/Forecast"}),
        month_max={"$ref": "#/components/schemas/MonthMax"},
    ),
    "Energy": _object(
        meter={"type": "string"},
        days={
            "type": "array",
            "items": _object(
                date=_DATE,
                imported_kwh=_NUMBER,
                exported_kwh=_NUMBER,
                reactive_kvarh=_NUMBER,
                power_factor=_nullable({"type": "number", "minimum": 0, "maximum": 1}),
                complete={"type": "boolean"},
            ),
        },
        months={
            "type": "array",
            "items": _object(
                month={"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                imported_kwh=_NUMBER,
                exported_kwh=_NUMBER,
                days=_COUNT,
                days_in_month=_COUNT,
                complete={"type": "boolean"},
            ),
        },
        units=_object(energy={"const": "kWh"}, reactive={"const": "kvarh"}),
    ),
    "Identity": _object(
        key={"type": "string"},
        address={"type": "string"},
        maker_code=_nullable({"type": "string"}),
        production_number=_nullable({"type": "string"}),
        route_b_id=_nullable({"type": "string"}),
        release=_nullable({"type": "string"}),
        coefficient=_nullable({"type": "integer"}),
        multiplier=_nullable({"type": "string"}),
        units=_object(
            energy=_nullable({"type": "string"}),
            demand=_nullable({"type": "string"}),
            reactive=_nullable({"type": "string"}),
        ),
        digits=_object(
            energy=_nullable({"type": "integer"}),
            demand=_nullable({"type": "integer"}),
            reactive=_nullable({"type": "integer"}),
        ),
        fixed_date=_nullable({"type": "integer"}),
        absent={"type": "array", "items": {"type": "string"}},
    ),
    "Health": _object(
        meter={"$ref": "#/components/schemas/Identity"},
        link={"$ref": "#/components/schemas/Link"},
        gaps=_object(
            open=_COUNT,
            filled=_COUNT,
            unrecoverable=_COUNT,
            recent={
                "type": "array",
                "maxItems": 50,
                "items": _object(
                    series={"type": "string"},
                    start=_TIME,
                    end=_TIME,
                    status={"enum": ["open", "filled", "unrecoverable"]},
                    opened_at=_TIME,
                    closed_at=_N_TIME,
                ),
            },
        ),
        missing_half_hours=_COUNT,
        recovered_half_hours=_COUNT,
        faults={"type": "array", "items": _object(start=_TIME, end=_N_TIME)},
        requests=_object(
            sent=_COUNT,
            answered=_COUNT,
            refused=_COUNT,
            timed_out=_COUNT,
            late_discarded=_COUNT,
            foreign_dropped=_COUNT,
            malformed=_COUNT,
            unsolicited=_COUNT,
            rejected=_COUNT,
            disputed=_COUNT,
        ),
        store=_object(free_bytes=_COUNT, writable={"type": "boolean"}, ok={"type": "boolean"}),
    ),
    "Meters": _object(
        meters={
            "type": "array",
            "items": _object(
                key={"type": "string"},
                address={"type": "string"},
                first_seen=_TIME,
                last_seen=_TIME,
            ),
        }
    ),
}


def _query(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema, **extra}


_METER: Final = _query(
    "meter", "the meter's store key (default: the most recently seen)", {"type": "string"}
)
_TOKEN: Final = _query("token", "the access token, when the server needs one", {"type": "string"})


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _get(
    summary: str, schema: str | None, *parameters: dict[str, Any], media: str = "application/json"
) -> dict[str, Any]:
    content = (
        {media: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
        if schema
        else {media: {"schema": {"type": "string"}}}
    )
    return {
        "get": {
            "summary": summary,
            "parameters": [*parameters, _TOKEN],
            "responses": {
                "200": {"description": "OK", "content": content},
                "400": _error("a bad parameter"),
                "401": _error("the token is missing or wrong"),
                "404": _error("no such meter, or no meter stored yet (waiting: true)"),
            },
        }
    }


_PATHS: Final[dict[str, Any]] = {
    "/": _get("the dashboard page", None, media="text/html"),
    "/static/{filename}": _get(
        "the page's scripts, styles and the vendored chart library",
        None,
        {"name": "filename", "in": "path", "required": True, "schema": {"type": "string"}},
        media="application/octet-stream",
    ),
    "/api/meters": _get("the meters in the store", "Meters"),
    "/api/now": _get("the latest power and currents, and the link", "Now", _METER),
    "/api/demand": _get(
        "the 48 half-hour demands of a day, the forecast and the month's maximum",
        "Demand",
        _METER,
        _query("date", "the day (default: the meter's today)", _DATE),
    ),
    "/api/energy": _get(
        "energy per day and month, reactive energy and power factor per day",
        "Energy",
        _METER,
        _query("from", "first day (default: 30 days before today)", _DATE),
        _query("to", "day after the last (default: tomorrow); at most 400 days", _DATE),
    ),
    "/api/power": _get(
        "power (EA) of the last minutes before the newest reading, for the live chart",
        "Power",
        _METER,
        _query("minutes", "how many minutes (1..60, default 10)", {"type": "integer"}),
    ),
    "/api/appliances": _get(
        "the appliances found on the HEMS networks, with their latest power", "Appliances"
    ),
    "/api/control": _get(
        "demand control: the plan's appliances, their state and why, today's decisions",
        "Control",
    ),
    "/api/control/override": {
        "post": {
            "summary": "pause demand control of an appliance, or hand it back",
            "parameters": [_TOKEN],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Override"}}
                },
            },
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Override"}}
                    },
                },
                "400": _error("not {appliance, paused}"),
                "401": _error("the token is missing or wrong"),
                "404": _error("no such appliance in the demand plan"),
                "415": _error("not application/json"),
            },
        }
    },
    "/api/health": _get("identity, link, gaps, faults and request counters", "Health", _METER),
    "/api/export.csv": _get(
        "the CSV of `hemsnet export --format csv` for the range",
        None,
        _METER,
        _query("from", "first instant, included (meter time)", _TIME, required=True),
        _query("to", "end, excluded (meter time)", _TIME, required=True),
        _query(
            "quantity",
            "repeatable",
            {
                "type": "array",
                "items": {"enum": ["energy", "demand", "reactive", "minute", "cumulative"]},
            },
            required=True,
            explode=True,
        ),
        media="text/csv",
    ),
    "/metrics": _get(
        "the store now in the Prometheus text format (docs/dashboard.md, Metrics)",
        None,
        media="text/plain",
    ),
    "/api/stream": _get(
        "server-sent events: `now` (Now), `forecast` (Forecast or null), `health` (Link); "
        "a `: keep-alive` comment every 15 s",
        None,
        _METER,
        media="text/event-stream",
    ),
    "/openapi.json": _get("this document", None),
}


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hemsnet dashboard",
            "version": "1",
            "description": "Read-only view of the controller's store: demand, energy, health. "
            "GET and HEAD only; times are naive local ISO strings, and those asked for lie in "
            f"{WINDOW}. See docs/dashboard.md.",
        },
        "paths": _PATHS,
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"bearer": []}],
    }
