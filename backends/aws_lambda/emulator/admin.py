"""The emulator's own HTTP API under ``/_emulator/``: reset, faults, settings, containers, events."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from .errors import AwsError
from .faults import Faults

if TYPE_CHECKING:
    from .server import EmulatorApp

Answer = tuple[int, list[tuple[str, str]], bytes]


def _json(doc: Any, status: int = 200) -> Answer:
    return status, [("Content-Type", "application/json")], json.dumps(doc).encode()


def _bad_request(message: str) -> AwsError:
    return AwsError(400, "EmulatorRequestError", message)


def handle(app: EmulatorApp, method: str, route: str, environ: dict[str, Any], body: bytes) -> Answer:
    """Answer one admin request (``route`` is the path after ``/_emulator/``)."""
    try:
        doc = json.loads(body) if body.strip() else {}
    except ValueError as e:
        raise _bad_request(f"body is not JSON: {e}") from e
    route = route.strip("/")
    if route == "ping":
        return _json({"ok": True})
    if route == "status" and method == "GET":
        return _json(app.status())
    if route == "reset" and method == "POST":
        app.reset()
        return _json({"ok": True})
    if route == "faults":
        if method == "POST":
            try:
                app.faults.set(Faults.from_dict(doc))
            except (TypeError, ValueError) as e:
                raise _bad_request(str(e)) from e
        return _json(app.faults.faults.as_dict())
    if route == "settings":
        if method == "POST":
            try:
                app.settings = app.settings.updated(doc)
            except (TypeError, ValueError) as e:
                raise _bad_request(str(e)) from e
        return _json(app.settings.as_dict())
    if route == "containers":
        return _json(app.pool.snapshot())
    if route == "containers/stop" and method == "POST":
        app.pool.stop_all()
        return _json({"ok": True})
    if route == "function-urls" and method == "GET":
        return _json(app.function_urls.listing())
    if route == "async" and method == "GET":
        timeout = float(parse_qs(environ.get("QUERY_STRING", "")).get("timeout_s", ["30"])[0])
        return _json(app.invoker.background.wait(timeout))
    raise AwsError(404, "EmulatorRouteNotFound", f"no emulator route {method} /_emulator/{route} (pid {os.getpid()})")
