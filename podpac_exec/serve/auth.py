"""The optional API key (``serve.api_token``): an ASGI middleware in front of every app.

The key may come as an ``X-API-Key`` header, ``Authorization: Bearer``, the ``api_key`` query
parameter (OGC clients and the map page's first load) or the cookie set after such a load, so the
page's tile requests carry it without putting it in every URL. Static files are public.
"""

from __future__ import annotations

import hmac
from http.cookies import SimpleCookie
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs

from starlette.responses import JSONResponse

COOKIE = "podpac_exec_api_key"
QUERY = "api_key"
PUBLIC_PREFIXES = ("/static/",)

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]], Awaitable[None]]


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self.token or scope["path"].startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        presented, from_query = presented_key(scope)
        if presented is None or not hmac.compare_digest(presented.encode(), self.token):
            reason = "missing" if presented is None else "wrong"
            response = JSONResponse(
                {"error": f"API key {reason}: send it as the X-API-Key header or the api_key parameter"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        if not from_query:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                cookie = f"{COOKIE}={presented}; Path=/; HttpOnly; SameSite=Strict"
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def presented_key(scope: Scope) -> tuple[str | None, bool]:
    """The key a request carries, and whether it came in the query string."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    if headers.get("x-api-key"):
        return headers["x-api-key"], False
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), False
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    for name, values in query.items():
        if name.lower() == QUERY and values:
            return values[0], True
    if "cookie" in headers:
        morsel = SimpleCookie(headers["cookie"]).get(COOKIE)
        if morsel is not None:
            return morsel.value, False
    return None, False
