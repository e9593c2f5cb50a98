"""The map page ``/`` and its static files (Leaflet 1.9.4 vendored from npm, no CDN)."""

from __future__ import annotations

import html
import json
from functools import lru_cache
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from podpac_exec.serve.context import ServeContext
from podpac_exec.serve.grids import get_tms
from podpac_exec.serve.responses import JSON_ERROR_HANDLERS

STATIC = Path(__file__).parent / "static"


@lru_cache(maxsize=1)
def _template() -> str:
    return (STATIC / "map.html").read_text(encoding="utf-8")


def page_html(ctx: ServeContext) -> str:
    tms = get_tms("WebMercatorQuad")
    config = {
        "pipelines": [{"name": p.name, "title": p.title, "hash": p.hash} for p in ctx.registry],
        "minZoom": max(ctx.config.min_zoom, tms.minzoom),
        "maxZoom": min(ctx.config.max_zoom, tms.maxzoom),
    }
    # "<" escaped so no value can close the script element
    text = json.dumps(config).replace("<", "\\u003c")
    title = html.escape(", ".join(ctx.registry.names()))
    return _template().replace("__TITLE__", title).replace("__CONFIG__", text)


def create_page_app(ctx: ServeContext) -> Starlette:
    def index(request: Request) -> Response:
        return HTMLResponse(page_html(ctx), headers={"Cache-Control": "no-cache"})

    routes = [Route("/", index), Mount("/static", StaticFiles(directory=STATIC))]
    return Starlette(routes=routes, exception_handlers=JSON_ERROR_HANDLERS)
