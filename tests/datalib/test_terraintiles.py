"""TerrainTiles on a small generated pyramid staged in the emulator's S3 (the real bucket is not
reachable here): tile choice, both tile formats, mosaics across tile edges, CRS, cache, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.coordinates import StackedCoordinates, ArrayCoordinates1d
from podpac_exec.crs import transformer
from podpac_exec.datalib import terraintiles, tile_pyramid as pyramid
from podpac_exec.datalib.terraintiles import TerrainTiles
from podpac_exec.errors import LimitExceededError, PipelineError
from podpac_exec.nodes.data import Array
from podpac_exec.nodes.interpolation import Interpolate
from podpac_exec.nodes.sources import SourceNotAllowedError

rasterio = pytest.importorskip("rasterio")

ZOOM = 6
PUBLIC = {"ACL": "public-read"}
TILES = [(x, y) for x in (17, 18) for y in (23, 24)]  # around 40N, 80W at zoom 6


def elevation(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A smooth field of mercator metres, rounded to terrarium's 1/256 m."""
    return np.round((1000 + 800 * np.sin(x / 9.0e4) + 600 * np.cos(y / 7.0e4)) * 256) / 256


def tile_pixels(x: int, y: int, pixels: int) -> tuple[np.ndarray, np.ndarray]:
    lat, lon = pyramid.global_axes(ZOOM, pixels)
    ys = lat.coordinates[y * pixels : (y + 1) * pixels]
    xs = lon.coordinates[x * pixels : (x + 1) * pixels]
    return np.meshgrid(xs, ys)


def write_pyramid(tmp_path, s3) -> None:
    from rasterio.transform import from_origin

    s3.create_bucket(Bucket="elevation-tiles-prod", ACL="public-read")  # read anonymously, as the real one
    for x, y in TILES:
        gx, gy = tile_pixels(x, y, 512)
        res = 2 * pyramid.HALF_WORLD / (512 * 2**ZOOM)
        west, north = -pyramid.HALF_WORLD + x * 512 * res, pyramid.HALF_WORLD - y * 512 * res
        path = tmp_path / f"g{x}_{y}.tif"
        with rasterio.open(path, "w", driver="GTiff", width=512, height=512, count=1, dtype="float32",
                           crs="EPSG:3857", transform=from_origin(west, north, res, res)) as f:
            f.write(elevation(gx, gy).astype("float32"), 1)
        s3.upload_file(str(path), "elevation-tiles-prod", f"test/geotiff/{ZOOM}/{x}/{y}.tif", ExtraArgs=PUBLIC)
        gx, gy = tile_pixels(x, y, 256)
        value = elevation(gx, gy) + 32768
        rgb = np.stack([value // 256, np.floor(value) % 256, np.round((value % 1) * 256)]).astype("uint8")
        path = tmp_path / f"t{x}_{y}.png"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)  # terrarium PNGs have none
            with rasterio.open(path, "w", driver="PNG", width=256, height=256, count=3, dtype="uint8") as f:
                f.write(rgb)
        s3.upload_file(str(path), "elevation-tiles-prod", f"test/terrarium/{ZOOM}/{x}/{y}.png", ExtraArgs=PUBLIC)


@pytest.fixture
def pyramid_on_s3(tmp_path, aws_emulator):
    write_pyramid(tmp_path, aws_emulator.client("s3"))
    terraintiles._TILES.clear()
    with pe.settings.override(terraintiles__prefix="test/"):
        yield aws_emulator
    terraintiles._TILES.clear()


def centres_as_points(x: int, y: int, pixels: int, rows: slice, cols: slice) -> tuple[pe.Coordinates, np.ndarray]:
    gx, gy = (g[rows, cols].ravel() for g in tile_pixels(x, y, pixels))
    lon, lat = transformer("EPSG:3857", "EPSG:4326").transform(gx, gy)
    points = pe.Coordinates([StackedCoordinates([ArrayCoordinates1d(lat, name="lat"), ArrayCoordinates1d(lon, name="lon")])])
    return points, elevation(gx, gy)


@pytest.mark.parametrize(("tile_format", "pixels"), [("geotiff", 512), ("terrarium", 256)])
def test_pixel_centres_give_their_elevation(pyramid_on_s3, tile_format, pixels):
    """At the pixel centres (as WGS84 points, both sides of a tile edge) nearest gives each
    pixel's own value."""
    node = TerrainTiles(zoom=ZOOM, tile_format=tile_format)
    for x, y in [(17, 23), (18, 24)]:
        points, want = centres_as_points(x, y, pixels, slice(pixels - 3, pixels), slice(0, 4))
        np.testing.assert_allclose(pe.evaluate(node, points).values, want, rtol=0, atol=1e-3)


def test_a_grid_across_tiles_equals_one_array_source_and_tiles_agree(pyramid_on_s3):
    node = TerrainTiles(zoom=ZOOM, interpolation="bilinear")
    request = pe.Coordinates([pe.clinspace(41.2, 38.9, 23, "lat"), pe.clinspace(-81.2, -78.9, 29, "lon")])
    whole = pe.evaluate(node, request)
    lat, lon = pyramid.global_axes(ZOOM, 512)
    mosaic = pe.Coordinates([lat[23 * 512 : 25 * 512], lon[17 * 512 : 19 * 512]], crs="EPSG:3857")
    gx, gy = np.meshgrid(mosaic["lon"].coordinates, mosaic["lat"].coordinates)
    array = Interpolate(source=Array(source=elevation(gx, gy).astype("float32").astype(float), coordinates=mosaic),
                        interpolation="bilinear")
    np.testing.assert_allclose(whole.values, pe.evaluate(array, request).values, rtol=1e-12)
    assert np.isfinite(whole.values).all()
    tiled = pe.evaluate(node, request, max_tile_bytes=8 * 60, min_tiles=4)
    np.testing.assert_array_equal(tiled.values, whole.values)


def test_zoom_from_the_request_step():
    node = TerrainTiles()
    # PODPAC's table: the first zoom whose size is below half the step (its zoom 0 entry is
    # 8271 m, so any step above about 16.5 km gets zoom 0)
    coarse = pe.Coordinates([pe.clinspace(41, 39, 3, "lat"), pe.clinspace(-81, -79, 3, "lon")])  # 1 degree
    fine = pe.Coordinates([pe.clinspace(41, 40.99, 3, "lat"), pe.clinspace(-81, -80.99, 3, "lon")])  # 0.005 degree
    assert node.zoom_for(coarse) == 0 and node.zoom_for(fine) == 9
    assert node.zoom_for(coarse[0:2, 0:2]) == node.zoom_for(coarse)  # every tile of a request agrees
    assert TerrainTiles(zoom=4).zoom_for(fine) == 4


def test_tiles_are_cached(pyramid_on_s3):
    node = TerrainTiles(zoom=ZOOM)
    points, want = centres_as_points(17, 23, 512, slice(0, 2), slice(0, 2))
    pe.evaluate(node, points)
    s3 = pyramid_on_s3.client("s3")
    s3.delete_object(Bucket="elevation-tiles-prod", Key=f"test/geotiff/{ZOOM}/17/23.tif")
    np.testing.assert_allclose(pe.evaluate(node, points).values, want, atol=1e-3)  # from the cache


def test_a_missing_tile_is_nan(pyramid_on_s3):
    far = pe.Coordinates([[[10.0], [20.0]]], dims=["lat_lon"])
    assert np.isnan(pe.evaluate(TerrainTiles(zoom=ZOOM), far).values).all()


@pytest.mark.parametrize(
    ("attrs", "field"),
    [({"zoom": 15}, "attrs.zoom"), ({"tile_format": "normal"}, "attrs.tile_format"), ({"interpolation": "nope"}, "attrs.interpolation")],
)
def test_bad_attrs_are_one_line_naming_the_field(attrs, field):
    with pytest.raises(PipelineError) as info:
        TerrainTiles(**attrs)
    assert field in str(info.value) and "\n" not in str(info.value)


def test_too_many_tiles_and_buckets_outside_the_policy():
    wide = pe.Coordinates([pe.clinspace(60, -60, 50, "lat"), pe.clinspace(-170, 170, 50, "lon")])
    with pytest.raises(LimitExceededError, match="terraintiles.max_tiles"):
        pe.evaluate(TerrainTiles(zoom=8), wide)
    with pe.settings.override(sources__allowed_buckets=["mine"]):
        with pytest.raises(SourceNotAllowedError):
            TerrainTiles(zoom=8)
