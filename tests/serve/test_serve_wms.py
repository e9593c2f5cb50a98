"""WMS 1.3.0 from a running server, read by owslib: capabilities, GetMap, exception reports."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import morecantile
import numpy as np
import pytest
import requests
from owslib.util import ServiceException
from owslib.wms import WebMapService

import podpac_exec as pe
from serve_support import decode_png, expected_colors, pipelines

NODES = {p.name: p.node for p in pipelines()}
OGC = "{http://www.opengis.net/ogc}"


@pytest.fixture(scope="module")
def wms(url):
    return WebMapService(f"{url}/wms", version="1.3.0")


def test_capabilities(wms, url):
    assert wms.identification.type == "WMS" and wms.version == "1.3.0"
    assert list(wms.contents) == ["wave", "styled", "masked"]
    layer = wms["wave"]
    assert layer.title == "Wave field" and NODES["wave"].hash in layer.abstract
    assert set(layer.crsOptions) == {"EPSG:4326", "CRS:84", "EPSG:3857"}
    assert layer.boundingBoxWGS84 == (-180.0, -90.0, 180.0, 90.0)
    assert {"default", "jet", "gray"} <= set(layer.styles)
    assert layer.styles["jet"]["legend"] == f"{url}/colorbar.png?layer=wave&colormap=jet"
    assert [op.name for op in wms.operations] == ["GetCapabilities", "GetMap"]
    assert wms.getOperationByName("GetMap").methods[0]["url"] == f"{url}/wms?"


def test_getmap_epsg4326_and_crs84_axis_orders_give_the_same_map(wms, url):
    # owslib swaps the bbox for EPSG:4326 (lat,lon in WMS 1.3.0); CRS:84 is sent as lon,lat
    common = dict(layers=["styled"], size=(120, 60), format="image/png", transparent=True)
    a = wms.getmap(srs="EPSG:4326", bbox=(-60.0, -30.0, 60.0, 30.0), **common).read()
    b = wms.getmap(srs="CRS:84", bbox=(-60.0, -30.0, 60.0, 30.0), **common).read()
    assert a == b
    raw = requests.get(f"{url}/wms", params=dict(SERVICE="WMS", VERSION="1.3.0", REQUEST="GetMap", LAYERS="styled",
                                                 STYLES="", CRS="EPSG:4326", BBOX="-30,-60,30,60", WIDTH=120,
                                                 HEIGHT=60, FORMAT="image/png", TRANSPARENT="TRUE"))
    assert raw.content == a
    coords = pe.Coordinates([pe.clinspace(29.5, -29.5, 60, "lat"), pe.clinspace(-59.5, 59.5, 120, "lon")])
    values = pe.evaluate(NODES["styled"], coords, backend="local").values
    pixels = decode_png(a)
    assert np.mean(np.any(pixels != expected_colors(values, "jet", -1.0, 1.0), axis=-1)) < 1e-3


def test_getmap_epsg3857_equals_the_tile(wms, url):
    z, x, y = 3, 2, 3
    b = morecantile.tms.get("WebMercatorQuad").xy_bounds(x, y, z)
    image = wms.getmap(layers=["wave"], styles=["magma"], srs="EPSG:3857", bbox=(b.left, b.bottom, b.right, b.top),
                       size=(256, 256), format="image/png", transparent=True).read()
    tile = requests.get(f"{url}/tiles/WebMercatorQuad/{z}/{x}/{y}.png", params={"layer": "wave", "colormap": "magma"})
    np.testing.assert_array_equal(decode_png(image), decode_png(tile.content))


def test_opaque_map_fills_nodata_with_bgcolor(wms):
    image = decode_png(wms.getmap(layers=["masked"], srs="CRS:84", bbox=(-180, -90, 180, 90), size=(64, 32),
                                  format="image/png", bgcolor="#FF0000").read())
    assert (image[..., 3] == 255).all()  # TRANSPARENT defaults to FALSE
    south = image[24:, :]  # the mask hides half the cells; their pixels are the background
    assert ((south[..., :3] == [255, 0, 0]).all(axis=-1)).mean() > 0.2


def test_several_layers_composite_in_order(url):
    params = dict(SERVICE="WMS", VERSION="1.3.0", REQUEST="GetMap", CRS="CRS:84", BBOX="-180,-90,180,90", WIDTH=64,
                  HEIGHT=32, FORMAT="image/png", TRANSPARENT="TRUE")
    both = decode_png(requests.get(f"{url}/wms", params={**params, "LAYERS": "wave,masked", "STYLES": "gray,jet"}).content)
    wave = decode_png(requests.get(f"{url}/wms", params={**params, "LAYERS": "wave", "STYLES": "gray"}).content)
    masked = decode_png(requests.get(f"{url}/wms", params={**params, "LAYERS": "masked", "STYLES": "jet"}).content)
    on_top = masked[..., 3] > 0
    np.testing.assert_array_equal(both[on_top], masked[on_top])
    np.testing.assert_array_equal(both[~on_top], wave[~on_top])


GETMAP = dict(SERVICE="WMS", VERSION="1.3.0", REQUEST="GetMap", LAYERS="wave", STYLES="", CRS="EPSG:4326",
              BBOX="-90,-180,90,180", WIDTH="32", HEIGHT="16", FORMAT="image/png")


@pytest.mark.parametrize(
    "change, status, code, locator, message",
    [
        ({"LAYERS": "nope"}, 404, "LayerNotDefined", "LAYERS", "unknown LAYERS 'nope'"),
        ({"CRS": "EPSG:32631"}, 400, "InvalidCRS", "CRS", "unsupported CRS 'EPSG:32631'"),
        ({"BBOX": "1,2,3"}, 400, None, "BBOX", "BBOX must be minx,miny,maxx,maxy"),
        ({"BBOX": "a,b,c,d"}, 400, None, "BBOX", "BBOX must be four numbers"),
        ({"BBOX": "10,0,5,1"}, 400, None, "BBOX", "minimums must be below maximums"),
        ({"BBOX": "-180,-90,180,90"}, 400, None, "BBOX", "EPSG:4326 order is lat,lon"),
        ({"WIDTH": "100000"}, 400, None, "WIDTH", "WIDTH must be an integer in 1..2048"),
        ({"WIDTH": "2048", "HEIGHT": "2048"}, 400, None, "WIDTH", "above serve.max_request_cells"),
        ({"HEIGHT": "-3"}, 400, None, "HEIGHT", "HEIGHT must be an integer"),
        ({"FORMAT": "image/jpeg"}, 400, "InvalidFormat", "FORMAT", "FORMAT 'image/jpeg' is not offered"),
        ({"STYLES": "sparkly"}, 400, "StyleNotDefined", "STYLES", "style 'sparkly' is not defined"),
        ({"VERSION": "1.1.1"}, 400, None, "VERSION", "VERSION must be 1.3.0"),
        ({"REQUEST": "GetFeatureInfo"}, 400, "OperationNotSupported", "REQUEST", "not supported"),
        ({"BGCOLOR": "red"}, 400, None, "BGCOLOR", "BGCOLOR must be 0xRRGGBB"),
        ({"TRANSPARENT": "maybe"}, 400, None, "TRANSPARENT", "TRANSPARENT must be TRUE or FALSE"),
    ],
)
def test_bad_getmap_gets_an_exception_report(url, change, status, code, locator, message):
    r = requests.get(f"{url}/wms", params={**GETMAP, **change})
    assert r.status_code == status and r.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(r.content)
    assert root.tag == f"{OGC}ServiceExceptionReport" and root.get("version") == "1.3.0"
    exc = root.find(f"{OGC}ServiceException")
    assert exc.get("code") == code and exc.get("locator") == locator and message in exc.text
    assert "Traceback" not in r.text
    assert requests.get(f"{url}/wms", params=GETMAP).status_code == 200  # still serving


def test_owslib_raises_the_servers_message(wms):
    with pytest.raises(ServiceException, match="unsupported CRS"):
        wms.getmap(layers=["wave"], srs="EPSG:2056", bbox=(0, 0, 1, 1), size=(8, 8), format="image/png")


def test_capabilities_needs_service_wms(url):
    r = requests.get(f"{url}/wms", params={"REQUEST": "GetCapabilities", "SERVICE": "WFS"})
    assert r.status_code == 400 and b"SERVICE must be WMS" in r.content
    r = requests.get(f"{url}/wms", params={"request": "getcapabilities", "service": "wms"})  # names and values any case
    assert r.status_code == 200 and b"WMS_Capabilities" in r.content
