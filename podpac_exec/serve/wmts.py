"""WMTS 1.0.0 RESTful capabilities (``/wmts/1.0.0/WMTSCapabilities.xml``) of the tiles that
``tiles.py`` serves: one layer per pipeline, WebMercatorQuad and WGS1984Quad over the served
zoom range, the styles of WMS, and a ResourceURL template onto ``/tiles/...``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from podpac_exec.serve.context import ServeContext
from podpac_exec.serve.grids import TILE_MATRIX_SETS, TMS_CRS, get_tms
from podpac_exec.serve.ows import XLINK, element, xml_response
from podpac_exec.serve.responses import JSON_ERROR_HANDLERS
from podpac_exec.serve.wms import STYLES

WMTS = "http://www.opengis.net/wmts/1.0"
OWS = "http://www.opengis.net/ows/1.1"
PATH = "/wmts/1.0.0/WMTSCapabilities.xml"


def create_wmts_app(ctx: ServeContext) -> Starlette:
    def capabilities_xml(request: Request) -> Response:
        return xml_response(capabilities(ctx, str(request.base_url).rstrip("/")), "application/xml")

    return Starlette(routes=[Route(PATH, capabilities_xml)], exception_handlers=JSON_ERROR_HANDLERS)


def capabilities(ctx: ServeContext, base: str) -> ET.Element:
    root = element(None, "Capabilities", version="1.0.0", xmlns=WMTS,
                   **{"xmlns:ows": OWS, "xmlns:xlink": XLINK})
    ident = element(root, "ows:ServiceIdentification")
    element(ident, "ows:Title", "podpac-exec pipelines")
    element(ident, "ows:ServiceType", "OGC WMTS")
    element(ident, "ows:ServiceTypeVersion", "1.0.0")
    contents = element(root, "Contents")
    for pipeline in ctx.registry:
        layer = element(contents, "Layer")
        element(layer, "ows:Title", pipeline.title)
        element(layer, "ows:Abstract", f"podpac-exec pipeline {pipeline.name}, hash {pipeline.hash}")
        west, south, east, north = pipeline.bounds
        box = element(layer, "ows:WGS84BoundingBox")
        element(box, "ows:LowerCorner", f"{west!r} {south!r}")
        element(box, "ows:UpperCorner", f"{east!r} {north!r}")
        element(layer, "ows:Identifier", pipeline.name)
        for style in STYLES:
            el = element(layer, "Style", **({"isDefault": "true"} if style == "default" else {}))
            element(el, "ows:Identifier", style)
        element(layer, "Format", "image/png")
        for name in TILE_MATRIX_SETS:
            element(element(layer, "TileMatrixSetLink"), "TileMatrixSet", name)
        template = f"{base}/tiles/{{TileMatrixSet}}/{{TileMatrix}}/{{TileCol}}/{{TileRow}}.png?layer={quote(pipeline.name)}&style={{Style}}"
        element(layer, "ResourceURL", format="image/png", resourceType="tile", template=template)
    for name in TILE_MATRIX_SETS:
        _matrix_set(contents, name, ctx.config.min_zoom, ctx.config.max_zoom)
    element(root, "ServiceMetadataURL", **{"xlink:href": base + PATH})
    return root


def _matrix_set(parent: ET.Element, name: str, min_zoom: int, max_zoom: int) -> None:
    tms = get_tms(name)
    el = element(parent, "TileMatrixSet")
    element(el, "ows:Identifier", name)
    element(el, "ows:SupportedCRS", "urn:ogc:def:crs:EPSG::" + TMS_CRS[name].split(":")[1])
    element(el, "WellKnownScaleSet", f"http://www.opengis.net/def/tilematrixset/OGC/1.0/{name}")
    for z in range(max(min_zoom, tms.minzoom), min(max_zoom, tms.maxzoom) + 1):
        m = tms.matrix(z)
        matrix = element(el, "TileMatrix")
        element(matrix, "ows:Identifier", str(z))
        element(matrix, "ScaleDenominator", repr(m.scaleDenominator))
        element(matrix, "TopLeftCorner", " ".join(repr(float(v)) for v in m.pointOfOrigin))  # the CRS's axis order
        element(matrix, "TileWidth", str(m.tileWidth))
        element(matrix, "TileHeight", str(m.tileHeight))
        element(matrix, "MatrixWidth", str(m.matrixWidth))
        element(matrix, "MatrixHeight", str(m.matrixHeight))
