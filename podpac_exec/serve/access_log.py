"""The access log: an ASGI middleware writing one line per HTTP request to stderr, in uvicorn's
format (``INFO:     127.0.0.1:53422 - "GET /tiles/...png?layer=wave HTTP/1.1" 200``), with any
``api_key=`` value masked.

It replaces uvicorn's own access log, whose ``logging`` record per request cost about as much
CPU as answering a cached tile: here a line is one f-string and one write (stderr is
line-buffered), after the response is sent.
"""

from __future__ import annotations

import re
import sys
from typing import IO, Any

from podpac_exec.serve.auth import ASGIApp, Scope

PREFIX = "INFO:     "  # uvicorn's level prefix, uncoloured
_KEY_IN_QUERY = re.compile(r"(api_key=)[^&\s\"]*", re.I)


class AccessLog:
    """``app`` with a line per HTTP request on ``stream`` (default: ``sys.stderr`` at the time of writing)."""

    def __init__(self, app: ASGIApp, stream: IO[str] | None = None) -> None:
        self.app = app
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the server answers when the app raises before responding

        async def send_noting_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            try:
                (self.stream or sys.stderr).write(access_line(scope, status))
            except (OSError, ValueError):  # stderr closed or its pipe broken: the request still stands
                pass


def access_line(scope: Scope, status: int) -> str:
    """The log line of a request answered with ``status``."""
    client = scope.get("client")
    where = f"{client[0]}:{client[1]}" if client else "-"
    path = scope.get("raw_path") or scope["path"].encode()
    target = path.decode("latin-1")
    query = scope.get("query_string", b"")
    if query:
        text = query.decode("latin-1")
        target += "?" + (_KEY_IN_QUERY.sub(r"\1****", text) if "api_key" in text.lower() else text)
    return f'{PREFIX}{where} - "{scope["method"]} {target} HTTP/{scope["http_version"]}" {status}\n'
