"""Rasterio: coordinates from the geotransform, bands, nodata, windowed reads, S3, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.errors import CoordinatesError, PipelineError
from podpac_exec.nodes.data import Array
from podpac_exec.nodes.interpolation import Interpolate
from podpac_exec.nodes.raster import Rasterio
from podpac_exec.nodes.sources import SourceNotAllowedError

rasterio = pytest.importorskip("rasterio")
from rasterio.transform import from_origin  # noqa: E402


def write_tif(path: Path, values: np.ndarray, crs: str = "EPSG:32618", nodata: float | None = -9999.0, **kw) -> Path:
    count = values.shape[0] if values.ndim == 3 else 1
    bands = values if values.ndim == 3 else values[None]
    profile = dict(driver=kw.pop("driver", "GTiff"), height=bands.shape[1], width=bands.shape[2], count=count,
                   dtype="float32", crs=crs, transform=kw.pop("transform", from_origin(300000.0, 4500000.0, 100.0, 100.0)),
                   nodata=nodata, **kw)
    with rasterio.open(path, "w", **profile) as f:
        f.write(bands.astype("float32"))
    return path


@pytest.fixture
def tif(tmp_path) -> Path:
    values = np.arange(2 * 20 * 30, dtype="float32").reshape(2, 20, 30)
    values[0, 0, 0] = -9999
    return write_tif(tmp_path / "a.tif", values)


def test_coordinates_are_pixel_centres_in_the_files_crs(tif):
    coords = Rasterio(source=str(tif)).native_coordinates()
    assert coords.crs == "EPSG:32618" and coords.dims == ("lat", "lon") and coords.shape == (20, 30)
    np.testing.assert_allclose(coords["lat"].coordinates[[0, -1]], [4499950.0, 4498050.0])
    np.testing.assert_allclose(coords["lon"].coordinates[[0, -1]], [300050.0, 302950.0])


def test_values_band_and_nodata(tif):
    node = Rasterio(source=str(tif))
    native = node.native_coordinates()
    out = pe.evaluate(node, native)
    assert np.isnan(out.values[0, 0])
    np.testing.assert_array_equal(out.values.ravel()[1:], np.arange(1, 600, dtype=float))
    band2 = pe.evaluate(Rasterio(source=str(tif), band=2), native)
    np.testing.assert_array_equal(band2.values.ravel(), np.arange(600, 1200, dtype=float))


def test_a_raster_opened_in_one_thread_closes_cleanly_in_another(tif):
    """rasterio undoes its opener registration from context variables; a dataset opened on a
    worker thread and released on the main one raised LookupError from a finaliser."""
    import gc
    from concurrent.futures import ThreadPoolExecutor

    node = Rasterio(source=str(tif))
    with ThreadPoolExecutor(1) as pool:
        opened = pool.submit(node._file).result()
        value = pool.submit(lambda: pe.evaluate(node, node.native_coordinates()).values[1, 1]).result()
    assert value == 31.0
    dataset = opened.dataset
    del node, opened
    gc.collect()  # pytest turns an exception ignored in a finaliser into a failure
    assert dataset.closed


@pytest.mark.parametrize("attrs", [{"band": 5}, {"crs": "EPSG:99999"}])
def test_a_raster_refused_after_opening_is_closed_at_once(tif, attrs, monkeypatch):
    """A bad band or CRS is found once the file is open: the dataset is closed then, in its
    context. Left to the garbage collector in another context, its close raised LookupError."""
    import contextvars
    import gc
    import sys
    import threading

    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    errors = []

    def attempt() -> None:
        try:
            pe.evaluate(Rasterio(source=str(tif), **attrs), Rasterio(source=str(tif)).native_coordinates())
        except (PipelineError, CoordinatesError) as exc:
            errors.append(exc)  # the traceback keeps the frames alive past this context

    contextvars.copy_context().run(attempt)
    assert len(errors) == 1

    def drop() -> None:
        errors.clear()
        gc.collect()

    thread = threading.Thread(target=drop)
    thread.start()
    thread.join()
    assert unraisable == []


def test_a_tile_reads_only_its_window(tif, monkeypatch):
    node = Rasterio(source=str(tif))
    native = node.native_coordinates()
    opened = node._file()
    windows = []
    real = opened.dataset.read
    monkeypatch.setattr(opened.dataset, "read", lambda *a, **k: windows.append(k["window"]) or real(*a, **k))
    sub = native[2:5, 10:14]
    np.testing.assert_array_equal(pe.evaluate(node, sub).values, pe.evaluate(node, native).values[2:5, 10:14])
    first = windows[0]
    assert (first.height, first.width) <= (5, 6)  # the tile and its one-cell halo, not the file


def test_cog_on_s3_equals_local(tmp_path, aws_emulator):
    import boto3

    values = np.random.default_rng(0).normal(size=(64, 64)).astype("float32")
    cog = write_tif(tmp_path / "c.tif", values, driver="COG", blocksize=16)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="rasters")
    s3.upload_file(str(cog), "rasters", "c.tif")
    request = pe.Coordinates([pe.clinspace(40.63, 40.62, 5, "lat"), pe.clinspace(-77.36, -77.35, 6, "lon")])
    local = pe.evaluate(Interpolate(source=Rasterio(source=str(cog)), interpolation="bilinear"), request)
    remote = pe.evaluate(Interpolate(source=Rasterio(source="s3://rasters/c.tif"), interpolation="bilinear"), request)
    np.testing.assert_array_equal(remote.values, local.values)
    assert np.isfinite(local.values).any()


@pytest.mark.parametrize(
    ("attrs", "field", "message"),
    [
        ({"source": "/nonexistent/x.tif"}, "attrs.source", "does not exist"),
        ({"band": 0}, "attrs.band", "positive band"),
        ({"band": 3}, "attrs.band", "band 3 does not exist"),
        ({"crs": "EPSG:99999"}, "crs", "unknown CRS"),
    ],
)
def test_bad_input_is_one_line_naming_the_field(tif, attrs, field, message):
    with pytest.raises((PipelineError, CoordinatesError)) as info:
        node = Rasterio(**{"source": str(tif), **attrs})
        pe.evaluate(node, pe.Coordinates([pe.clinspace(40.63, 40.62, 2, "lat"), pe.clinspace(-77.36, -77.35, 2, "lon")]))
    assert field in str(info.value) or info.value.field.endswith(field)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_corrupt_geotiff_is_one_line_and_nothing_is_cached(tmp_path):
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"II*\x00" + b"\x00" * 64)
    node = Rasterio(source=str(bad))
    for _ in range(2):
        with pytest.raises(PipelineError) as info:
            node.native_coordinates()
        assert info.value.field == "attrs.source" and "Rasterio cannot open" in str(info.value)
        assert "\n" not in str(info.value)
    assert not node.__dict__.get("_opened")  # nothing cached


def test_a_bucket_outside_the_policy_is_refused_before_any_read():
    with pe.settings.override(sources__allowed_buckets=["allowed"]):
        with pytest.raises(SourceNotAllowedError, match="attrs.source"):
            Rasterio(source="s3://elsewhere/x.tif")


def test_json_round_trip(tif):
    node = Rasterio(source=str(tif), band=2)
    again = pe.Node.from_json(node.json)
    assert again.json == node.json and again.band == 2


def test_a_window_of_a_cog_reads_a_fraction_of_the_file_and_stats_count_it(tmp_path):
    values = np.random.default_rng(1).normal(size=(1024, 1024)).astype("float32")
    cog = write_tif(tmp_path / "big.tif", values, driver="COG", blocksize=256, compress="NONE")
    node = Rasterio(source=str(cog))
    window = node.native_coordinates()[:200, :200]
    stats = pe.EvaluationStats()
    pe.evaluate(node, window, stats=stats)
    assert 0 < stats.bytes_read < cog.stat().st_size / 4  # one 256x256 block of sixteen, and headers
    assert stats.summary()["bytes_read"] == stats.bytes_read


def test_prefer_overviews_reads_the_overview_a_coarse_request_needs(tmp_path):
    """PODPAC's choice (closest decimation below the request's step over the pixel size), and the
    values are the overview's, interpolated as from any source."""
    from rasterio.enums import Resampling

    values = np.add.outer(np.sin(np.arange(256) * 0.37) * 40, np.cos(np.arange(320) * 0.23) * 25).astype("float32")
    path = tmp_path / "ovr.tif"
    with rasterio.open(path, "w", driver="GTiff", height=256, width=320, count=1, dtype="float32", crs="EPSG:4326",
                       transform=from_origin(-80.0, 45.0, 0.02, 0.02), tiled=True, blockxsize=64, blockysize=64) as f:
        f.write(values, 1)
        f.build_overviews([2, 4, 8], Resampling.average)
    coarse = pe.Coordinates([pe.clinspace(44.9, 40.1, 54, "lat"), pe.clinspace(-79.9, -73.7, 70, "lon")])  # 0.09 deg
    fine = pe.Coordinates([pe.clinspace(44.9, 40.1, 241, "lat"), pe.clinspace(-79.9, -73.7, 311, "lon")])  # 0.02
    node = Rasterio(source=str(path), prefer_overviews=True)
    assert node.source_for(fine) is node
    chosen = node.source_for(coarse)
    assert chosen.level == 1  # 4.5x: the 4x overview (closest below)
    assert Rasterio(source=str(path), prefer_overviews=True, prefer_overviews_closest=True).source_for(coarse).level == 1
    with rasterio.open(path, overview_level=1) as ds:
        overview = ds.read(1).astype(float)
        t = ds.transform
    grid = pe.Coordinates([pe.clinspace(t.f + t.e / 2, t.f + t.e * (ds.height - 0.5), ds.height, "lat"),
                           pe.clinspace(t.c + t.a / 2, t.c + t.a * (ds.width - 0.5), ds.width, "lon")])
    for method in ("nearest", "bilinear"):
        want = pe.evaluate(Interpolate(source=Array(source=overview, coordinates=grid), interpolation=method), coarse)
        got = pe.evaluate(Interpolate(source=node, interpolation=method), coarse)
        np.testing.assert_allclose(got.values, want.values, rtol=1e-12)
        tiled = pe.evaluate(Interpolate(source=node, interpolation=method), coarse, max_tile_bytes=8 * 70 * 4)
        np.testing.assert_array_equal(tiled.values, got.values)
