"""WCS 1.0.0: ``GetCapabilities``, ``DescribeCoverage`` and ``GetCoverage`` (GeoTIFF, netCDF).

Coverages are the served pipelines. BBOX is minx,miny,maxx,maxy in the CRS's x/y order (lon,lat
for EPSG:4326, as WCS 1.0.0 has it); the grid is WIDTH x HEIGHT or follows from RESX/RESY.
RESPONSE_CRS, when given, must equal CRS (no reprojection). Errors are ``ServiceExceptionReport``
XML (version 1.2.0, the one WCS 1.0.0 names) with a 4xx status.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from podpac_exec.serve.context import ServeContext
from podpac_exec.serve.errors import ServeRequestError
from podpac_exec.serve.ows import (
    XLINK, Params, element, grid_for, link, ogc_error_handlers, online_resource, parse_bbox, parse_crs, parse_size,
    xml_response,
)
from podpac_exec.serve.registry import ServedPipeline

VERSION = "1.0.0"
WCS = "http://www.opengis.net/wcs"
GML = "http://www.opengis.net/gml"
EXCEPTION_TYPE = "application/vnd.ogc.se_xml"
CODES = frozenset({
    "InvalidFormat", "CoverageNotDefined", "CurrentUpdateSequence", "InvalidUpdateSequence",
    "MissingParameterValue", "InvalidParameterValue",
})
CRSS = ("EPSG:4326", "EPSG:3857")
#: FORMAT spellings -> (encoder key, media type, file extension)
FORMATS = {
    "geotiff": ("tif", "image/tiff", "tif"),
    "image/tiff": ("tif", "image/tiff", "tif"),
    "netcdf": ("nc", "application/x-netcdf", "nc"),
    "application/x-netcdf": ("nc", "application/x-netcdf", "nc"),
}
NOMINAL_RESOLUTION = 0.25  # degrees: the grid DescribeCoverage advertises; pipelines have none of their own


def create_wcs_app(ctx: ServeContext) -> Starlette:
    def wcs(request: Request) -> Response:
        params = Params(request)
        service = params.require("SERVICE", code="MissingParameterValue")
        if service.upper() != "WCS":
            raise ServeRequestError(f"SERVICE must be WCS, got {service!r}", field="SERVICE", code="InvalidParameterValue")
        operation = params.require("REQUEST", code="MissingParameterValue").lower()
        version = params.get("VERSION")
        if operation != "getcapabilities" and version != VERSION:
            raise ServeRequestError(f"VERSION must be {VERSION}, got {version!r}", field="VERSION", code="InvalidParameterValue")
        if operation == "getcapabilities":
            return xml_response(capabilities(ctx, request), "text/xml")
        if operation == "describecoverage":
            names = [n.strip() for n in (params.get("COVERAGE") or ",".join(ctx.registry.names())).split(",")]
            return xml_response(describe(ctx, [_coverage(ctx, n) for n in names]), "text/xml")
        if operation == "getcoverage":
            return get_coverage(ctx, params)
        raise ServeRequestError(
            f"REQUEST {params.get('REQUEST')!r} is not supported; use GetCapabilities, DescribeCoverage or GetCoverage",
            field="REQUEST", code="InvalidParameterValue",
        )

    return Starlette(routes=[Route("/wcs", wcs)], exception_handlers=ogc_error_handlers("1.2.0", EXCEPTION_TYPE, CODES))


def _coverage(ctx: ServeContext, name: str) -> ServedPipeline:
    return ctx.registry.get(name or None, field="COVERAGE", code="CoverageNotDefined")


def get_coverage(ctx: ServeContext, params: Params) -> Response:
    pipeline = _coverage(ctx, params.require("COVERAGE", code="MissingParameterValue"))
    crs = parse_crs(params.require("CRS", code="MissingParameterValue"), code="InvalidParameterValue")
    if crs == "CRS:84":
        crs = "EPSG:4326"  # the same x/y order in WCS 1.0.0
    if crs not in CRSS:
        raise ServeRequestError(f"CRS {crs} is not offered; use {', '.join(CRSS)}", field="CRS", code="InvalidParameterValue")
    response_crs = params.get("RESPONSE_CRS")
    if response_crs and parse_crs(response_crs, code="InvalidParameterValue", field="RESPONSE_CRS") not in (crs, "CRS:84"):
        raise ServeRequestError("RESPONSE_CRS must equal CRS (no reprojection)", field="RESPONSE_CRS", code="InvalidParameterValue")
    bbox = parse_bbox(params.require("BBOX", code="MissingParameterValue"))
    width, height = _size(ctx, params, bbox)
    fmt_name = params.require("FORMAT", code="MissingParameterValue")
    fmt = FORMATS.get(fmt_name.lower())
    if fmt is None:
        raise ServeRequestError(f"FORMAT {fmt_name!r} is not offered; use GeoTIFF or NetCDF", field="FORMAT", code="InvalidFormat")
    if width * height > ctx.config.max_request_cells:
        raise ServeRequestError(
            f"WIDTH x HEIGHT = {width * height} cells, above serve.max_request_cells={ctx.config.max_request_cells}",
            field="WIDTH", code="InvalidParameterValue",
        )
    grid = grid_for(crs, bbox, width, height, lat_first=False)
    key, media_type, ext = fmt
    data = ctx.render(pipeline, grid, key, None)
    headers = {"Content-Disposition": f'attachment; filename="{pipeline.name}.{ext}"'}
    return Response(data, media_type=media_type, headers=headers)


def _size(ctx: ServeContext, params: Params, bbox: tuple[float, float, float, float]) -> tuple[int, int]:
    limit = ctx.config.max_image_size
    if params.get("WIDTH") or params.get("HEIGHT"):
        return parse_size(params, "WIDTH", limit), parse_size(params, "HEIGHT", limit)
    if params.get("RESX") and params.get("RESY"):
        sizes = []
        for name, span in (("RESX", bbox[2] - bbox[0]), ("RESY", bbox[3] - bbox[1])):
            try:
                res = float(params.require(name))
            except ValueError:
                raise ServeRequestError(f"{name} must be a number", field=name, code="InvalidParameterValue") from None
            if not (math.isfinite(res) and res > 0):
                raise ServeRequestError(f"{name} must be positive", field=name, code="InvalidParameterValue")
            n = math.ceil(span / res - 1e-9)
            if n > limit:
                raise ServeRequestError(f"{name} gives {n} pixels, above {limit}", field=name, code="InvalidParameterValue")
            sizes.append(max(n, 1))
        return sizes[0], sizes[1]
    raise ServeRequestError("give WIDTH and HEIGHT, or RESX and RESY", field="WIDTH", code="MissingParameterValue")


def _root(tag: str) -> ET.Element:
    return element(None, tag, version=VERSION, xmlns=WCS, **{"xmlns:gml": GML, "xmlns:xlink": XLINK})


def _lonlat_envelope(parent: ET.Element, pipeline: ServedPipeline) -> None:
    west, south, east, north = pipeline.bounds
    env = element(parent, "lonLatEnvelope", srsName="urn:ogc:def:crs:OGC:1.3:CRS84")
    element(env, "gml:pos", f"{west!r} {south!r}")
    element(env, "gml:pos", f"{east!r} {north!r}")


def capabilities(ctx: ServeContext, request: Request) -> ET.Element:
    url = online_resource(request, "wcs")
    root = _root("WCS_Capabilities")
    service = element(root, "Service")
    element(service, "description", f"podpac-exec serves {', '.join(ctx.registry.names())}")
    element(service, "name", "WCS")
    element(service, "label", "podpac-exec pipelines")
    element(service, "fees", "NONE")
    element(service, "accessConstraints", "NONE")
    capability = element(root, "Capability")
    requests = element(capability, "Request")
    for op in ("GetCapabilities", "DescribeCoverage", "GetCoverage"):
        get = element(element(element(element(requests, op), "DCPType"), "HTTP"), "Get")
        element(get, "OnlineResource", **link(url))
    element(element(capability, "Exception"), "Format", EXCEPTION_TYPE)
    content = element(root, "ContentMetadata")
    for pipeline in ctx.registry:
        brief = element(content, "CoverageOfferingBrief")
        element(brief, "description", f"podpac-exec pipeline {pipeline.name}, hash {pipeline.hash}")
        element(brief, "name", pipeline.name)
        element(brief, "label", pipeline.title)
        _lonlat_envelope(brief, pipeline)
    return root


def describe(ctx: ServeContext, pipelines: list[ServedPipeline]) -> ET.Element:
    root = _root("CoverageDescription")
    for pipeline in pipelines:
        offering = element(root, "CoverageOffering")
        element(offering, "description", f"podpac-exec pipeline {pipeline.name}, hash {pipeline.hash}")
        element(offering, "name", pipeline.name)
        element(offering, "label", pipeline.title)
        _lonlat_envelope(offering, pipeline)
        spatial = element(element(offering, "domainSet"), "spatialDomain")
        west, south, east, north = pipeline.bounds
        env = element(spatial, "gml:Envelope", srsName="EPSG:4326")
        element(env, "gml:pos", f"{west!r} {south!r}")
        element(env, "gml:pos", f"{east!r} {north!r}")
        _rectified_grid(spatial, pipeline.bounds)
        range_set = element(element(offering, "rangeSet"), "RangeSet")
        element(range_set, "name", pipeline.name)
        element(range_set, "label", pipeline.title)
        element(element(range_set, "nullValues"), "singleValue", "NaN")
        crss = element(offering, "supportedCRSs")
        for crs in CRSS:
            element(crss, "requestResponseCRSs", crs)
        formats = element(offering, "supportedFormats", nativeFormat="GeoTIFF")
        for name in ("GeoTIFF", "NetCDF"):
            element(formats, "formats", name)
        element(element(offering, "supportedInterpolations", default="nearest neighbor"), "interpolationMethod", "nearest neighbor")
    return root


def _rectified_grid(parent: ET.Element, bounds: tuple[float, float, float, float]) -> None:
    """The nominal grid at :data:`NOMINAL_RESOLUTION` over the bounds (pixel centres)."""
    west, south, east, north = bounds
    cols = max(1, round((east - west) / NOMINAL_RESOLUTION))
    rows = max(1, round((north - south) / NOMINAL_RESOLUTION))
    grid = element(parent, "gml:RectifiedGrid", dimension="2", srsName="EPSG:4326")
    envelope = element(element(grid, "gml:limits"), "gml:GridEnvelope")
    element(envelope, "gml:low", "0 0")
    element(envelope, "gml:high", f"{cols - 1} {rows - 1}")
    element(grid, "gml:axisName", "x")
    element(grid, "gml:axisName", "y")
    dx, dy = (east - west) / cols, (north - south) / rows
    element(element(grid, "gml:origin"), "gml:pos", f"{west + dx / 2!r} {north - dy / 2!r}")
    element(grid, "gml:offsetVector", f"{dx!r} 0.0")
    element(grid, "gml:offsetVector", f"0.0 {-dy!r}")
