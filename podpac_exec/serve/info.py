"""What a client asks about a pipeline: ``/point`` (the value at a lat/lon), ``/legend.json``,
``/colorbar.png`` and ``/pipelines.json``."""

from __future__ import annotations

import math

import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from podpac_exec.coordinates import ArrayCoordinates1d, Coordinates
from podpac_exec.serve import encode
from podpac_exec.serve.cache import cache_key
from podpac_exec.serve.context import ServeContext
from podpac_exec.serve.errors import ServeRequestError
from podpac_exec.serve.responses import JSON_ERROR_HANDLERS, binary
from podpac_exec.serve.style import LUT_SIZE, lut

MAX_COLORBAR = 1024


def create_info_app(ctx: ServeContext) -> Starlette:
    def point(request: Request) -> Response:
        params = dict(request.query_params)
        pipeline = ctx.registry.get(params.get("layer"))
        lat = _number(params, "lat", -90, 90)
        lon = _number(params, "lon", -180, 180)
        coords = Coordinates([ArrayCoordinates1d([lat], "lat"), ArrayCoordinates1d([lon], "lon")])
        value = float(ctx.evaluate(pipeline, coords)[0, 0])
        return JSONResponse(
            {"layer": pipeline.name, "hash": pipeline.hash, "lat": lat, "lon": lon,
             "value": value if math.isfinite(value) else None}
        )

    def legend(request: Request) -> Response:
        params = dict(request.query_params)
        pipeline = ctx.registry.get(params.get("layer"))
        style = ctx.style(pipeline, params)
        stops = lut(style.colormap)[:: LUT_SIZE // 16]
        return JSONResponse(
            {
                "layer": pipeline.name, "title": pipeline.title, "hash": pipeline.hash,
                "colormap": style.colormap, "vmin": style.vmin, "vmax": style.vmax,
                "units": pipeline.node.style.get("units") or "",
                "colors": ["#%02x%02x%02x" % tuple(int(c) for c in rgba[:3]) for rgba in stops],
            }
        )

    def colorbar(request: Request) -> Response:
        params = dict(request.query_params)
        pipeline = ctx.registry.get(params.get("layer"))
        style = ctx.style(pipeline, params)
        width = int(_number(params, "width", 1, MAX_COLORBAR, default=256, integer=True))
        height = int(_number(params, "height", 1, MAX_COLORBAR, default=16, integer=True))
        ramp = lut(style.colormap)[np.minimum(np.arange(width) * LUT_SIZE // width, LUT_SIZE - 1)]
        data = encode.png(np.ascontiguousarray(np.broadcast_to(ramp, (height, width, 4))))
        return binary(request, data, "image/png", cache_key("colorbar", style.key, width, height))

    def pipelines(request: Request) -> Response:
        return JSONResponse(
            [
                {"name": p.name, "title": p.title, "hash": p.hash, "bounds": list(p.bounds), "style": dict(p.node.style)}
                for p in ctx.registry
            ]
        )

    routes = [
        Route("/point", point),
        Route("/legend.json", legend),
        Route("/colorbar.png", colorbar),
        Route("/pipelines.json", pipelines),
    ]
    return Starlette(routes=routes, exception_handlers=JSON_ERROR_HANDLERS)


def _number(
    params: dict[str, str], name: str, low: float, high: float, default: float | None = None, integer: bool = False
) -> float:
    text = params.get(name)
    if text is None or text == "":
        if default is None:
            raise ServeRequestError(f"{name} is required", field=name)
        return default
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        raise ServeRequestError(f"{name} must be {'an integer' if integer else 'a number'}, got {text!r}", field=name) from None
    if not (math.isfinite(value) and low <= value <= high):
        raise ServeRequestError(f"{name} must be in {low}..{high}, got {text!r}", field=name)
    return value
