"""XYZ/WMTS tiles ``/tiles/{TileMatrixSet}/{z}/{x}/{y}.png|.tif|.npy`` and their TileJSON."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from podpac_exec.serve import encode
from podpac_exec.serve.context import ServeContext
from podpac_exec.serve.errors import ServeRequestError
from podpac_exec.serve.grids import get_tms, tile_grid
from podpac_exec.serve.responses import JSON_ERROR_HANDLERS, binary

TILE_FORMATS = ("png", "tif", "npy")
DEFAULT_TILE_SIZE = 256
STYLE_PARAMS = ("colormap", "vmin", "vmax")


def create_tiles_app(ctx: ServeContext) -> Starlette:
    async def tile(request: Request) -> Response:
        p = request.path_params
        fmt = p["fmt"]
        if fmt not in TILE_FORMATS:
            raise ServeRequestError(f"unknown tile format {fmt!r}; use {', '.join(TILE_FORMATS)}", field="format", status=404)
        z, x, y = (_tile_index(p[k], k) for k in ("z", "x", "y"))
        params = dict(request.query_params)
        pipeline = ctx.registry.get(params.get("layer"))
        size = tile_size(params, ctx.config.max_tile_size)
        grid = tile_grid(p["tms"], z, x, y, size, ctx.config.min_zoom, ctx.config.max_zoom)
        if params.get("style") not in (None, "", "default"):  # a WMTS style: a colormap name
            params.setdefault("colormap", params["style"])
        data, key = await ctx.render_request(pipeline, grid, fmt, params)
        return binary(request, data, encode.MEDIA_TYPES[fmt], key)

    def tilejson(request: Request) -> Response:
        params = dict(request.query_params)
        tms_name = request.path_params.get("tms") or params.get("tms") or "WebMercatorQuad"
        tms = get_tms(tms_name)
        pipeline = ctx.registry.get(params.get("layer"))
        ctx.style(pipeline, params)  # a bad colormap or vmin fails here, not in every tile
        query = {"layer": pipeline.name, **{k: params[k] for k in (*STYLE_PARAMS, "tilesize") if params.get(k)}}
        base = str(request.base_url)
        minzoom = max(ctx.config.min_zoom, tms.minzoom)
        maxzoom = min(ctx.config.max_zoom, tms.maxzoom)
        west, south, east, north = pipeline.bounds
        return JSONResponse(
            {
                "tilejson": "3.0.0",
                "name": pipeline.name,
                "description": f"podpac-exec pipeline {pipeline.name} ({pipeline.hash})",
                "version": "1.0.0",
                "scheme": "xyz",
                "tiles": [f"{base}tiles/{tms_name}/{{z}}/{{x}}/{{y}}.png?{urlencode(query)}"],
                "minzoom": minzoom,
                "maxzoom": maxzoom,
                "bounds": [west, south, east, north],
                "center": [(west + east) / 2, (south + north) / 2, minzoom],
                "tileMatrixSet": tms_name,
                "pipeline_hash": pipeline.hash,
            }
        )

    routes = [
        Route("/tiles/{tms}/{z}/{x}/{y}.{fmt}", tile),
        Route("/tiles/{tms}/tilejson.json", tilejson),
        Route("/tilejson.json", tilejson),
    ]
    return Starlette(routes=routes, exception_handlers=JSON_ERROR_HANDLERS)


def tile_size(params: dict[str, str], maximum: int) -> int:
    text = params.get("tilesize")
    if not text:
        return DEFAULT_TILE_SIZE
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise ServeRequestError(f"tilesize must be an integer in 1..{maximum}, got {text!r}", field="tilesize")
    return int(text)


def _tile_index(text: str, name: str) -> int:
    if not text.isdigit() or len(text) > 10:
        raise ServeRequestError(f"{name} must be a non-negative integer, got {text!r}", field=name, status=404)
    return int(text)

