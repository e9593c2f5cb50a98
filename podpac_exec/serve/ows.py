"""What WMS and WCS share: case-insensitive KVP parameters, CRS and BBOX parsing, sizes, XML
building, and the OGC exception report every bad request gets (never a traceback)."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Callable

from starlette.requests import Request
from starlette.responses import Response

from podpac_exec.errors import PodpacExecError
from podpac_exec.serve.errors import ServeRequestError
from podpac_exec.serve.grids import MERCATOR_LIMIT, Grid
from podpac_exec.serve.responses import error_status

XLINK = "http://www.w3.org/1999/xlink"
OGC = "http://www.opengis.net/ogc"

#: Accepted spellings of the CRSs served, and their canonical name.
CRS_ALIASES = {
    "EPSG:4326": "EPSG:4326",
    "URN:OGC:DEF:CRS:EPSG::4326": "EPSG:4326",
    "HTTP://WWW.OPENGIS.NET/DEF/CRS/EPSG/0/4326": "EPSG:4326",
    "CRS:84": "CRS:84",
    "OGC:CRS84": "CRS:84",
    "URN:OGC:DEF:CRS:OGC:1.3:CRS84": "CRS:84",
    "HTTP://WWW.OPENGIS.NET/DEF/CRS/OGC/1.3/CRS84": "CRS:84",
    "EPSG:3857": "EPSG:3857",
    "EPSG:900913": "EPSG:3857",
    "URN:OGC:DEF:CRS:EPSG::3857": "EPSG:3857",
    "HTTP://WWW.OPENGIS.NET/DEF/CRS/EPSG/0/3857": "EPSG:3857",
}


class Params:
    """KVP parameters: names case-insensitive (OGC rule), the first value of each."""

    def __init__(self, request: Request) -> None:
        self._values: dict[str, str] = {}
        for key, value in request.query_params.multi_items():
            self._values.setdefault(key.upper(), value)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._values.get(name.upper(), default)

    def require(self, name: str, code: str | None = None) -> str:
        value = self.get(name)
        if value is None or value.strip() == "":
            raise ServeRequestError(f"parameter {name} is required", field=name, code=code)
        return value.strip()

    def vendor(self) -> dict[str, str]:
        """The lower-case style parameters (``colormap``, ``vmin``, ``vmax``) for resolve_style."""
        return {k: v for k in ("colormap", "vmin", "vmax") if (v := self.get(k)) not in (None, "")}


def parse_crs(text: str, code: str | None = "InvalidCRS", field: str = "CRS") -> str:
    crs = CRS_ALIASES.get(text.strip().upper())
    if crs is None:
        raise ServeRequestError(
            f"unsupported {field} {text!r}; supported: EPSG:4326, CRS:84, EPSG:3857", field=field, code=code
        )
    return crs


def parse_bbox(text: str, field: str = "BBOX") -> tuple[float, float, float, float]:
    """Four comma-separated finite numbers, each minimum below its maximum."""
    parts = text.split(",")
    if len(parts) != 4:
        raise ServeRequestError(f"{field} must be minx,miny,maxx,maxy, got {text!r}", field=field)
    try:
        values = [float(p) for p in parts[:4]]
    except ValueError:
        raise ServeRequestError(f"{field} must be four numbers, got {text!r}", field=field) from None
    if not all(math.isfinite(v) for v in values):
        raise ServeRequestError(f"{field} must be finite numbers, got {text!r}", field=field)
    a, b, c, d = values
    if not (a < c and b < d):
        raise ServeRequestError(f"{field} minimums must be below maximums, got {text!r}", field=field)
    return a, b, c, d


def parse_size(params: Params, name: str, maximum: int) -> int:
    text = params.require(name)
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise ServeRequestError(f"{name} must be an integer in 1..{maximum}, got {text!r}", field=name)
    return int(text)


def grid_for(crs: str, bbox: tuple[float, float, float, float], width: int, height: int, lat_first: bool) -> Grid:
    """The pixel grid of a BBOX in ``crs``; ``lat_first``: EPSG:4326 BBOX given as lat,lon (WMS 1.3.0)."""
    if crs == "EPSG:3857":
        limit = 2 * MERCATOR_LIMIT
        if max(abs(v) for v in bbox) > limit:
            raise ServeRequestError(f"BBOX is outside the EPSG:3857 world (|x|, |y| <= {limit:.0f} m)", field="BBOX")
        return Grid("EPSG:3857", bbox, width, height)
    if crs == "EPSG:4326" and lat_first:
        south, west, north, east = bbox
    else:
        west, south, east, north = bbox
    if south < -90 or north > 90 or west < -360 or east > 360:
        raise ServeRequestError(
            f"BBOX {bbox} is outside the world (latitudes -90..90, longitudes -360..360) in {crs}"
            + (" (WMS 1.3.0 EPSG:4326 order is lat,lon; CRS:84 is lon,lat)" if lat_first else ""),
            field="BBOX",
        )
    return Grid("EPSG:4326", (west, south, east, north), width, height)


def element(parent: ET.Element | None, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    """A sub-element (or a root when ``parent`` is None) with text and attributes."""
    el = ET.Element(tag, attrs) if parent is None else ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def xml_response(root: ET.Element, media_type: str, status: int = 200) -> Response:
    """``root`` as an XML document (tags are plain names; the root declares the namespaces)."""
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, status_code=status, media_type=media_type)


def exception_report(
    exc: Exception, version: str, media_type: str, allowed_codes: frozenset[str]
) -> Response:
    """The OGC ``ServiceExceptionReport`` of ``exc``: the code when the standard defines one,
    the offending parameter as ``locator``, a 4xx for bad requests and a one-line message."""
    status, message = error_status(exc)
    code = getattr(exc, "code", None)
    attrs = {}
    if code in allowed_codes:
        attrs["code"] = code
    field = exc.field if isinstance(exc, PodpacExecError) else None
    if field:
        attrs["locator"] = field
    root = element(None, "ServiceExceptionReport", version=version, xmlns=OGC)
    element(root, "ServiceException", message, **attrs)
    return xml_response(root, media_type, status)


def ogc_error_handlers(
    version: str, media_type: str, codes: frozenset[str]
) -> dict[type[Exception], Callable[[Request, Exception], Response]]:
    """Exception handlers answering every error with the service's exception report."""

    def handler(request: Request, exc: Exception) -> Response:
        return exception_report(exc, version, media_type, codes)

    return {PodpacExecError: handler, Exception: handler}


def link(href: str) -> dict[str, str]:
    """The attributes of an ``xlink:href`` (the root declares ``xmlns:xlink``)."""
    return {"xlink:type": "simple", "xlink:href": href}


def online_resource(request: Request, path: str) -> str:
    """The absolute URL of ``path`` on this server, with the ``?`` KVP requests append to."""
    return f"{str(request.base_url).rstrip('/')}/{path.lstrip('/')}?"


