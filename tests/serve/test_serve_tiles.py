"""Tiles and TileJSON from a running server: values equal evaluate() on the tile's pixel centres."""

from __future__ import annotations

import morecantile
import numpy as np
import pytest
import requests

import podpac_exec as pe
from serve_support import decode_png, expected_colors, load_npy, pipelines
from podpac_exec.coordinates import ArrayCoordinates1d, Coordinates
from podpac_exec.serve.grids import tile_grid

NODES = {p.name: p.node for p in pipelines()}


def morecantile_coordinates(tms_name: str, z: int, x: int, y: int, size: int) -> Coordinates:
    """The tile's pixel centres in lat/lon, computed by morecantile (pyproj), not by the server."""
    tms = morecantile.tms.get(tms_name)
    b = tms.xy_bounds(x, y, z)
    xs = b.left + (np.arange(size) + 0.5) * (b.right - b.left) / size
    ys = b.top - (np.arange(size) + 0.5) * (b.top - b.bottom) / size
    lon = [tms.lnglat(v, ys[0]).x for v in xs]
    lat = [tms.lnglat(xs[0], v).y for v in ys]
    return Coordinates([ArrayCoordinates1d(lat, "lat"), ArrayCoordinates1d(lon, "lon")])


@pytest.mark.parametrize("tms_name, z, x, y", [("WebMercatorQuad", 2, 1, 1), ("WebMercatorQuad", 5, 17, 11),
                                               ("WGS1984Quad", 1, 2, 0), ("WGS1984Quad", 4, 20, 5)])
def test_npy_tile_is_evaluate_on_the_tile(url, tms_name, z, x, y):
    r = requests.get(f"{url}/tiles/{tms_name}/{z}/{x}/{y}.npy", params={"layer": "wave"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-npy"
    values = load_npy(r.content)
    assert values.shape == (256, 256)
    expected = pe.evaluate(NODES["wave"], tile_grid(tms_name, z, x, y, 256, 0, 22).coordinates(), backend="local")
    np.testing.assert_array_equal(values, expected.values)  # the same cells, bit for bit
    independent = pe.evaluate(NODES["wave"], morecantile_coordinates(tms_name, z, x, y, 256), backend="local")
    np.testing.assert_allclose(values, independent.values, rtol=0, atol=1e-9)


def test_png_tile_colours_are_the_values_through_the_nodes_style(url):
    z, x, y = 3, 4, 2
    r = requests.get(f"{url}/tiles/WebMercatorQuad/{z}/{x}/{y}.png", params={"layer": "styled"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    pixels = decode_png(r.content)
    values = pe.evaluate(NODES["styled"], morecantile_coordinates("WebMercatorQuad", z, x, y, 256), backend="local").values
    expected = expected_colors(values, "jet", -1.0, 1.0)  # the node's style: colormap jet, clim [-1, 1]
    mismatched = np.any(pixels != expected, axis=-1)
    # morecantile's coordinates differ from the server's in the last bits: a value on a colour
    # boundary may fall either side of it, never further
    assert mismatched.mean() < 1e-3
    exact = pe.evaluate(NODES["styled"], tile_grid("WebMercatorQuad", z, x, y, 256, 0, 22).coordinates(), backend="local")
    np.testing.assert_array_equal(pixels, expected_colors(exact.values, "jet", -1.0, 1.0))


def test_png_query_style_and_tilesize(url):
    r = requests.get(f"{url}/tiles/WGS1984Quad/2/1/1.png",
                     params={"layer": "wave", "colormap": "gray", "vmin": "-0.5", "vmax": "0.5", "tilesize": "64"})
    pixels = decode_png(r.content)
    assert pixels.shape == (64, 64, 4)
    values = pe.evaluate(NODES["wave"], tile_grid("WGS1984Quad", 2, 1, 1, 64, 0, 22).coordinates(), backend="local")
    np.testing.assert_array_equal(pixels, expected_colors(values.values, "gray", -0.5, 0.5))


def test_nodata_is_transparent(url):
    r = requests.get(f"{url}/tiles/WGS1984Quad/0/0/0.png", params={"layer": "masked"})
    pixels = decode_png(r.content)
    values = load_npy(requests.get(f"{url}/tiles/WGS1984Quad/0/0/0.npy", params={"layer": "masked"}).content)
    nodata = np.isnan(values)
    assert 0.2 < nodata.mean() < 0.8
    assert (pixels[nodata, 3] == 0).all() and (pixels[~nodata, 3] == 255).all()


def test_geotiff_tile_is_georeferenced_in_the_matrix_sets_crs(url):
    from rasterio.io import MemoryFile

    z, x, y = 2, 2, 1
    r = requests.get(f"{url}/tiles/WebMercatorQuad/{z}/{x}/{y}.tif", params={"layer": "wave"})
    assert r.status_code == 200
    b = morecantile.tms.get("WebMercatorQuad").xy_bounds(x, y, z)
    with MemoryFile(r.content) as mem, mem.open() as ds:
        assert ds.crs.to_epsg() == 3857 and ds.count == 1 and ds.dtypes[0] == "float64"
        np.testing.assert_allclose(ds.bounds, (b.left, b.bottom, b.right, b.top), rtol=1e-12)
        band = ds.read(1)
    npy = load_npy(requests.get(f"{url}/tiles/WebMercatorQuad/{z}/{x}/{y}.npy", params={"layer": "wave"}).content)
    np.testing.assert_array_equal(band, npy)


def test_second_request_is_served_from_the_cache(server):
    url, ctx = server
    path = f"{url}/tiles/WebMercatorQuad/4/3/5.png?layer=wave&colormap=magma"
    first = requests.get(path)
    hits = ctx.cache.hits
    second = requests.get(path)
    assert second.content == first.content and ctx.cache.hits == hits + 1
    other_style = requests.get(path.replace("magma", "viridis"))
    assert other_style.content != first.content  # the style is part of the key
    assert requests.get(path, headers={"If-None-Match": first.headers["etag"]}).status_code == 304


def test_tilejson(url):
    r = requests.get(f"{url}/tilejson.json", params={"layer": "styled", "colormap": "gray"})
    doc = r.json()
    assert doc["tilejson"] == "3.0.0" and doc["name"] == "styled"
    assert doc["pipeline_hash"] == NODES["styled"].hash
    assert doc["minzoom"] == 0 and doc["maxzoom"] == 22 and doc["bounds"] == [-180.0, -90.0, 180.0, 90.0]
    template = doc["tiles"][0]
    assert template.startswith(f"{url}/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}.png?") and "colormap=gray" in template
    tile = requests.get(template.format(z=1, x=1, y=0))
    assert tile.status_code == 200 and tile.content[:4] == b"\x89PNG"
    wgs = requests.get(f"{url}/tiles/WGS1984Quad/tilejson.json", params={"layer": "wave"}).json()
    assert wgs["tileMatrixSet"] == "WGS1984Quad" and "/tiles/WGS1984Quad/" in wgs["tiles"][0]


@pytest.mark.parametrize(
    "path, status, message",
    [
        ("/tiles/WebMercatorQuad/23/0/0.png?layer=wave", 404, "zoom 23 is outside 0..22"),
        ("/tiles/WebMercatorQuad/2/4/0.png?layer=wave", 404, "tile 2/4/0 is outside WebMercatorQuad"),
        ("/tiles/WebMercatorQuad/2/0/-1.png?layer=wave", 404, "y must be a non-negative integer"),
        ("/tiles/NZTM2000Quad/0/0/0.png?layer=wave", 404, "unknown TileMatrixSet 'NZTM2000Quad'"),
        ("/tiles/WebMercatorQuad/0/0/0.jpg?layer=wave", 404, "unknown tile format 'jpg'"),
        ("/tiles/WebMercatorQuad/0/0/0.png?layer=secret", 404, "unknown layer 'secret'"),
        ("/tiles/WebMercatorQuad/0/0/0.png", 400, "layer is required: this server serves wave, styled, masked"),
        ("/tiles/WebMercatorQuad/0/0/0.png?layer=wave&tilesize=100000", 400, "tilesize must be an integer in 1..512"),
        ("/tiles/WebMercatorQuad/0/0/0.png?layer=wave&colormap=rainbowz", 400, "unknown colormap 'rainbowz'"),
        ("/tiles/WebMercatorQuad/0/0/0.png?layer=wave&vmin=3&vmax=1", 400, "vmin (3.0) must be below vmax (1.0)"),
        ("/tilejson.json?layer=wave&tms=Nope", 404, "unknown TileMatrixSet"),
    ],
)
def test_bad_tile_requests_are_clear_4xx_and_the_server_keeps_serving(url, path, status, message):
    r = requests.get(url + path)
    assert r.status_code == status
    assert message in r.json()["error"]
    assert "Traceback" not in r.text
    assert requests.get(f"{url}/tiles/WebMercatorQuad/0/0/0.png?layer=wave").status_code == 200


def test_wmts_capabilities_read_by_owslib(url):
    from owslib.wmts import WebMapTileService

    wmts = WebMapTileService(f"{url}/wmts/1.0.0/WMTSCapabilities.xml")
    assert list(wmts.contents) == ["wave", "styled", "masked"]
    layer = wmts["styled"]
    assert set(layer.tilematrixsetlinks) == {"WebMercatorQuad", "WGS1984Quad"} and "jet" in layer.styles
    mercator = wmts.tilematrixsets["WebMercatorQuad"]
    assert sorted(mercator.tilematrix, key=int) == [str(z) for z in range(23)]
    z3 = mercator.tilematrix["3"]
    assert (z3.matrixwidth, z3.matrixheight, z3.tilewidth) == (8, 8, 256)
    assert z3.topleftcorner == pytest.approx((-20037508.342789244, 20037508.342789244))
    assert wmts.tilematrixsets["WGS1984Quad"].tilematrix["0"].topleftcorner == (90.0, -180.0)  # lat, lon
    tile = wmts.gettile(layer="styled", tilematrixset="WebMercatorQuad", tilematrix="3", row=2, column=5,
                        style="gray").read()
    direct = requests.get(f"{url}/tiles/WebMercatorQuad/3/5/2.png", params={"layer": "styled", "colormap": "gray"})
    assert tile == direct.content


def test_concurrent_requests_each_get_their_own_tile(url):
    from concurrent.futures import ThreadPoolExecutor

    tiles = [(6, x, y) for x in range(30, 34) for y in range(20, 24)]

    def get(tile):
        z, x, y = tile
        return requests.get(f"{url}/tiles/WebMercatorQuad/{z}/{x}/{y}.npy", params={"layer": "wave"}).content

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(get, tiles))
    for (z, x, y), data in zip(tiles, results):
        expected = pe.evaluate(NODES["wave"], tile_grid("WebMercatorQuad", z, x, y, 256, 0, 22).coordinates())
        np.testing.assert_array_equal(load_npy(data), expected.values)
