"""What every request and response of the dashboard goes through.

- Only GET and HEAD: the dashboard never changes anything (405 otherwise).
- A token, when one is set, on the data (``/api/``, ``/openapi.json``):
  ``Authorization: Bearer TOKEN`` or ``?token=TOKEN`` (401 otherwise), compared in constant
  time. The page is opened as ``/?token=TOKEN`` and adds the token to every URL it builds. The
  page and its files (``/``, ``/static/``) hold no data and are the same for everyone; they go
  without it, as a browser cannot add it to ``<script src>`` and the CSP forbids inline code.
- Headers: a strict Content-Security-Policy (the page loads only its own files), no MIME
  sniffing, no framing, no referrer (the token may be in the URL), and ``no-store`` for the API.
- Errors are JSON, ``{"error": "..."}`` [docs/dashboard.md].
"""

from __future__ import annotations

import secrets
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from hemsnet.web.common import ApiError

__all__ = ["SECURITY_HEADERS", "error_response", "guard", "secure_headers"]

_ALLOWED: Final = frozenset({"GET", "HEAD"})
#: The one route that changes anything: a person pausing demand control of an appliance
#: (docs/energy-management.md E9). It takes JSON only, which a form on another site cannot send
#: without the browser asking this server first (and it says no).
_POST: Final = frozenset({"/api/control/override"})
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": "default-src 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
_NO_STORE_PREFIXES: Final = ("/api/", "/openapi.json")
_PUBLIC_PREFIX: Final = "/static/"


def error_response(error: ApiError) -> web.Response:
    return web.json_response(error.body, status=error.status, headers=error.headers)


def _token_of(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value:
        return value.strip()
    return request.query.get("token")


def _public(path: str) -> bool:
    return path == "/" or path.startswith(_PUBLIC_PREFIX)


def guard(token: str) -> Middleware:
    """The middleware: method, then token (when ``token`` is not empty), then JSON errors."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        posting = request.method == "POST" and request.path in _POST
        if posting and request.content_type != "application/json":
            return error_response(ApiError(415, "send the override as application/json"))
        if request.method not in _ALLOWED and not posting:
            response = error_response(ApiError(405, f"{request.method} is not allowed; GET only"))
            response.headers["Allow"] = "GET, HEAD"
            return response
        if token and not _public(request.path):
            given = _token_of(request)
            if given is None or not secrets.compare_digest(given.encode(), token.encode()):
                what = "a wrong token" if given else "no token"
                response = error_response(
                    ApiError(401, f"{what}: open the URL with ?token=… printed at start")
                )
                response.headers["WWW-Authenticate"] = "Bearer"
                return response
        try:
            return await handler(request)
        except ApiError as error:
            return error_response(error)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return error_response(ApiError(exc.status, f"{request.path}: {exc.reason.lower()}"))

    return middleware


async def secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: the headers every answer carries, errors and files included."""
    response.headers.update(SECURITY_HEADERS)
    if request.path.startswith(_NO_STORE_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
