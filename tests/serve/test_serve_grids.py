"""Tile and BBOX grids: pixel centres against morecantile's own geometry, bounds and errors."""

from __future__ import annotations

import morecantile
import numpy as np
import pytest

from podpac_exec.serve.errors import ServeRequestError
from podpac_exec.serve.grids import Grid, mercator_lat, mercator_y, tile_grid
from podpac_exec.serve.ows import grid_for


@pytest.mark.parametrize("tms_name, z, x, y", [("WebMercatorQuad", 3, 5, 2), ("WebMercatorQuad", 0, 0, 0),
                                               ("WGS1984Quad", 2, 6, 1), ("WGS1984Quad", 0, 1, 0)])
def test_tile_pixel_centres_are_morecantiles(tms_name, z, x, y):
    tms = morecantile.tms.get(tms_name)
    size = 8
    grid = tile_grid(tms_name, z, x, y, size, 0, 22)
    b = tms.xy_bounds(x, y, z)
    assert grid.bounds == pytest.approx((b.left, b.bottom, b.right, b.top), rel=0, abs=1e-6)
    xs = b.left + (np.arange(size) + 0.5) * (b.right - b.left) / size
    ys = b.top - (np.arange(size) + 0.5) * (b.top - b.bottom) / size
    lon = np.array([tms.lnglat(xi, ys[0]).x for xi in xs])
    lat = np.array([tms.lnglat(xs[0], yi).y for yi in ys])
    coords = grid.coordinates()
    assert coords.dims == ("lat", "lon")
    np.testing.assert_allclose(coords["lat"].coordinates, lat, rtol=0, atol=1e-9)
    np.testing.assert_allclose(coords["lon"].coordinates, lon, rtol=0, atol=1e-9)
    assert coords["lon"].is_uniform
    assert bool(coords["lat"].is_uniform) == (tms_name == "WGS1984Quad")  # mercator lat is not uniform
    assert grid.crs == ("EPSG:3857" if tms_name == "WebMercatorQuad" else "EPSG:4326")


def test_mercator_round_trip():
    lats = np.array([-85.0, -30.5, 0.0, 12.25, 85.0])
    np.testing.assert_allclose(mercator_lat(np.array([mercator_y(v) for v in lats])), lats, atol=1e-12)


@pytest.mark.parametrize("z, x, y, field", [(23, 0, 0, "z"), (1, 2, 0, "x/y"), (1, 0, 2, "x/y"), (0, 1, 0, "x/y")])
def test_tiles_outside_the_matrix_set_are_404(z, x, y, field):
    with pytest.raises(ServeRequestError) as info:
        tile_grid("WebMercatorQuad", z, x, y, 256, 0, 22)
    assert info.value.status == 404 and info.value.field == field


def test_served_zoom_range_bounds_tiles():
    with pytest.raises(ServeRequestError, match="outside 2..5"):
        tile_grid("WGS1984Quad", 1, 0, 0, 256, 2, 5)
    assert tile_grid("WGS1984Quad", 5, 0, 0, 256, 2, 5).width == 256


def test_unknown_tile_matrix_set():
    with pytest.raises(ServeRequestError, match="unknown TileMatrixSet 'UTM31WGS84Quad'") as info:
        tile_grid("UTM31WGS84Quad", 0, 0, 0, 256, 0, 22)
    assert info.value.status == 404


def test_bbox_axis_orders():
    lat_first = grid_for("EPSG:4326", (10.0, 20.0, 30.0, 60.0), 4, 2, lat_first=True)
    lon_first = grid_for("CRS:84", (20.0, 10.0, 60.0, 30.0), 4, 2, lat_first=False)
    assert lat_first == lon_first == Grid("EPSG:4326", (20.0, 10.0, 60.0, 30.0), 4, 2)
    c = lat_first.coordinates()
    np.testing.assert_allclose(c["lat"].coordinates, [25.0, 15.0])
    np.testing.assert_allclose(c["lon"].coordinates, [25.0, 35.0, 45.0, 55.0])


def test_bbox_outside_the_world_names_the_axis_order():
    with pytest.raises(ServeRequestError, match="EPSG:4326 order is lat,lon"):
        grid_for("EPSG:4326", (-180.0, -90.0, 180.0, 90.0), 4, 4, lat_first=True)
    with pytest.raises(ServeRequestError, match="EPSG:3857 world"):
        grid_for("EPSG:3857", (0.0, 0.0, 1e9, 1.0), 4, 4, lat_first=False)
