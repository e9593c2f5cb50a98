"""WMS 1.3.0: ``GetCapabilities`` and ``GetMap`` (PNG) of the served pipelines.

CRS EPSG:4326 takes BBOX as minlat,minlon,maxlat,maxlon (the axis order WMS 1.3.0 requires),
CRS:84 as minlon,minlat,maxlon,maxlat, EPSG:3857 in metres (evaluated at the pixel centres'
lat/lon). Styles: ``default`` (the node's PODPAC style) or a colormap name; ``colormap``, ``vmin``
and ``vmax`` are vendor parameters. Errors are ``ServiceExceptionReport`` XML with a 4xx status.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from podpac_exec.serve import encode
from podpac_exec.serve.cache import cache_key
from podpac_exec.serve.context import ServeContext
from podpac_exec.serve.errors import ServeRequestError
from podpac_exec.serve.grids import MERCATOR_LIMIT, mercator_y
from podpac_exec.serve.ows import (
    XLINK, Params, element, link, grid_for, ogc_error_handlers, online_resource, parse_bbox, parse_crs, parse_size, xml_response,
)
from podpac_exec.serve.registry import ServedPipeline
from podpac_exec.serve.style import Style, colorize

VERSION = "1.3.0"
WMS = "http://www.opengis.net/wms"
CODES = frozenset({
    "InvalidFormat", "InvalidCRS", "LayerNotDefined", "StyleNotDefined", "LayerNotQueryable", "InvalidPoint",
    "CurrentUpdateSequence", "InvalidUpdateSequence", "MissingDimensionValue", "InvalidDimensionValue",
    "OperationNotSupported",
})
CRSS = ("EPSG:4326", "CRS:84", "EPSG:3857")
STYLES = ("default", "viridis", "magma", "cividis", "gray", "jet", "coolwarm")
MAX_MERCATOR_LAT = 85.0511287798066


def create_wms_app(ctx: ServeContext) -> Starlette:
    def wms(request: Request) -> Response:
        params = Params(request)
        operation = params.require("REQUEST")
        service = params.get("SERVICE")
        if operation.lower() == "getcapabilities":
            if (service or "").upper() != "WMS":
                raise ServeRequestError("SERVICE must be WMS", field="SERVICE")
            return xml_response(capabilities(ctx, request), "text/xml")
        if operation.lower() == "getmap":
            return get_map(ctx, params)
        raise ServeRequestError(
            f"REQUEST {operation!r} is not supported; use GetCapabilities or GetMap",
            field="REQUEST", code="OperationNotSupported",
        )

    return Starlette(routes=[Route("/wms", wms)], exception_handlers=ogc_error_handlers(VERSION, "text/xml", CODES))


def get_map(ctx: ServeContext, params: Params) -> Response:
    version = params.require("VERSION")
    if version != VERSION:
        raise ServeRequestError(f"VERSION must be {VERSION} for GetMap, got {version!r}", field="VERSION")
    layers = [name.strip() for name in params.require("LAYERS").split(",")]
    pipelines = [ctx.registry.get(name, field="LAYERS") for name in layers]
    style_names = [s.strip() for s in (params.get("STYLES") or "").split(",")]
    if style_names == [""]:
        style_names = [""] * len(layers)
    if len(style_names) != len(layers):
        raise ServeRequestError(f"STYLES has {len(style_names)} entries for {len(layers)} LAYERS", field="STYLES")
    crs = parse_crs(params.require("CRS"))
    bbox = parse_bbox(params.require("BBOX"))
    width = parse_size(params, "WIDTH", ctx.config.max_image_size)
    height = parse_size(params, "HEIGHT", ctx.config.max_image_size)
    fmt = params.require("FORMAT")
    if fmt.split(";")[0].strip().lower() != "image/png":
        raise ServeRequestError(f"FORMAT {fmt!r} is not offered; use image/png", field="FORMAT", code="InvalidFormat")
    transparent = _boolean(params.get("TRANSPARENT") or "FALSE", "TRANSPARENT")
    background = _color(params.get("BGCOLOR") or "0xFFFFFF")
    if width * height > ctx.config.max_request_cells:
        raise ServeRequestError(
            f"WIDTH x HEIGHT = {width * height} cells, above serve.max_request_cells={ctx.config.max_request_cells}",
            field="WIDTH",
        )
    grid = grid_for(crs, bbox, width, height, lat_first=crs == "EPSG:4326")
    styles = [_layer_style(ctx, p, name, params) for p, name in zip(pipelines, style_names)]
    key = cache_key(
        "wms", *(p.hash for p in pipelines), *(s.key for s in styles), grid.crs, grid.bounds, width, height,
        transparent, background,
    )

    def render() -> bytes:
        image = np.zeros((height, width, 4), dtype=np.uint8)
        if not transparent:
            image[...] = (*background, 255)
        for pipeline, style in zip(pipelines, styles):
            image = _over(colorize(ctx.grid_values(pipeline, grid), style), image)
        return encode.png(image)

    return Response(ctx.cached(key, render), media_type="image/png")


def _layer_style(ctx: ServeContext, pipeline: ServedPipeline, name: str, params: Params) -> Style:
    vendor = params.vendor()
    if name not in ("", "default"):
        if name not in STYLES:
            raise ServeRequestError(
                f"style {name!r} is not defined for layer {pipeline.name!r}; styles: {', '.join(STYLES)}",
                field="STYLES", code="StyleNotDefined",
            )
        vendor.setdefault("colormap", name)
    return ctx.style(pipeline, vendor)


def _over(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """``top`` composited over ``bottom`` (straight alpha); our colours are opaque or clear."""
    opaque = top[..., 3:4] > 0
    return np.where(opaque, top, bottom)


def _boolean(text: str, name: str) -> bool:
    value = text.strip().upper()
    if value not in ("TRUE", "FALSE"):
        raise ServeRequestError(f"{name} must be TRUE or FALSE, got {text!r}", field=name)
    return value == "TRUE"


def _color(text: str) -> tuple[int, int, int]:
    digits = text.strip()
    if digits[:2].lower() == "0x":
        digits = digits[2:]
    if len(digits) != 6 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise ServeRequestError(f"BGCOLOR must be 0xRRGGBB, got {text!r}", field="BGCOLOR")
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def capabilities(ctx: ServeContext, request: Request) -> ET.Element:
    url = online_resource(request, "wms")
    root = element(None, "WMS_Capabilities", version=VERSION, xmlns=WMS, **{"xmlns:xlink": XLINK})
    service = element(root, "Service")
    element(service, "Name", "WMS")
    element(service, "Title", "podpac-exec pipelines")
    element(service, "Abstract", f"podpac-exec serves {', '.join(ctx.registry.names())}")
    element(service, "OnlineResource", **link(url))
    element(service, "LayerLimit", str(len(ctx.registry)))
    element(service, "MaxWidth", str(ctx.config.max_image_size))
    element(service, "MaxHeight", str(ctx.config.max_image_size))
    capability = element(root, "Capability")
    requests = element(capability, "Request")
    for name, formats in (("GetCapabilities", ["text/xml"]), ("GetMap", ["image/png"])):
        op = element(requests, name)
        for f in formats:
            element(op, "Format", f)
        get = element(element(element(op, "DCPType"), "HTTP"), "Get")
        element(get, "OnlineResource", **link(url))
    element(element(capability, "Exception"), "Format", "XML")
    top = element(capability, "Layer")
    element(top, "Title", "podpac-exec pipelines")
    for crs in CRSS:
        element(top, "CRS", crs)
    _bounding_boxes(top, (-180.0, -90.0, 180.0, 90.0))
    base = str(request.base_url).rstrip("/")
    for pipeline in ctx.registry:
        layer = element(top, "Layer", queryable="0", opaque="0")
        element(layer, "Name", pipeline.name)
        element(layer, "Title", pipeline.title)
        element(layer, "Abstract", f"podpac-exec pipeline {pipeline.name}, hash {pipeline.hash}")
        _bounding_boxes(layer, pipeline.bounds)
        for style in STYLES:
            el = element(layer, "Style")
            element(el, "Name", style)
            element(el, "Title", "the pipeline's own style" if style == "default" else f"colormap {style}")
            legend = element(el, "LegendURL", width="256", height="16")
            element(legend, "Format", "image/png")
            query = {"layer": pipeline.name, **({} if style == "default" else {"colormap": style})}
            href = f"{base}/colorbar.png?{urlencode(query)}"
            element(legend, "OnlineResource", **link(href))
    return root


def _bounding_boxes(layer: ET.Element, bounds: tuple[float, float, float, float]) -> None:
    west, south, east, north = bounds
    geo = element(layer, "EX_GeographicBoundingBox")
    for tag, value in (("westBoundLongitude", west), ("eastBoundLongitude", east),
                       ("southBoundLatitude", south), ("northBoundLatitude", north)):
        element(geo, tag, repr(value))
    element(layer, "BoundingBox", CRS="CRS:84", minx=repr(west), miny=repr(south), maxx=repr(east), maxy=repr(north))
    element(layer, "BoundingBox", CRS="EPSG:4326", minx=repr(south), miny=repr(west), maxx=repr(north), maxy=repr(east))
    low, high = max(south, -MAX_MERCATOR_LAT), min(north, MAX_MERCATOR_LAT)
    x0, x1 = west / 180 * MERCATOR_LIMIT, east / 180 * MERCATOR_LIMIT
    element(layer, "BoundingBox", CRS="EPSG:3857", minx=repr(x0), miny=repr(mercator_y(low)),
            maxx=repr(x1), maxy=repr(mercator_y(high)))

